#pragma once
// lib/mka internal: a chain of CAKs on one port (802.1X-2020 lets a port take
// part in several CAs). Pure: frames and `now` in, actions out. Not for
// direct inclusion: include "mka/mka.hpp".
//
// One participant runs per key in effect:
//   - a primary key's participant starts at the key's start time and runs
//     beside the one in use;
//   - the port transmits with the CA in use: the newest started primary whose
//     session is secured with its transmit SA enabled (live with the peer,
//     its SAK installed both ways). A newer one taking over is a rollover:
//     the previous CA is disassociating for a life time (the peer moves its
//     own traffic meanwhile; its receive SAs stay), then its SAs retire and
//     its participant ends;
//   - a newer key the far end never takes keeps associating; the old one
//     stays in use;
//   - the fallback key's participant starts only once no primary has been
//     secured for `fallback_after` (none live with the peer, or live but
//     unable to secure), is used only while no primary is ready, and
//     retires (a life time later) once a primary is back in use.
// A transmit SA enable of a CA not in use is held back and applied when the
// CA takes over; secured_changed follows the CA in use only.
//
// The four ANs of a port's SCs are shared by the CAs: a new participant's
// first AN (as key server) is the next one after the CA in use's latest, so
// two dpdk-lagd ends agree, and as key server a participant skips the ANs
// the other CAs hold (participant::set_reserved_ans); SAs under an AN
// another CA holds are not retired by this one.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "mka/participant.hpp"

namespace lag::mka {

// As the provider names them.
enum class key_state : uint8_t {
    associating,    // its participant runs; the port does not transmit with it
    associated,     // the CA the port transmits with
    disassociating, // superseded: its SAs retire a life time after
    disassociated,  // not started yet, retired, or (fallback) not needed
};

constexpr std::string_view to_string(key_state s) {
    switch (s) {
    case key_state::associating: return "associating";
    case key_state::associated: return "associated";
    case key_state::disassociating: return "disassociating";
    case key_state::disassociated: return "disassociated";
    }
    return "?";
}

struct chain_key {
    std::vector<uint8_t> ckn; // 1..32 octets
    key_secret cak;           // 16 or 32 octets
    std::optional<time_point> start; // none: at once
};

struct key_chain_config {
    participant_config base; // the port's; its ckn and cak are not used; first_an: the
                             // first key server AN while no CA holds one
    std::vector<chain_key> keys; // primaries, any order; CKNs distinct
    std::optional<chain_key> fallback;
    duration fallback_after = mka_life_time;
};

struct key_status {
    mka::ckn ckn{};
    std::optional<time_point> start; // none: at once
    bool fallback = false;
    key_state state = key_state::disassociated;
    bool running = false; // its participant runs
    bool secured = false; // that participant's session is secured
};

struct key_chain_counters {
    uint64_t rollovers = 0;            // transmission moved to a newer primary
    uint64_t fallback_activations = 0; // transmission moved to the fallback
    uint64_t fallback_returns = 0;     // back to a primary from the fallback
    uint64_t fallback_starts = 0;      // the fallback's participant started
    uint64_t unknown_ckn = 0;          // MKPDUs of a CA no key of the chain names
};

class key_chain {
public:
    // Checks every key (CKN 1..32 octets, CAK 16 or 32, distinct CKNs, at
    // least one primary) and starts the participants of the keys in effect.
    static result<key_chain> create(key_chain_config cfg, crypto_provider& c, time_point now);

    actions on_mkpdu(std::span<const uint8_t> frame, time_point now);
    actions tick(time_point now);
    // To the CA in use (its transmit SA is the one in use).
    actions report_tx_pn(uint64_t next_pn, time_point now);
    // To the CA whose key holds `an`.
    actions report_rx_pn(uint8_t an, uint64_t lowest_pn, time_point now);
    actions rekey(time_point now);           // the CA in use's
    actions request_new_sak(time_point now); // the CA in use's
    actions set_offset(confidentiality_offset o, time_point now); // every running CA
    void set_rekey_interval(duration d);

    // A primary key; its participant starts at `start` (at once when none or
    // past). Refused: a bad CKN/CAK, a CKN already in the chain.
    result<void> add_key(chain_key k, time_point now);
    // A primary key goes: its participant ends and its SAs retire (those
    // under an AN another CA holds excepted). Refused: no such key, or the
    // last primary.
    result<actions> remove_key(std::span<const uint8_t> ckn, time_point now);
    // The fallback key, or none; a running fallback participant of another
    // CKN ends (its SAs retire).
    result<actions> set_fallback(std::optional<chain_key> k, time_point now);

    bool secured() const;
    // The participant of the CA in use, if any.
    const participant* in_use() const;
    // In use, else the newest running primary, else any running one: for
    // status displays. Never null: create starts a primary and remove_key
    // keeps one in effect.
    const participant* current() const;
    participant* current();
    std::optional<mka::ckn> ckn_in_use() const;
    bool using_fallback() const;
    std::vector<key_status> keys() const;
    const key_chain_counters& counters() const { return _counters; }
    // Every running participant (status, tests).
    std::vector<const participant*> participants() const;

private:
    struct ca {
        chain_key key;
        mka::ckn name{};
        bool fallback = false;
        bool retired = false; // superseded for good (primary)
        std::optional<participant> p;
        std::optional<time_point> retire_at;
        std::array<std::optional<key_identifier>, 4> ans{}; // its SAs by AN
        std::optional<enable_tx_sa> enabled; // its latest enable, applied or held back
        uint64_t order = 0;                  // start order, for "newest"
    };
    static constexpr size_t none = static_cast<size_t>(-1);

    key_chain(key_chain_config cfg, crypto_provider& c) : _cfg(std::move(cfg)), _crypto(&c) {}
    static result<void> check(const chain_key& k);
    time_point start_of(const ca& c) const { return c.key.start.value_or(time_point{}); }
    bool ready(const ca& c) const;
    participant& part(size_t i); // with the ANs the other CAs hold reserved
    void filter(size_t i, actions&& in, actions& out);
    void evaluate(time_point now, actions& out);
    void start_due(time_point now);
    result<void> start(size_t i, time_point now);
    uint8_t first_an_for(size_t i) const;
    void retire(size_t i, actions& out);
    void update_secured(actions& out);
    size_t find(std::span<const uint8_t> ckn) const;

    key_chain_config _cfg;
    crypto_provider* _crypto;
    std::vector<ca> _cas;
    size_t _in_use = none;
    bool _secured = false;
    std::optional<time_point> _primaries_quiet_since;
    uint64_t _next_order = 1;
    key_chain_counters _counters;
};

} // namespace lag::mka
