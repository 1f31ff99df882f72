#pragma once
// MKA (IEEE 802.1X-2020) on the control core: one lib/mka key chain per
// member (a participant per key in effect: the LAG's CKN/CAK, the keys
// added beside it, the fallback), driving the members' SecYs through
// macsec_driver.
//
// mka_driver registers itself with the control's punt demultiplexer for
// EAPOL (0x888E), so it lives beside lacp_driver (the default punt handler).
// MKPDUs leave on each member's control TX queue (a frame_tx, as LACP's).
// The participants' SA actions become macsec_driver calls, receive SAs first,
// then transmit SAs, then enable, then retire; MKPDUs are sent after. With
// must_encrypt a member's distribution is gated (control::set_member_gate)
// on its session being secured, ANDed with link-up (static LAG) or LACP.
// Control path only: may allocate; never blocks on a worker.
//
// Receive SCs: a peer's SCI is learnt from its MKPDUs; the first receive SA
// for it opens a receive SC on the workers (macsec_driver::add_rx_sc, through
// the control ring). A member may also name SCIs to open at start.

#include "common/cipher_suite.hpp"
#include "common/mac_addr.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "control/control.hpp"
#include "control/lacp_driver.hpp"
#include "control/macsec_driver.hpp"
#include "mka/mka.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lag::ctl {

enum class encryption_mode : uint8_t {
    no_encrypt,     // MACsec integrity only (no confidentiality); never gates
    should_encrypt, // encrypt once secured; until then (no MKA peer) the clear passes both ways,
                    // and a member distributes whether secured or not; secured, frames
                    // are validated strictly (the clear no longer passes), as 802.1X's CP does
    must_encrypt,   // encrypt; a member distributes only while secured
};

struct mka_member {
    std::string name;                 // port name in the LAG model
    uint16_t port;                    // DPDK port id
    mac_addr mac;                     // source of its MKPDUs, SCI address
    uint16_t port_id = 1;             // SCI port identifier
    std::vector<macsec::sci_t> peers = {}; // receive SCs to open at start (optional)
};

struct mka_driver_config {
    std::vector<uint8_t> ckn;  // 1..32 octets
    mka::key_secret cak;       // 16 or 32 octets
    // More primary keys of the LAG's key chain (lib/mka key_chain: each
    // key's participant runs from its start time beside the one in use, the
    // newest secured one carries the traffic), and a fallback key, used
    // only while no primary can secure.
    std::optional<time_point> start; // of the key above (none: in effect now)
    std::vector<mka::chain_key> more_keys;
    std::optional<mka::chain_key> fallback;
    uint8_t key_server_priority = 16;
    cipher_suite suite = cipher_suite::gcm_aes_128; // preferred: distributed as key server
    // Also announced and accepted from a key server that prefers one of them
    // (the SecYs take SAs of any suite, XPN or not).
    std::vector<cipher_suite> other_suites;
    mka::confidentiality_offset offset = mka::confidentiality_offset::offset_0;
    encryption_mode mode = encryption_mode::must_encrypt;
    uint32_t replay_window = 0;
    // LACPDUs on the SecYs' controlled ports (secy_config::protect_slow_protocols).
    bool protect_slow_protocols = true;
    // Transmit PN at which the SAK is rotated (0: lib/mka's defaults, 3/4 of
    // the PN space); tests make it small.
    uint64_t pn_threshold = 0;
    // The key server's SAK rekey interval (zero: off; lib/mka's participant_config).
    duration rekey_interval{0};
};

struct mka_driver_counters {
    uint64_t frames_in = 0;
    uint64_t not_a_member = 0;
    uint64_t frames_dropped = 0; // refused by the participant (bad ICV, CKN, ...)
    uint64_t frames_out = 0;
    uint64_t tx_failed = 0;
    uint64_t sa_failed = 0;    // macsec_driver refused an SA (receive SCs full, ...)
    uint64_t rx_scs_learnt = 0; // receive SCs opened for a peer heard at run time
    uint64_t rekeys = 0;        // SAK rotations asked for by rekey()
    uint64_t link_rekeys = 0;   // as key server, a new SAK when a member's link came back
    uint64_t replay_rekeys = 0; // a new SAK made or asked for when a peer sent PNs already taken
    uint64_t key_changes = 0;   // change_key() calls
    uint64_t keys_added = 0;    // add_key() calls that took
    uint64_t keys_removed = 0;  // remove_key() calls that took
    uint64_t apply_failed = 0; // control refused a gate change (a bug if ever non-zero)
};

class mka_driver final : public punt_handler {
public:
    // Creates a participant and a SecY (macsec_driver::add_port) per member,
    // closes their gates under must_encrypt, registers for EAPOL with `c`.
    // `c`, `macsec`, `crypto` and `tx` must outlive it.
    static result<std::unique_ptr<mka_driver>> create(control& c, macsec_driver& macsec,
                                                      mka::crypto_provider& crypto,
                                                      const mka_driver_config& cfg,
                                                      std::vector<mka_member> members, frame_tx& tx,
                                                      time_point now);
    ~mka_driver() override;
    mka_driver(const mka_driver&) = delete;
    mka_driver& operator=(const mka_driver&) = delete;

    void on_frame(uint16_t port, std::span<const uint8_t> frame, time_point now) override;
    // Ticks every participant (hello, peer expiry) and reports transmit PNs
    // near exhaustion; returns the number of members that had work.
    unsigned poll(time_point now);

