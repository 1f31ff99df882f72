#pragma once
// What a worker does on a port beyond its own RX/TX queue pair (issue 17 §2).
//
// Control frames of a member without a spare TX queue: a member whose
// device has no TX queue beyond the workers' (net_af_packet with one queue
// pair, net_pcap with one tx stream) cannot give control one of its own.
// Control then enqueues that member's LACPDUs and MKPDUs on the member's
// SP/SC ring (one producer: the control core; one consumer: the draining
// worker), and the worker owning TX queue 0 drains every ring of the
// members in its snapshot into its own TX queue 0, between bursts. Each ring
// counts what was enqueued, what the ring had no room for, what was sent,
// and what the TX queue did not take.
//
// RX queues: a device whose RX queues exist from its probe
// (net_af_packet's qpairs=N fans frames out over N sockets; net_pcap's rx
// streams) may have more RX queues than there are workers. Each is polled:
// worker w of W polls queues w, w+W, w+2W, ... of every port (one worker may
// own several). rx_queues() says how many a port has (0: one per worker).
//
// Rings are made on the control path and live as long as the port_io
// (never freed while a worker may hold one); the worker path is noexcept,
// allocates nothing and takes no lock. Not for direct inclusion: use
// "dataplane/dataplane.hpp".

#include "common/result.hpp"
#include "dataplane/counters.hpp"
#include "dpdk/dpdk.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

struct rte_mbuf;
struct rte_ring;

namespace lag::dp {

struct snapshot;

// A plain copy of one ring's counters.
struct ctl_tx_totals {
    uint64_t enqueued = 0;  // control frames control put on the ring
    uint64_t ring_full = 0; // control frames dropped: the ring was full
    uint64_t sent = 0;      // control frames the worker's TX queue took
    uint64_t tx_full = 0;   // control frames dropped: the TX queue did not take them
};

class ctl_tx_ring {
public:
    // Slots per ring (one fewer usable): a few seconds of LACP and MKA.
    static constexpr unsigned ring_size = 256;
    // Frames one drain takes from one ring.
    static constexpr unsigned drain_burst = 32;

    explicit ctl_tx_ring(dpdk::ring_ptr ring) noexcept : _ring(std::move(ring)) {}
    ~ctl_tx_ring();
    ctl_tx_ring(const ctl_tx_ring&) = delete;
    ctl_tx_ring& operator=(const ctl_tx_ring&) = delete;

    // Control core only. Takes `m`: queued, or freed and counted
    // (ring_full). True if queued.
    bool enqueue(rte_mbuf* m) noexcept;
    // The draining worker only. Sends what the ring holds (at most
    // drain_burst frames) on (port, queue), retrying `tx_retries` times;
    // frees and counts the rest (tx_full). Returns frames sent.
    unsigned drain(uint16_t port, uint16_t queue, unsigned tx_retries = 4) noexcept;
    // Frames waiting.
    unsigned count() const noexcept;
    ctl_tx_totals totals() const noexcept;

private:
    dpdk::ring_ptr _ring;
    alignas(cache_line_size) counter _enqueued, _ring_full; // the control core's
    alignas(cache_line_size) counter _sent, _tx_full;       // the worker's
};

class port_io {
public:
    // `name_prefix` makes the rings' names unique in the process.
    explicit port_io(std::string name_prefix) : _prefix(std::move(name_prefix)) {}
    port_io(const port_io&) = delete;
    port_io& operator=(const port_io&) = delete;

    // Control path. Gives `port` a control-frame ring (made on first use,
    // kept for the port_io's life) and routes its control frames there:
    // call before the port is in any snapshot.
    result<void> use_ctl_ring(uint16_t port);
    // Control path: the port's control frames leave on a TX queue of its
    // own again (its ring, if any, stays and is still drained while the
    // port is a member).
    void use_own_queue(uint16_t port) noexcept;
    // Control path: the ring control frames of `port` go to (null: the
    // port has a TX queue for them).
    ctl_tx_ring* ctl_ring_in_use(uint16_t port) noexcept;
    // The ring of `port`, in use or not (null: none was made).
    const ctl_tx_ring* ctl_ring(uint16_t port) const noexcept;

    // Control path, before the port is in a snapshot: the RX queues `port`
    // was configured with (0: one per worker, the default).
    void set_rx_queues(uint16_t port, uint16_t n) noexcept;
    uint16_t rx_queues(uint16_t port) const noexcept {
        return port < max_ports ? _rxq[port].load(std::memory_order_relaxed) : 0;
    }

    // Control frames steered by rte_flow (drivers/net steer_control_frames)
    // to an RX queue of their own that the control core polls; elsewhere
    // the workers punt them. Control path only.
    static constexpr uint16_t no_queue = UINT16_MAX;
    struct steering {
        uint16_t queue = no_queue; // the control RX queue; no_queue: the punt path
        uint64_t refused = 0;      // times the device refused the rules (logged the first time)
        uint64_t polled = 0;       // frames control read off the queue
        uint64_t dropped = 0;      // of them, dropped: the punt ring was full
    };
    void set_steered(uint16_t port, uint16_t queue) noexcept;
    // Counts a refusal; true the first time for this port (log it then).
    bool steer_refused(uint16_t port) noexcept;
    steering steering_of(uint16_t port) const noexcept;
    // Control core: reads the steered queues of the snapshot's members and
    // hands the frames to the punt ring as a worker would (mbuf->port set;
    // the ring full: freed, counted). Returns frames read.
    unsigned poll_steered(const snapshot& s, rte_ring* punt) noexcept;

    // Worker path (the worker owning TX queue `queue` of every member):
    // drains the rings of the snapshot's members into that queue. Returns
    // frames sent.
    unsigned drain(const snapshot& s, uint16_t queue) noexcept;

private:
    std::string _prefix;
    std::array<std::unique_ptr<ctl_tx_ring>, max_ports> _owned; // the control core's
    std::array<bool, max_ports> _in_use{};                       // the control core's
    std::array<std::atomic<ctl_tx_ring*>, max_ports> _rings{};   // what workers drain
    std::array<std::atomic<uint16_t>, max_ports> _rxq{};
    std::array<steering, max_ports> _steer{}; // the control core's
};

} // namespace lag::dp
