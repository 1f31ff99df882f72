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

#include <map>
#include <memory>
#include <optional>
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

// The chain's other keys ([[lag.macsec.key]]) and the fallback key, their
// CAK files read and checked as the first one's (mode, syntax, the profile's
// rule on the length), into `c`, with the first key's start. Start times
// (wall clock, UTC) become time_points against `now`.
result<void> load_chain_keys(const daemon_config& cfg, const lag_config& l, ctl::mka_driver_config& c,
                             time_point now);

class mka_runtime {
public:
    // MKA off (no participant, no SecY) until set_key: what a LAG started
    // without MACsec gets on `set lag NAME macsec ckn ...`. Every member has
    // a TX queue `control_queue` no worker uses. Kept until the LAG stops
    // (its macsec_driver frees SAs only after the workers are past them).
    static result<std::unique_ptr<mka_runtime>> create(const daemon_config& cfg, ctl::control& c, rte_mempool* pool,
                                                       uint16_t control_queue);
    // create, then MKA on every member of the control with `l.macsec`.
    static result<std::unique_ptr<mka_runtime>> start(const daemon_config& cfg, const lag_config& l,
                                                      ctl::control& c, rte_mempool* pool, uint16_t control_queue,
                                                      time_point now);
    mka_runtime(const mka_runtime&) = delete;
    mka_runtime& operator=(const mka_runtime&) = delete;

    unsigned poll(time_point now) {
        _now = now;
        return (_mka ? _mka->poll(now) : 0) + _macsec->poll();
    }

    // `set lag NAME macsec rekey`: a new SAK on every member where this side
    // is the key server. Refused (naming the key server) when it is that on
    // none; the reply names the members rekeyed and those it is not.
    result<std::string> rekey(time_point now);
    // `set lag NAME macsec rekey-interval N`: the key server of every member
    // distributes a new SAK once its latest is N seconds old (0: off), from
    // now on and in the config (`l.macsec.rekey_interval`).
    result<std::string> set_rekey_interval(lag_config& l, std::string_view seconds);
    // `set lag NAME macsec ckn HEX cak-file PATH [cipher C] [encryption E]`:
    // every member takes the new key (mka_driver::change_key: members that
    // stay secured lose nothing; the far end has 30 s to take the same key),
    // or MKA starts (a LAG started without MACsec, or after `unset`). The CAK
    // file is checked as at start (mode, syntax, the profile's rule on its
    // length). A new encryption mode applies to every member's SecY with
    // the sessions and SAs kept (mka_driver::change_mode); with the CKN,
    // CAK file and suite in use, only the mode changes. Updates `l.macsec`
    // (show/save config); a refusal changes nothing.
    result<std::string> set_key(lag_config& l, std::string_view ckn_hex, const std::string& cak_file,
                                std::string_view cipher, std::string_view encryption, time_point now);
    // `unset lag NAME macsec`: MACsec off on every member (clear traffic).
    result<std::string> unset(lag_config& l, time_point now);
    // `add lag NAME macsec key ckn HEX cak-file PATH [start TIME]` and
    // `remove lag NAME macsec key ckn HEX`: the LAG's key chain on every
    // member (mka_driver::add_key/remove_key), and `l.macsec`. TIME: RFC
    // 3339 or now (the default).
    result<std::string> add_key(lag_config& l, std::string_view ckn_hex, const std::string& cak_file,
                                std::string_view start, time_point now);
    result<std::string> remove_key(lag_config& l, std::string_view ckn_hex, time_point now);
    // `set lag NAME macsec fallback ckn HEX cak-file PATH`, `unset lag NAME
    // macsec fallback`.
    result<std::string> set_fallback(lag_config& l, std::string_view ckn_hex, const std::string& cak_file,
                                     time_point now);
    result<std::string> unset_fallback(lag_config& l, time_point now);
    // The three commands above, from the control socket.
    result<std::string> command(lag_config& l, const cli::parsed_command& c, time_point now);

    // Run-time membership. prepare_member: while MKA runs, everything that
    // can refuse a joining port (the CAK file, the profile's rules with it on
    // the port's speed), before any device is touched; the driver config it
    // returns (nullopt: MKA is off) goes to add_member once the port is
    // probed and started, before control takes it. The caller then adds the
    // port to the control with its gate open only if gate_open_at_join().
    result<std::optional<ctl::mka_driver_config>> prepare_member(const lag_config& l, const std::string& port) const;
    result<void> add_member(const ctl::member_binding& mb, const ctl::mka_driver_config& dc, time_point now);
    bool gate_open_at_join() const noexcept { return !_mka || _mka->gate_open_at_join(); }
    // After control::remove_member: its participant ends. released(): the
    // control released the port (no worker uses it): its SecY and SAs go
    // (freed, keys wiped, after QSBR).
    void remove_member(const std::string& port);
    void released(uint16_t port);
    bool running() const noexcept { return _mka != nullptr; }

    mka_view view(std::string_view port) const;
    // One line per member: session, key server, peers, SAK, MKPDUs, drops.
    void print() const;

    const ctl::macsec_driver& macsec() const noexcept { return *_macsec; }
    ctl::macsec_driver& macsec() noexcept { return *_macsec; }
    const ctl::mka_driver* driver() const noexcept { return _mka.get(); }

private:
    mka_runtime(const daemon_config& cfg, ctl::control& c, rte_mempool* pool, uint16_t queue)
        : _cfg(cfg), _control(c), _tx(pool, queue, c) {}
    result<void> start_driver(const lag_config& l, const secret<32>& cak, time_point now);

    const daemon_config& _cfg;
    ctl::control& _control;
    ctl::queue_tx _tx;
    time_point _now{}; // the last poll's: what show measures the time since the last rekey from
    bool _ever_on = false; // the exit print says "off" only for a LAG MKA ran on
    std::unique_ptr<mka::ipsecmb_crypto> _crypto;
    std::unique_ptr<ctl::macsec_driver> _macsec;
    std::unique_ptr<ctl::mka_driver> _mka;
    // The configured start (Unix seconds) by CKN in hex, for show: the
    // chain's time_points are against the control clock.
    std::map<std::string, int64_t> _starts;
    void note_starts(const macsec_config& m);
};

} // namespace lag::lagd
