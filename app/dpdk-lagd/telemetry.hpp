#pragma once
// DPDK telemetry endpoints, so dpdk-telemetry.py reads dpdk-lagd as it reads
// any DPDK application:
//   /lag/list            LAG names (every LAG of the daemon)
//   /lag/info,NAME       a LAG: state, speed, min-links, hash, and per member
//                        (keys MEMBER/field) link, status, LACP mux, partner, MACsec
//   /lag/lacp,PORT       one member's LACP view (a member of any LAG)
//   /lag/macsec,PORT     one member's MACsec view: SecY, SAs (AN, next PN), counters
//   /lag/stats           per port (keys PORT/counter) packets, bytes, drops by reason
//   /lag/xstats,PORT     one port's counters under their xstats names (as /ethdev/xstats)
// Telemetry callbacks run on DPDK's telemetry thread; the control core
// publishes a copy of its views (the LAG and /lag/stats every 250 ms,
// xstats and MACsec every second) and the
// callbacks read that copy under a mutex (control path only: no worker is
// involved). Nested JSON is flattened with '/' (telemetry dicts hold only
// scalars and arrays of scalars).

#include <nlohmann/json.hpp>

namespace lag::lagd {

// Registers the endpoints; call once after rte_eal_init.
void telemetry_register();
struct telemetry_views {
    nlohmann::json lag;    // service::lags_json(): every LAG, keyed by name
    nlohmann::json stats;  // service::stats_json()
    nlohmann::json xstats; // service::xstats_json()
    nlohmann::json macsec; // service::macsec_json()
};
// Replaces the published views.
void telemetry_publish(telemetry_views v);

} // namespace lag::lagd
