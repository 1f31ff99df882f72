#include "dpdk/link.hpp"

#include <rte_ethdev.h>

#include <array>
#include <atomic>

namespace lag::dpdk {

namespace {
// Set from the interrupt thread, read and cleared by control.
std::array<std::atomic<bool>, RTE_MAX_ETHPORTS> lsc_pending{};

int on_lsc(uint16_t port, rte_eth_event_type, void*, void*) {
    if (port < RTE_MAX_ETHPORTS)
        lsc_pending[port].store(true, std::memory_order_release);
    return 0;
}
} // namespace

bool link_up(uint16_t port) noexcept {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(port, &link) != 0)
        return false;
    return link.link_status == RTE_ETH_LINK_UP;
}

bool set_link(uint16_t port, bool up) noexcept {
    return (up ? rte_eth_dev_set_link_up(port) : rte_eth_dev_set_link_down(port)) == 0;
}

bool has_lsc(uint16_t port) noexcept {
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port, &info) != 0)
        return false;
    return info.dev_flags != nullptr && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC) != 0;
}

bool watch_lsc(uint16_t port) noexcept {
    if (!has_lsc(port))
        return false;
    return rte_eth_dev_callback_register(port, RTE_ETH_EVENT_INTR_LSC, on_lsc, nullptr) == 0;
}

void unwatch_lsc(uint16_t port) noexcept {
    (void)rte_eth_dev_callback_unregister(port, RTE_ETH_EVENT_INTR_LSC, on_lsc, nullptr);
}

bool take_lsc(uint16_t port) noexcept {
    if (port >= RTE_MAX_ETHPORTS)
        return false;
    return lsc_pending[port].exchange(false, std::memory_order_acq_rel);
}

} // namespace lag::dpdk
