#pragma once
// Per-worker, per-port counters. Each worker writes only its own block (one
// writer: a relaxed load and store, no read-modify-write, no lock); the
// control core reads them at any time with relaxed loads and sums over
// workers. Each port's counters fill whole cache lines, and each worker's
// block starts on its own, so workers never share a line.
//
// Not for direct inclusion: use "dataplane/dataplane.hpp".

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lag::dp {

inline constexpr size_t cache_line_size = 64;
// DPDK port ids index the counters (RTE_MAX_ETHPORTS in Debian's build).
inline constexpr size_t max_ports = 32;

// A counter with one writer. add() is a plain load+add+store (no lock
// prefix); concurrent readers see a whole, possibly slightly old, value.
class counter {
public:
    void add(uint64_t n) noexcept { _v.store(_v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    uint64_t load() const noexcept { return _v.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> _v{0};
};

// Why a frame was dropped. Every drop has exactly one reason.
enum class drop_reason : uint8_t {
    lag_down,       // egress while fewer members distribute than min-links
    no_member,      // egress bucket without a member (cannot happen while the LAG is up)
    tx_full,        // the port did not take the frame within the retry budget
    not_collecting, // ingress from a member that is not collecting
    punt_full,      // slow-protocol/EAPOL frame and the punt ring was full
    over_mtu,       // egress frame longer than the LAG's MTU allows (snapshot::max_frame)
    macsec_tx,      // MACsec protect refused it (the reason: macsec_tx[tx_status])
    macsec_rx,      // MACsec verify refused it (the reason: macsec_rx[rx_status])
};
inline constexpr size_t drop_reason_count = 8;
constexpr std::string_view to_string(drop_reason r) {
    switch (r) {
    case drop_reason::lag_down: return "lag_down";
    case drop_reason::no_member: return "no_member";
    case drop_reason::tx_full: return "tx_full";
    case drop_reason::not_collecting: return "not_collecting";
    case drop_reason::punt_full: return "punt_full";
    case drop_reason::over_mtu: return "over_mtu";
    case drop_reason::macsec_tx: return "macsec_tx";
    case drop_reason::macsec_rx: return "macsec_rx";
    }
    return "?";
}

// MACsec outcomes per frame, indexed by macsec::tx_status / rx_status.
inline constexpr size_t macsec_tx_status_count = 9;
inline constexpr size_t macsec_rx_status_count = 12;

struct alignas(cache_line_size) port_counters {
    counter rx_packets, rx_bytes; // received on this port
    counter tx_packets, tx_bytes; // sent on this port
    counter punted;               // received here and handed to control
    std::array<counter, drop_reason_count> drops; // attributed to the port received on (lag_down,
                                                  // no_member, not_collecting, punt_full) or sent on (tx_full)

    // MACsec on a member: what protect did to each frame sent here, what
    // verify did to each frame received here (delivered or dropped).
    std::array<counter, macsec_tx_status_count> macsec_tx;
    std::array<counter, macsec_rx_status_count> macsec_rx;

    counter& drop(drop_reason r) noexcept { return drops[static_cast<size_t>(r)]; }
    const counter& drop(drop_reason r) const noexcept { return drops[static_cast<size_t>(r)]; }
};

struct alignas(cache_line_size) worker_counters {
    std::array<port_counters, max_ports> ports;
    counter polls;             // poll_once() calls
    counter snapshots_applied; // membership snapshots switched to
    counter macsec_messages;   // MACsec messages applied
    counter macsec_refused;    // MACsec messages that did not fit (bad port, suite, SC)
};

// A plain copy for control and display: the sum over workers.
struct port_totals {
    uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0, punted = 0;
    // Frames the control core sent on the port (LACPDUs, Marker PDUs,
    // MKPDUs; control::totals); tx_packets is the workers' data only.
    uint64_t control_tx_packets = 0, control_tx_bytes = 0;
    // A member without a spare TX queue: its control frames through its
    // ring (dataplane/ctl_tx.hpp): put on it, sent by the draining worker,
    // dropped for a full ring, dropped for a full TX queue.
    uint64_t control_ring_enqueued = 0, control_ring_sent = 0, control_ring_full = 0, control_ring_tx_full = 0;
    std::array<uint64_t, drop_reason_count> drops{};
    std::array<uint64_t, macsec_tx_status_count> macsec_tx{};
    std::array<uint64_t, macsec_rx_status_count> macsec_rx{};

    uint64_t drop(drop_reason r) const noexcept { return drops[static_cast<size_t>(r)]; }
    uint64_t total_drops() const noexcept {
        uint64_t s = 0;
        for (auto d : drops)
            s += d;
        return s;
    }
    // Field by field: the counts since `base` was taken (clear stats).
    port_totals since(const port_totals& base) const noexcept {
        port_totals d = *this;
        d.rx_packets -= base.rx_packets;
        d.rx_bytes -= base.rx_bytes;
        d.tx_packets -= base.tx_packets;
        d.tx_bytes -= base.tx_bytes;
        d.punted -= base.punted;
        d.control_tx_packets -= base.control_tx_packets;
        d.control_tx_bytes -= base.control_tx_bytes;
        d.control_ring_enqueued -= base.control_ring_enqueued;
        d.control_ring_sent -= base.control_ring_sent;
        d.control_ring_full -= base.control_ring_full;
        d.control_ring_tx_full -= base.control_ring_tx_full;
        for (size_t i = 0; i < drop_reason_count; ++i)
            d.drops[i] -= base.drops[i];
        for (size_t i = 0; i < macsec_tx_status_count; ++i)
            d.macsec_tx[i] -= base.macsec_tx[i];
        for (size_t i = 0; i < macsec_rx_status_count; ++i)
            d.macsec_rx[i] -= base.macsec_rx[i];
        return d;
    }
    // A worker's block.
    void add(const port_counters& c) noexcept { add(c, tx_packets, tx_bytes); }
    // The control core's block: what it sent counts as control_tx_*.
    void add_control(const port_counters& c) noexcept { add(c, control_tx_packets, control_tx_bytes); }

private:
    void add(const port_counters& c, uint64_t& sent, uint64_t& sent_bytes) noexcept {
        rx_packets += c.rx_packets.load();
        rx_bytes += c.rx_bytes.load();
        sent += c.tx_packets.load();
        sent_bytes += c.tx_bytes.load();
        punted += c.punted.load();
        for (size_t i = 0; i < drop_reason_count; ++i)
            drops[i] += c.drops[i].load();
        for (size_t i = 0; i < macsec_tx_status_count; ++i)
            macsec_tx[i] += c.macsec_tx[i].load();
        for (size_t i = 0; i < macsec_rx_status_count; ++i)
            macsec_rx[i] += c.macsec_rx[i].load();
    }
};

} // namespace lag::dp
