#pragma once
// lib/engine: a LAG host that runs: host_model's lifecycle rules, each
// port's device through a port_io, LACP per LAG (one lacp::group, its
// LACPDUs sent on each member's control TX queue) and, on a LAG with a key,
// one MKA participant per member under the LAG's CKN/CAK (MKPDUs on the
// same queue). A member that joins a keyed LAG gets a new participant under
// that LAG's key before the operation commits; one that leaves ends its
// session (its old key dropped). The SAs MKA distributes go nowhere yet:
// the engine has no SecY (the daemon's mka_runtime does that). Pure and deterministic:
// `now` is passed in, devices are whatever port_io the caller hands it (the
// fake one in tests/scenario, where two hosts run back to back in virtual
// time).
//
// Every operation is staged: the rules on a trial copy of the model first,
// then every device start it needs, each pushing its undo on one rollback
// log; a refusal from either undoes those and leaves the host as it was
// (model, devices and LACP). Only then, where nothing can fail any more, do
// the LACP groups change and the trial is committed. A port has a started
// device exactly while it has a role (access or member); a standalone port
// is stopped.

#include "common/bytes.hpp"
#include "common/mac_addr.hpp"
#include "common/time.hpp"
#include "engine/engine.hpp"
#include "engine/port_io.hpp"
#include "lacp/lacp.hpp"
#include "lag/buckets.hpp"
#include "mka/mka.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace lag::engine {

struct host_port {
    std::string name;
    std::string device; // what port_io::probe takes
    model::port_speed speed = model::port_speed::g10;
    mac_addr mac;       // its LACPDUs' source (and set on the device)
};

struct host_config {
    mac_addr system;                                // LACP system id
    lacp::lacp_rate rate = lacp::lacp_rate::fast;
    port_setup access{.rx_queues = 1, .tx_queues = 1};
    port_setup member{.rx_queues = 1, .tx_queues = 2}; // the last TX queue: control frames
    // MKA: keys need a crypto provider (set_key refuses "no-crypto" without).
    mka::crypto_provider* crypto = nullptr;
    cipher_suite suite = cipher_suite::gcm_aes_256;
    uint8_t key_server_priority = 16;
};

struct host_counters {
    uint64_t frames_in = 0;
    uint64_t frames_dropped = 0; // not from a member, or LACP refused to parse it
    uint64_t frames_out = 0;
    uint64_t tx_failed = 0;
    uint64_t mkpdus_dropped = 0; // a participant refused it (or no participant)
};

class host {
public:
    host(port_io& io, host_config cfg, const model::profile& p = model::provider_profile());
    host(const host&) = delete;
    host& operator=(const host&) = delete;
    ~host();

    // A port the host may use (its device is opened when it takes a role).
    result<void> add_port(const host_port& p);

    // host_model's operations (the same rules and refusals), carried out on
    // the devices and LACP. A device that refuses to start refuses the whole
    // operation, and nothing has changed.
    result<model::events> create_lag(const lag_spec& s, time_point now);
    result<model::events> delete_lag(std::string_view lag, time_point now);
    result<model::events> add_member(std::string_view lag, std::string_view port, time_point now);
    result<model::events> remove_member(std::string_view lag, std::string_view port, time_point now);
    result<model::events> set_min_links(std::string_view lag, unsigned n, time_point now);
    // The LAG's MKA key (CKN as hex, CAK 16 or 32 octets, as the profile
    // allows for the LAG's speed): every member's participant restarts under
    // it, all or none. unset_key ends them. `must_encrypt`: a member
    // distributes (in the model, so in the bucket table) only while LACP
    // lets it and its MKA session is secured; a new session (a member that
    // joins, or a new key) closes the gate until it secures.
    result<model::events> set_key(std::string_view lag, std::string ckn_hex, const mka::key_secret& cak,
                                  time_point now, bool must_encrypt = false);
    result<model::events> unset_key(std::string_view lag, time_point now);

