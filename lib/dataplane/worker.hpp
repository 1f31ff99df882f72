#pragma once
// The poll-mode worker: one per worker lcore, owning RX queue `queue` and TX
// queue `queue` of the access port and of every member.
//
//   egress:  RX burst from the access port -> one pass over the burst:
//            hash each frame (for the CRC32 policies an inline fast path for
//            untagged or 802.1Q IPv4/IPv6 TCP/UDP, no indirect call per
//            frame; the general parser for the rest), bucket -> member slot,
//            bit i set in that slot's 64-bit mask -> per member, its frames
//            in arrival order from the set bits into a fixed
//            [max_members][burst] array (each frame touched once, whatever
//            the member count) ->
//            one rte_eth_tx_burst per member, retried up to tx_retries times,
//            then the tail is freed and counted (tx_full). While the LAG is
//            down the whole burst is freed and counted (lag_down).
//   ingress: RX burst from every member -> EtherType 0x8809 (slow protocols)
//            and 0x888E (EAPOL) go to the punt ring with mbuf->port set to the
//            member's port id (ring full: freed, punt_full); frames from a
//            member that is not collecting are freed (not_collecting); the
//            rest go to the access port in one TX burst. For a collecting
//            member without MACsec this is one branch-free pass; a burst
//            holding a frame to punt takes a second one.
//
// MACsec (802.1AE), per member port, when control sent the worker a SecY for
// it (message macsec_secy): egress frames chosen for that member are
// protected in one pass of ipsec-mb GCM calls (secy::protect_burst) before
// the TX burst; ingress frames from it that are neither punted nor dropped
// as not collecting are verified and decrypted in one pass (verify_burst),
// and what verify refuses is freed and counted (macsec_rx[rx_status] and
// drop_reason::macsec_rx; the SecY keeps the 802.1AE counters). Unprotected
// frames: dropped under validate strict, passed otherwise, as the SecY says.
// 0x8809 and 0x888E frames are punted before verify and never protected
// here. Each worker protects with its own crypto::engine (worker_config).
//
// Every RX queue of a port is polled: a device with more RX queues than
// there are workers (net_af_packet qpairs=N) has queue q polled by worker
// q mod W, in extra rounds of the same egress and ingress passes. After its
// bursts, the worker owning queue 0 sends the control frames waiting on the
// rings of members without a spare TX queue (port_io::drain).
//
// Between bursts the worker drains its control ring (new snapshots), and at
// the end of every poll_once() it reports a quiescent state on the RCU QSBR
// variable: after that it holds no pointer to any snapshot it was sent a
// replacement for. The worker path is noexcept and does no allocation, no
// locking and no system call. Every mbuf is either sent or freed.
//
// Not for direct inclusion: use "dataplane/dataplane.hpp".

#include "dataplane/counters.hpp"
#include "dataplane/snapshot.hpp"

#include <array>
#include <atomic>
#include <cstdint>

namespace lag::crypto {
class engine;
}
namespace lag::macsec {
class secy;
}

struct rte_mbuf;
struct rte_ring;
struct rte_rcu_qsbr;

namespace lag::dp {

struct control_message;
class port_io;

inline constexpr uint16_t max_burst = 64;

struct worker_config {
    unsigned id = 0;              // RCU thread id: 0 .. (qsbr's max threads - 1)
    uint16_t queue = 0;           // RX/TX queue index this worker owns on every port
    const snapshot* initial = nullptr; // required: the snapshot to start with
    rte_ring* control_ring = nullptr;  // SP/SC ring of control_message; null: none
    rte_ring* punt_ring = nullptr;     // MP/SC ring of rte_mbuf*; null: punts counted as punt_full
    rte_rcu_qsbr* qsbr = nullptr;      // null: no quiescence reporting
    uint16_t burst = 32;               // RX burst size, 1 .. max_burst
    uint16_t tx_retries = 8;           // extra TX attempts for a partially sent burst
    crypto::engine* engine = nullptr;  // this worker's ipsec-mb manager; null: MACsec messages refused
    // Ports' extra RX queues and members' control-frame rings (ctl_tx.hpp);
    // null: one RX queue per worker, no rings. The worker owning queue 0
    // drains the rings. queue_stride: the number of workers (this one polls
    // RX queues queue, queue + stride, ... of a port that has more).
    port_io* io = nullptr;
    uint16_t queue_stride = 1;
};

class alignas(cache_line_size) worker {
public:
    // Builds a worker from `cfg` (see worker_config). Control path: call it on
    // the control core before launching. If cfg.qsbr is set, registers
    // cfg.id on it and marks it online (the destructor takes it offline and
    // unregisters it). The snapshot in cfg.initial, and every snapshot sent
    // later, must stay valid until the worker reported quiescence after
    // being sent a replacement (or is destroyed). burst is clamped to
    // [1, max_burst]. Does not touch the ports: they must be configured with
    // at least queue+1 RX and TX queues and started.
    explicit worker(const worker_config& cfg) noexcept;
    ~worker();
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    // One iteration: drain control messages, one egress RX burst, one RX burst
    // per member, report quiescence. Returns the number of frames received.
    unsigned poll_once() noexcept;

