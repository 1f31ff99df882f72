#pragma once
// MKA in dpdk-lagd ([lag.macsec] mode = "mka"): one ctl::mka_driver on the
// control core, one participant per member keyed by the LAG's CKN and CAK
// (read from cak_file here, wiped once the participants derived ICK and KEK),
// driving its own ctl::macsec_driver. MKPDUs leave on each member's spare TX
// queue (the one LACP uses; both may run on one LAG: LACP is the default punt
// handler, MKA takes EAPOL). The main loop polls it; `show lag` and the stats
// print show each member's session (secured, key server, peers, SAK AN and
// suite), never key bytes.

#include "config.hpp"
#include "control/macsec_driver.hpp"
#include "control/mka_driver.hpp"
#include "mka/ipsecmb_crypto.hpp"
#include "service.hpp"

#include <memory>
#include <string>
#include <vector>

struct rte_mempool;

namespace lag::lagd {

inline bool mka_enabled(const lag_config& l) noexcept {
    return l.macsec.enabled && l.macsec.mode == macsec_mode::mka;
}

// The driver's settings from [lag.macsec] and a CAK: the configured suite
// first, then every other suite the profile allows on all of the LAG's
// members with this CAK (a key server that prefers one of those is followed).
ctl::mka_driver_config mka_driver_config_of(const daemon_config& cfg, const lag_config& l, const secret<32>& cak);

class mka_runtime {
public:
    // `members` in slot order, each with a TX queue `control_queue` no worker uses.
    static result<std::unique_ptr<mka_runtime>> start(const daemon_config& cfg, const lag_config& l,
                                                      ctl::control& c,
                                                      const std::vector<ctl::member_binding>& members,
                                                      rte_mempool* pool, uint16_t control_queue, time_point now);
    mka_runtime(const mka_runtime&) = delete;
    mka_runtime& operator=(const mka_runtime&) = delete;

    unsigned poll(time_point now) { return (_mka ? _mka->poll(now) : 0) + _macsec->poll(); }

    // `set lag NAME macsec rekey`: a new SAK on every member where this side
    // is the key server. Refused (naming the key server) when it is that on
    // none; the reply names the members rekeyed and those it is not.
    result<std::string> rekey(time_point now);
    // `set lag NAME macsec ckn HEX cak-file PATH [cipher C] [encryption E]`:
    // every member takes the new key (mka_driver::change_key: members that
    // stay secured lose nothing; the far end has 30 s to take the same key),
    // or MKA starts again after `unset`. The CAK file is checked as at start
    // (mode, syntax, the profile's rule on its length); the encryption mode
    // cannot change at run time. Updates `l.macsec` (show/save config).
    result<std::string> set_key(lag_config& l, std::string_view ckn_hex, const std::string& cak_file,
                                std::string_view cipher, std::string_view encryption, time_point now);
    // `unset lag NAME macsec`: MACsec off on every member (clear traffic).
    result<std::string> unset(lag_config& l, time_point now);
    // The three commands above, from the control socket.
    result<std::string> command(lag_config& l, const cli::parsed_command& c, time_point now);

    mka_view view(std::string_view port) const;
    // One line per member: session, key server, peers, SAK, MKPDUs, drops.
    void print() const;

    const ctl::macsec_driver& macsec() const noexcept { return *_macsec; }
    ctl::macsec_driver& macsec() noexcept { return *_macsec; }
    const ctl::mka_driver* driver() const noexcept { return _mka.get(); }

private:
    mka_runtime(const daemon_config& cfg, ctl::control& c, std::vector<ctl::member_binding> members,
                rte_mempool* pool, uint16_t queue)
        : _cfg(cfg), _control(c), _bindings(std::move(members)), _tx(pool, queue) {}
    result<void> start_driver(const lag_config& l, const secret<32>& cak, time_point now);

    const daemon_config& _cfg;
    ctl::control& _control;
    std::vector<ctl::member_binding> _bindings;
    ctl::queue_tx _tx;
    std::unique_ptr<mka::ipsecmb_crypto> _crypto;
    std::unique_ptr<ctl::macsec_driver> _macsec;
    std::unique_ptr<ctl::mka_driver> _mka;
};

} // namespace lag::lagd
