#pragma once
// The project's own rte_log types, so `--log-level lag.lacp:debug` (or
// `lag.*:info`) works like any DPDK component's:
//   lag.control  control core: links, membership, snapshots published
//   lag.lacp     LACP machines: transitions, partners, LACPDUs in and out
//   lag.macsec   MACsec driver: SecYs and SAs installed, retired, freed
//   lag.mka      MKA participants: peers, key server, SAKs (never the keys)
//   lag.dp       data-plane plumbing seen from control (snapshot contents)
//   lag.cli      control-socket commands and their outcome
// Each is registered in a constructor (RTE_LOG_REGISTER) at level NOTICE.
// Control path only: workers never log. Never pass key bytes.

#include <cstdint>
#include <fmt/format.h>
#include <string_view>
#include <utility>

namespace lag::dpdk {

enum class log_type : uint8_t { control, lacp, macsec, mka, dp, cli };
// rte_log levels (RTE_LOG_ERR ... RTE_LOG_DEBUG), without including rte_log.h.
enum class log_level : uint32_t { err = 4, warning = 5, notice = 6, info = 7, debug = 8 };

std::string_view log_name(log_type t) noexcept;
// The registered rte_log type id.
int log_id(log_type t) noexcept;
bool log_enabled(log_type t, log_level l) noexcept;
// Writes "lag.NAME: msg\n" through rte_log at level `l`.
void log_write(log_type t, log_level l, std::string_view msg) noexcept;

// Formats only when the level is on.
template <class... Args>
void log(log_type t, log_level l, fmt::format_string<Args...> f, Args&&... args) {
    if (log_enabled(t, l))
        log_write(t, l, fmt::format(f, std::forward<Args>(args)...));
}

} // namespace lag::dpdk