    // poll_once() until `quit` becomes true.
    void run(const std::atomic<bool>& quit) noexcept;

    // For rte_eal_remote_launch: arg is a `launch_arg*`.
    struct launch_arg {
        worker* w;
        const std::atomic<bool>* quit;
    };
    static int lcore_main(void* arg) noexcept;

    const worker_counters& counters() const noexcept { return _counters; }
    const snapshot* current() const noexcept { return _snap; }
    // The SecY this worker drives for a port (null: MACsec off there). For
    // reading counters after the worker stopped.
    const macsec::secy* secy_of(uint16_t port) const noexcept { return port < max_ports ? _secy[port] : nullptr; }
    unsigned id() const noexcept { return _cfg.id; }

private:
    void apply_messages() noexcept;
    // Round r polls RX queue queue + r * queue_stride of each port that has
    // it (round 0: the worker's own queue).
    unsigned egress(unsigned round) noexcept;
    unsigned ingress(unsigned round) noexcept;
    // The rounds this poll takes: 1 unless a port has more RX queues than
    // there are workers.
    unsigned rx_rounds(const snapshot& s) const noexcept;
    // RX queue of `port` for `round`; no_queue if the port has none there.
    static constexpr uint16_t no_queue = UINT16_MAX;
    uint16_t rx_queue(uint16_t port, unsigned round) const noexcept;
    // Sends n frames on (port, queue) with retries, frees and counts the
    // rest. `bytes` is the sum of their pkt_len (callers have it: no pass
    // over the frames here). Returns frames sent.
    uint16_t send(uint16_t port, rte_mbuf** pkts, uint16_t n, uint64_t bytes) noexcept;
    // Egress: hashes _rx[0, n) and sets bit i of mask[slot] for each frame i
    // (slot: the bucket table's, drop_slot included).
    void hash_into(const snapshot& s, uint16_t n, uint64_t* mask) noexcept;
    void apply_macsec(const control_message& m) noexcept;
    // Protects pkts in place; frees and counts what protect refused; the
    // frames to send are compacted to the front. Returns their number and
    // sets `bytes` to their length.
    uint16_t protect(uint16_t port, macsec::secy& sy, rte_mbuf** pkts, uint16_t n, uint64_t& bytes) noexcept;
    // Verifies pkts; appends what is delivered to `out`, frees and counts
    // the rest. Returns the number appended and adds their length to `bytes`.
    uint16_t verify(uint16_t port, macsec::secy& sy, rte_mbuf** pkts, uint16_t n, rte_mbuf** out,
                    uint64_t& bytes) noexcept;

    worker_counters _counters;
    worker_config _cfg;
    const snapshot* _snap;
    std::array<frame_hash_fn, 4> _crc32_hash{}; // crc32_hash_function(policy), by policy
    alignas(cache_line_size) rte_mbuf* _rx[max_burst];
    rte_mbuf* _out[max_members + 1][max_burst];
    rte_mbuf* _fwd[max_members * max_burst];
    rte_mbuf* _punt[max_burst];
    rte_mbuf* _mx[max_burst];
    std::array<macsec::secy*, max_ports> _secy{};
};

} // namespace lag::dp
