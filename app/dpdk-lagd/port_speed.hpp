#pragma once
// Member speeds from the device. A [[port]] without `speed` runs at what its
// device reports; the speed of every member's running link is checked against
// its LAG's where the device's figure means something (a physical device, or
// `check_speed = true`), and a member at another speed is speed-mismatch
// (lib/lag model, lib/control read_speed, lib/control lacp_driver's key).

#include "common/result.hpp"
#include "config.hpp"

#include <cstdint>
#include <string_view>

namespace lag::lagd {

// Whether the running link speed of `port` (DPDK port `id`) is checked: its
// `check_speed`, else true for a physical device and false for a vdev (whose
// PMD reports a fixed placeholder such as 10G).
bool speed_checked(const daemon_config& cfg, std::string_view port, uint16_t id) noexcept;

// After the EAL: probes the device of every [[port]] without `speed` and
// takes the speed it reports (its link, else its fastest capability), which
// must be 1G, 10G or 100G [rule: speed]; a device that reports none keeps the
// assumed speed (config.hpp assume_speeds), said on stdout. Then checks the
// config against the model again with these speeds, so that the profile's
// rules (uniform-speed, max-members) apply to what the devices are.
result<void> resolve_port_speeds(daemon_config& cfg, model::lag_model& model);

// The LAG speed a device speed is, if any (1000, 10000, 100000 Mb/s).
std::optional<model::port_speed> speed_of_mbps(uint32_t mbps) noexcept;

} // namespace lag::lagd