    bool secured(size_t member) const noexcept { return _chains[member].secured(); }
    // The member's participant in use (else the newest running one).
    const mka::participant& participant(size_t member) const noexcept { return *_chains[member].current(); }
    const mka::key_chain& chain(size_t member) const noexcept { return _chains[member]; }
    const std::vector<mka_member>& members() const noexcept { return _members; }
    const mka_driver_counters& counters() const noexcept { return _counters; }
    int member_of(uint16_t port) const noexcept;

    // Asks the member's participant, if it is the key server of a live
    // session, for a new SAK now (distributed, installed receive first, the
    // old SAs kept until the peers moved). Refused on a member that is not
    // the key server (the partner is: ask it) or has no live peer.
    result<void> rekey(size_t member, time_point now);
    // The SAK rekey interval of every member's participant (zero: off); a
    // member's key server rotates once its latest SAK is that old.
    // Participants made later take their config's.
    void set_rekey_interval(duration d);

    // A new CKN/CAK (suites, priority) for every member, the same encryption
    // mode: each member gets a new participant; the previous CA's SAs stay in
    // use (and a must_encrypt gate open) until the new session secures and a
    // life time more passes, so a member that stays secured loses nothing. If
    // the new session has not secured after legacy_grace (the far end never
    // took the new key), the old SAs are retired and the gate closes.
    result<void> change_key(const mka_driver_config& cfg, time_point now);
    static constexpr duration legacy_grace = std::chrono::seconds(30);
    // A primary key for every member's chain (its participant runs from
    // `start`, beside the one in use; traffic moves once it secures), or
    // one goes (its SAs retire; not the last one in effect). A refusal on
    // any member changes nothing: every chain is checked first.
    result<void> add_key(const mka::chain_key& k, time_point now);
    result<void> remove_key(std::span<const uint8_t> ckn, time_point now);
    // The fallback key of every member (none: no fallback).
    result<void> set_fallback(const std::optional<mka::chain_key>& k, time_point now);
    // A new encryption mode (cfg.mode; cfg.offset where the key server gave
    // none) for every member, the sessions and SAs kept: each member's SecYs
    // take the mode's policy (confidentiality, clear_without_sa, validate)
    // between two bursts (macsec_driver::set_policy), so no frame is lost to
    // the change; must_encrypt closes the gate of a member that is not
    // secured, the other modes open it. A refusal changes nothing.
    result<void> change_mode(const mka_driver_config& cfg, time_point now);
    encryption_mode mode() const noexcept { return _mode; }

    // Run-time membership. add_member: a participant with the LAG's CA
    // (`cfg`: the same mode as the driver's) and a SecY for a port the
    // control has not taken yet; then the caller adds it to the control with
    // its gate open only when gate_open_at_join() (must_encrypt: closed until
    // secured). remove_member: after control::remove_member; the participant
    // goes (its ICK/KEK wiped), no SA action reaches the port any more. Its
    // SecY and SAs stay on the workers until the control released the port
    // (no snapshot a worker holds names it): then the caller removes them
    // (macsec_driver::remove_port: freed, keys wiped, after QSBR), so no
    // worker ever sends on it without its SecY.
    result<void> add_member(const mka_member& mb, const mka_driver_config& cfg, time_point now);
    bool gate_open_at_join() const noexcept { return _mode != encryption_mode::must_encrypt; }
    result<void> remove_member(std::string_view name);
    // MACsec off on every member (macsec_driver::remove_port), must_encrypt
    // gates open, EAPOL no longer claimed; poll() does nothing after.
    void stop(time_point now);
    bool stopped() const noexcept { return _stopped; }

private:
    mka_driver(control& c, macsec_driver& m, mka::crypto_provider& crypto, const mka_driver_config& cfg,
               std::vector<mka_member> members, frame_tx& tx)
        : _control(c), _macsec(m), _crypto(crypto), _mode(cfg.mode), _pn_threshold(cfg.pn_threshold),
          _members(std::move(members)), _tx(tx) {}
    void apply(size_t i, const mka::actions& a, time_point now);
    result<mka::key_chain> make_chain(const mka_member& mb, const mka_driver_config& cfg, uint8_t first_an,
                                      time_point now);
    void retire_legacy(size_t i, time_point now);
    result<void> add_secy(const mka_member& mb, const mka_driver_config& cfg);

    struct legacy_keys { // a previous CA's SAs still installed (change_key)
        std::vector<uint8_t> ans;
        std::optional<time_point> retire_at;
        time_point deadline;
    };

    control& _control;
    macsec_driver& _macsec;
    mka::crypto_provider& _crypto;
    encryption_mode _mode;
    uint64_t _pn_threshold;
    std::vector<mka_member> _members;
    std::vector<mka::key_chain> _chains;
    std::vector<uint8_t> _active_an; // per member: AN enabled for transmit, 0xFF none
    std::vector<mka::confidentiality_offset> _key_offset; // per member: the key server's, with its last SAK
    std::vector<std::optional<legacy_keys>> _legacy;
    bool _stopped = false;
    time_point _next_watch{}; // when poll next reads the SAs' PNs and the links
    // Per member, as poll last read them.
    struct member_watch {
        bool link = false;
        uint8_t an = 0xFF;    // the latest key's AN
        uint64_t lowest = 0;  // its receive SAs' lowest acceptable PN
        uint64_t late = 0;    // and late drops
        std::optional<time_point> replay_rekey_at;
    };
    std::vector<member_watch> _watch;
    // Every 10 ms per member: the receive SAs' PNs to the participant, and
    // a new SAK on the member's link return or its peer's PN reuse.
    void watch(size_t i, mka::actions& a, time_point now);
    frame_tx& _tx;
    mka_driver_counters _counters;
};

} // namespace lag::ctl
