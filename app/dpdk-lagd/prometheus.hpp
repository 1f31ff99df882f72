#pragma once
// dpdk-lagd's metrics in the Prometheus text exposition format (0.0.4, which
// OpenMetrics parsers read too): `lagctl show stats prometheus`, the same
// reply on the control socket, and `dpdk-lagd --metrics-file PATH` for
// node_exporter's textfile collector. Built only from the views the service
// already publishes (lags_json, stats_json, xstats_json, macsec_json), so a
// metric cannot say what `show` does not. The names are an interface
// (docs/telemetry.md lists them): add, never rename. Never a key.

#include "common/result.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace lag::lagd {

// Every LAG (state, members, LACP, MKA), every port's counters (labels lag,
// port, role) and every member's MACsec SecY and SAs, as Prometheus text.
std::string prometheus_text(const nlohmann::json& lags, const nlohmann::json& stats, const nlohmann::json& xstats,
                            const nlohmann::json& macsec);

// Writes `text` to `path` atomically for a textfile collector: a temporary
// file in the same folder, renamed over `path` (mode 0644: metrics hold no
// secret, and the collector may run as another user).
result<void> write_metrics_file(const std::string& path, std::string_view text);

} // namespace lag::lagd
