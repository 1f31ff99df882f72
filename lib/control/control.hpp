#pragma once
// lib/control public header: the control core's loop for one LAG.
//
// control owns the lock-free plumbing between itself and the workers (one
// SP/SC message ring per worker, the MP/SC punt ring, the RCU QSBR variable)
// and the workers themselves, built with the first snapshot; the caller
// launches them (worker::lcore_main) or polls them itself. Each poll():
//   1. reads member link state (LSC flag, or polling every link_poll_interval),
//      feeds a static LAG's lag_model::set_distributable(), and mirrors the
//      LAG's up/down on the access port's link;
//   2. on any change, builds the next immutable snapshot (bucket table moved
//      as little as possible) and sends it to every worker;
//   3. frees old snapshots once every worker reported quiescence after it;
//   4. drains the punt ring into the punt_handler (then frees the mbufs).
// Control path: may allocate; never blocks on a worker.

#include "common/result.hpp"
#include "common/time.hpp"
#include "crypto/crypto.hpp"
#include "dataplane/dataplane.hpp"
#include "dpdk/dpdk.hpp"
#include "lag/lag.hpp"

#include <cstdint>
#include <array>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace lag::ctl {

// Where punted frames (slow protocols 0x8809, EAPOL 0x888E) go. LACP and MKA
// plug in here. The bytes are valid only during the call.
class punt_handler {
public:
    virtual ~punt_handler() = default;
    virtual void on_frame(uint16_t port, std::span<const uint8_t> frame, time_point now) = 0;
};

// Told about member link changes; for a LAG that LACP drives (static_lag
// false) this is how LACP learns a port went down.
class link_handler {
public:
    virtual ~link_handler() = default;
    virtual void on_link(uint16_t port, bool up, time_point now) = 0;
};

struct member_binding {
    std::string name; // port name in the LAG model
    uint16_t port;    // DPDK port id
    // Check the speed the device reports for the running link against the
    // LAG's (model::member_status::speed_mismatch). Off for a device whose
    // speed is a placeholder (a vdev), unless the config says otherwise.
    bool check_speed = false;
};

struct control_config {
    std::string lag;                     // LAG name in the model
    uint16_t access_port = 0;
    std::vector<member_binding> members; // slot order; at most dp::max_members
    dp::hash_policy policy = dp::hash_policy::l34;
    dp::hash_algo algo = dp::hash_algo::crc32;
    size_t bucket_count = model::default_bucket_count;
    uint32_t max_frame = 0;              // dp::snapshot::max_frame (0: no limit)
    unsigned workers = 1;                // worker i owns RX/TX queue i of every port
    uint16_t burst = 32;
    uint16_t tx_retries = 8;
    unsigned punt_ring_size = 1024;
    unsigned message_ring_size = 64;
    bool static_lag = true;              // link up == may distribute and collect
    bool mirror_access_link = true;      // access link down while the LAG is down
    duration link_poll_interval{0};      // 0: every poll()
    std::string name_prefix = "lag";     // for DPDK object names (unique per process)
    // Extra RX queues and control-frame rings of members without a spare TX
    // queue (dataplane/ctl_tx.hpp); outlives the control. Null: none.
    dp::port_io* io = nullptr;
};

// Control-side counters (plain: only control touches them).
struct control_counters {
    uint64_t polls = 0;
    uint64_t link_changes = 0;
    uint64_t speed_mismatches = 0; // a member's link came up at another speed than the LAG's
    uint64_t snapshots_published = 0;
    uint64_t snapshots_freed = 0;
    uint64_t message_ring_full = 0; // retried on the next poll
    uint64_t punted_frames = 0;
};

class control {
public:
    // Checks the config against the model (the LAG exists, the members are
    // its members in any order, at most dp::max_members), creates the rings,
    // the QSBR variable and the workers with the first snapshot (links as
    // they are now). `model` must outlive the control.
    static result<std::unique_ptr<control>> create(model::lag_model& model, const control_config& cfg);
    ~control();
    control(const control&) = delete;
    control& operator=(const control&) = delete;

    // One control iteration; returns the amount of work done (0 = idle).
    unsigned poll(time_point now);

    unsigned worker_count() const noexcept { return static_cast<unsigned>(_workers.size()); }
    dp::worker& worker(unsigned i) noexcept { return *_workers[i]; }

    // The default punt handler: frames no per-EtherType handler claims.
    void set_punt_handler(punt_handler* h) noexcept { _punt_handler = h; }
    // Punt demultiplexer: frames whose EtherType (octets 12-13) is
    // `ethertype` go to `h` instead of the default handler (nullptr removes
    // it). LACP stays the default (0x8809); MKA registers 0x888E. At most
    // max_punt_types EtherTypes; false if the table is full.
    static constexpr size_t max_punt_types = 4;
    bool set_punt_handler(uint16_t ethertype, punt_handler* h) noexcept;
    // Gate on a member's distribution, ANDed with what the link (static LAG)
    // or set_member_state (LACP) allows: MKA with must_encrypt closes it while
    // the member's session is not secured. Open by default. Publishes on change.
    result<void> set_member_gate(std::string_view port, bool open, time_point now);
    void set_link_handler(link_handler* h) noexcept { _link_handler = h; }

