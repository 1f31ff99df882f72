#pragma once
// Per-port counters under ethdev-style extended statistics names, for
// `show stats PORT xstats` and telemetry's /lag/xstats,PORT. The names are
// part of the interface (README lists them): append, never rename.
// Pure (no DPDK). Not for direct inclusion: use "dataplane/dataplane.hpp"
// or include it alone where only the names are needed.

#include "dataplane/counters.hpp"
#include "macsec/secy.hpp"

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace lag::dp {

// In port_totals order: packets and bytes, punted, drops by drop_reason,
// MACsec transmit outcomes by macsec::tx_status, receive by rx_status.
inline constexpr std::array<std::string_view, 5> xstat_base_names{
    "rx_good_packets", "rx_good_bytes", "tx_good_packets", "tx_good_bytes", "rx_punted_packets"};
// Egress drops are "tx" (counted on the access port that received the frame,
// or on the member that refused it); ingress drops are "rx".
inline constexpr std::array<std::string_view, drop_reason_count> xstat_drop_names{
    "tx_drop_lag_down",       // drop_reason::lag_down
    "tx_drop_no_member",      // no_member
    "tx_drop_full",           // tx_full
    "rx_drop_not_collecting", // not_collecting
    "rx_drop_punt_full",      // punt_full
    "tx_drop_over_mtu",       // over_mtu
    "tx_drop_macsec",         // macsec_tx
    "rx_drop_macsec",         // macsec_rx
};
inline constexpr std::array<std::string_view, macsec_tx_status_count> xstat_macsec_tx_names{
    "tx_macsec_protected",         // tx_status::protected_frame
    "tx_macsec_untagged",          // untagged
    "tx_macsec_drop_no_sa",        // drop_no_sa
    "tx_macsec_drop_pn_exhausted", // drop_pn_exhausted
    "tx_macsec_drop_too_long",     // drop_too_long
    "tx_macsec_drop_no_room",      // drop_no_room
    "tx_macsec_drop_runt",         // drop_runt
    "tx_macsec_drop_crypto",       // drop_crypto
    "tx_macsec_drop_pn_unreserved", // drop_pn_unreserved (added later: the next PNs not yet persisted)
};
inline constexpr std::array<std::string_view, macsec_rx_status_count> xstat_macsec_rx_names{
    "rx_macsec_ok",                // rx_status::ok
    "rx_macsec_untagged",          // delivered_untagged
    "rx_macsec_unchecked",         // delivered_unchecked
    "rx_macsec_invalid",           // delivered_invalid
    "rx_macsec_unknown_sci",       // delivered_unknown_sci
    "rx_macsec_unused_sa",         // delivered_unused_sa
    "rx_macsec_drop_no_tag",       // drop_no_tag
    "rx_macsec_drop_bad_tag",      // drop_bad_tag
    "rx_macsec_drop_no_sci",       // drop_no_sci
    "rx_macsec_drop_not_using_sa", // drop_not_using_sa
    "rx_macsec_drop_replay",       // drop_late (outside the replay window, or a repeated PN)
    "rx_macsec_drop_not_valid",    // drop_not_valid
};
// Appended last (names are only ever added): what the control core sent.
inline constexpr std::array<std::string_view, 2> xstat_control_names{"tx_control_packets", "tx_control_bytes"};
// Appended after those: a member's control-frame ring (no spare TX queue).
inline constexpr std::array<std::string_view, 4> xstat_control_ring_names{
    "tx_control_ring_enqueued", "tx_control_ring_sent", "tx_control_ring_drop_full", "tx_control_ring_drop_tx_full"};
static_assert(static_cast<size_t>(drop_reason::macsec_rx) + 1 == drop_reason_count);
static_assert(static_cast<size_t>(macsec::tx_status::drop_pn_unreserved) + 1 == macsec_tx_status_count);
static_assert(static_cast<size_t>(macsec::rx_status::drop_not_valid) + 1 == macsec_rx_status_count);
static_assert(static_cast<size_t>(macsec::rx_status::drop_late) == 10);

inline constexpr size_t xstat_count = xstat_base_names.size() + drop_reason_count + macsec_tx_status_count +
                                      macsec_rx_status_count + xstat_control_names.size() +
                                      xstat_control_ring_names.size();

struct xstat {
    std::string_view name;
    uint64_t value;
};

// Every xstat of a port, in the order above (always xstat_count entries).
inline std::vector<xstat> xstats(const port_totals& t) {
    std::vector<xstat> v;
    v.reserve(xstat_count);
    const uint64_t base[] = {t.rx_packets, t.rx_bytes, t.tx_packets, t.tx_bytes, t.punted};
    for (size_t i = 0; i < xstat_base_names.size(); ++i)
        v.push_back({xstat_base_names[i], base[i]});
    for (size_t i = 0; i < drop_reason_count; ++i)
        v.push_back({xstat_drop_names[i], t.drops[i]});
    for (size_t i = 0; i < macsec_tx_status_count; ++i)
        v.push_back({xstat_macsec_tx_names[i], t.macsec_tx[i]});
    for (size_t i = 0; i < macsec_rx_status_count; ++i)
        v.push_back({xstat_macsec_rx_names[i], t.macsec_rx[i]});
    v.push_back({xstat_control_names[0], t.control_tx_packets});
    v.push_back({xstat_control_names[1], t.control_tx_bytes});
    const uint64_t ring[] = {t.control_ring_enqueued, t.control_ring_sent, t.control_ring_full,
                             t.control_ring_tx_full};
    for (size_t i = 0; i < xstat_control_ring_names.size(); ++i)
        v.push_back({xstat_control_ring_names[i], ring[i]});
    return v;
}

} // namespace lag::dp