    // A slow-protocols frame received on a port's device, by port id.
    void on_frame(uint16_t device, byte_view frame, time_point now);
    // Link changes (read through port_io) and LACP's timers.
    void tick(time_point now);
    std::optional<time_point> next_deadline() const;

    const host_model& model() const noexcept { return _hm; }
    // The device id of an open port (one with a role).
    std::optional<uint16_t> device(std::string_view port) const;
    // The port a device id is open as, or null.
    const std::string* port_of(uint16_t device) const;
    // LACP lets the member distribute (false for any other port).
    bool distributing(std::string_view port) const;
    // The LACP key its LACPDUs carry as a member (nullopt: not a member).
    std::optional<uint16_t> lacp_key(std::string_view port) const;
    // The CKN (hex) the member's MKA session runs with; nullopt: none.
    std::optional<std::string> mka_ckn(std::string_view port) const;
    // Its MKA session is secured (a live peer, a SAK in use).
    bool mka_secured(std::string_view port) const;
    // The LAG's bucket table (flow hash bucket -> member device id, or
    // model::no_member), rebuilt from its distributing members whenever they
    // change (lib/lag's rebuild_buckets: buckets of a member that stays
    // keep it). Empty for an unknown LAG.
    const std::vector<uint16_t>& buckets(std::string_view lag) const;
    const host_counters& counters() const noexcept { return _counters; }

    // host_model's invariants, and: a port's device is open and started
    // exactly while it has a role; each member is in its LAG's LACP group
    // and in no other; every LACP group is a LAG's; a port runs an MKA
    // session exactly while it is a member of a keyed LAG, under its CKN;
    // every bucket names a distributing member of its LAG, or none; the
    // model's distributable is LACP's verdict through the must_encrypt gate.
    result<void> check_invariants() const;

private:
    struct lacp_lag;
    struct open_port {
        uint16_t id;
        bool member;
    };
    // Opens and starts `port`'s device for `role` unless it already is;
    // pushes the undo (stop) on `undo`.
    result<void> open(const std::string& port, bool member, rollback& undo);
    void close(const std::string& port);
    // LACP: `port` joins (or leaves) the group of `lag`.
    void attach(const std::string& lag, const std::string& port, time_point now);
    void detach(const std::string& port, time_point now);
    void flush(lacp_lag& l, time_point now);
    // Every LAG's bucket table from its distributing members now.
    void redistribute();
    // A participant for `port` under `lag`'s key (none when it has none):
    // made before an operation commits, so a bad key refuses it.
    struct lag_key;
    result<std::optional<mka::participant>> participant_for(const std::string& port, const lag_key* key,
                                                            time_point now) const;
    const lag_key* key_of(std::string_view lag) const;
    void install(const std::string& port, std::optional<mka::participant>&& p, time_point now);
    void flush_mka(const std::string& port, mka::actions&& a);

    port_io& _io;
    host_config _cfg;
    host_model _hm;
    std::map<std::string, host_port, std::less<>> _ports;
    std::map<std::string, open_port, std::less<>> _open;
    std::map<std::string, std::unique_ptr<lacp_lag>, std::less<>> _lacp; // by LAG
    std::map<std::string, std::vector<uint16_t>, std::less<>> _buckets;  // by LAG
    struct lag_key {
        std::string ckn; // hex
        mka::key_secret cak;
        bool must_encrypt = false;
    };
    // The model's distributable for a member: LACP's verdict, and under
    // must_encrypt its session secured.
    bool gate_open(const std::string& port) const;
    void apply_distributable(const std::string& port);
    std::map<std::string, bool, std::less<>> _lacp_distributing; // LACP's verdict, by member
    std::map<std::string, lag_key, std::less<>> _keys;                 // by LAG
    std::map<std::string, mka::participant, std::less<>> _participants; // by member
    std::optional<time_point> _mka_due; // the next MKA tick, while any runs
    static constexpr duration mka_tick = milliseconds(100);
    uint16_t _next_lag_number = 1;
    host_counters _counters;
};

} // namespace lag::engine
