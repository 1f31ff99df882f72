#pragma once
// Ethdev link state for the control core: read without waiting, force up or
// down (what the access port shows while the LAG is down), and link-status-
// change (LSC) interrupts where the PMD has them. Not for direct inclusion:
// use "dpdk/dpdk.hpp".

#include <cstdint>

namespace lag::dpdk {

// Whether the port's link is up now (rte_eth_link_get_nowait). False for a
// port id that does not exist.
bool link_up(uint16_t port) noexcept;

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
