#pragma once
// Ethdev link state for the control core: read without waiting, force up or
// down (what the access port shows while the LAG is down), and link-status-
// change (LSC) interrupts where the PMD has them. Not for direct inclusion:
// use "dpdk/dpdk.hpp".

#include <cstdint>
#include <optional>

namespace lag::dpdk {

// Whether the port's link is up now (rte_eth_link_get_nowait). False for a
// port id that does not exist.
bool link_up(uint16_t port) noexcept;

// The speed of the port's running link in Mb/s (rte_eth_link_get_nowait):
// nullopt while the link is down, when the PMD reports no speed
// (RTE_ETH_SPEED_NUM_NONE or _UNKNOWN), or for a port id that does not exist.
std::optional<uint32_t> link_speed_mbps(uint16_t port) noexcept;

// The speed the device would run at, for a port whose speed nobody declared:
// its link's speed where it reports one (up or not), else the fastest speed
// in its capabilities (rte_eth_dev_info speed_capa); nullopt if neither says.
std::optional<uint32_t> device_speed_mbps(uint16_t port) noexcept;

// Whether the port's device sits on the vdev bus (net_af_packet, net_pcap,
// net_tap, ...): such a PMD reports a fixed placeholder speed, not the wire's.
bool is_virtual(uint16_t port) noexcept;

// Forces the link state where the PMD supports it (rte_eth_dev_set_link_up /
// _down). Returns false if the PMD refused.
bool set_link(uint16_t port, bool up) noexcept;

// Registers an LSC callback for the port if its PMD raises LSC interrupts
// (the port must then be configured with intr_conf.lsc = 1). Returns whether
// it did; without it, the caller polls.
bool watch_lsc(uint16_t port) noexcept;
void unwatch_lsc(uint16_t port) noexcept;

// True once after an LSC interrupt arrived for the port (clears the flag).
bool take_lsc(uint16_t port) noexcept;

// Whether the PMD of this port raises LSC interrupts.
bool has_lsc(uint16_t port) noexcept;

} // namespace lag::dpdk