    // For a LAG driven by a protocol (static_lag false): whether the member
    // may distribute (fed to the model) and collect. Publishes on change.
    result<void> set_member_state(std::string_view port, bool distributing, bool collecting, time_point now);

    // Run-time changes from the control socket: each goes through the LAG
    // model (so its rules apply and a refusal changes nothing) and publishes
    // a new snapshot.
    result<void> set_min_links(unsigned n, time_point now);
    // Run-time membership. add_member: `mb.port` must already be configured
    // and started with the workers' queues (and, without static_lag, the
    // protocol's queue); the model adds it to the LAG (its rules apply, a
    // refusal changes nothing), it takes the next slot, and the snapshot
    // that includes it gives it an even share of the buckets.
    // `gate_open` false: it joins with its gate closed (set_member_gate), as
    // MKA's must_encrypt needs until its session secures.
    result<void> add_member(const member_binding& mb, time_point now, bool gate_open = true);
    // remove_member: the model removes it (refused below min-links), the
    // next snapshot leaves it out (only its buckets move). The workers may
    // still use the port until they pass a quiescent state after that
    // snapshot: take_released() hands out, once each, the DPDK ports no
    // worker can touch any more (then stop them). leaving() is true until then.
    result<void> remove_member(std::string_view name, time_point now);
    std::vector<uint16_t> take_released();
    bool leaving(uint16_t port) const noexcept;
    // The bucket table is kept: only the hash that indexes it changes.
    void set_hash(dp::hash_policy policy, dp::hash_algo algo, time_point now);
    // The longest frame egress sends (dp::snapshot::max_frame), e.g. after
    // the LAG's MTU changed; published at once.
    void set_max_frame(uint32_t max_frame, time_point now);
    const control_config& config() const noexcept { return _cfg; }

    const dp::snapshot& current() const noexcept { return *_current; }
    const control_counters& counters() const noexcept { return _counters; }
    // Summed over workers (and what the control core counted itself), read
    // without locks.
    dp::port_totals totals(uint16_t port) const noexcept;
    // Counters of frames the control core sends on a port (its MACsec
    // outcome: LACPDUs protected on the controlled port); control thread only.
    dp::port_counters& control_tx_counters(uint16_t port) noexcept { return _own.ports[port % dp::max_ports]; }
    const dp::port_counters& control_tx_counters(uint16_t port) const noexcept {
        return _own.ports[port % dp::max_ports];
    }
    size_t snapshots_awaiting_reclaim() const noexcept { return _snapshots_awaiting; }
    bool member_link(unsigned slot) const noexcept { return _link[slot]; }

    // For other control-core drivers (MACsec): enqueues one message on
    // worker i's ring, behind any snapshot already there. False if the ring
    // is full (retry later).
    bool post(unsigned worker, const dp::control_message& m) noexcept;
    rte_rcu_qsbr* qsbr() const noexcept { return _qsbr.get(); }
    // The one defer queue on the workers' QSBR variable: every driver frees
    // what the workers may still read through it (dpdk/grace.hpp). Hand an
    // item over only once every message naming its replacement is on the
    // workers' rings.
    dpdk::defer_queue& grace() noexcept { return *_grace; }

    // Call after every worker stopped: drains the punt ring and the message
    // rings and frees every retired snapshot.
    void shutdown();

private:
    control(model::lag_model& m, const control_config& c);
    dp::membership membership() const;
    void publish(time_point now, std::span<const uint16_t> renumber = {});
    void send_pending();
    void reclaim();
    unsigned poll_links(time_point now);
    // Feeds the model the speed of member slot i's link (up: what the device
    // reports, if checked); counts and logs a member that starts to mismatch.
    void read_speed(size_t i, bool up);
    unsigned drain_punt(time_point now);
    void apply_events(const model::events& ev);

    model::lag_model& _model;
    control_config _cfg;
    dpdk::qsbr_ptr _qsbr;
    dpdk::ring_ptr _punt;
    std::vector<dpdk::ring_ptr> _rings;
    std::vector<std::unique_ptr<crypto::engine>> _engines; // one per worker (ipsec-mb manager)
    std::vector<std::unique_ptr<dp::worker>> _workers;
    std::vector<bool> _pending; // per worker: current snapshot not yet enqueued
    std::unique_ptr<const dp::snapshot> _current;
    // Retired snapshots and leaving ports, until the newest snapshot is on
    // every worker's ring; then they go to _grace.
    std::vector<std::unique_ptr<dpdk::deferred>> _staged;
    size_t _snapshots_awaiting = 0;
    std::vector<bool> _link;       // per slot: last link state seen
    std::vector<bool> _collecting; // per slot
    bool _lsc_any = false;
    time_point _next_link_poll{};
    punt_handler* _punt_handler = nullptr;
    std::array<std::pair<uint16_t, punt_handler*>, max_punt_types> _punt_by_type{};
    std::vector<bool> _gate;        // per member slot, see set_member_gate
    std::vector<bool> _want_dist;   // what link / set_member_state asked for
    link_handler* _link_handler = nullptr;
    std::vector<uint16_t> _leaving;  // removed, some worker may still use them
    std::vector<uint16_t> _released; // no worker can use them any more
    control_counters _counters;
    dp::worker_counters _own; // control_tx_counters
    // Last: destroyed first, while what its items touch is still here.
    std::unique_ptr<dpdk::defer_queue> _grace;
};

} // namespace lag::ctl
