#include "dpdk/link.hpp"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include <cstring>

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

namespace {
std::optional<uint32_t> known_speed(uint32_t s) {
    if (s == RTE_ETH_SPEED_NUM_NONE || s == RTE_ETH_SPEED_NUM_UNKNOWN)
        return std::nullopt;
    return s;
}
} // namespace

std::optional<uint32_t> link_speed_mbps(uint16_t port) noexcept {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(port, &link) != 0 || link.link_status != RTE_ETH_LINK_UP)
        return std::nullopt;
    return known_speed(link.link_speed);
}

std::optional<uint32_t> device_speed_mbps(uint16_t port) noexcept {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(port, &link) != 0)
        return std::nullopt;
    if (auto s = known_speed(link.link_speed))
        return s;
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port, &info) != 0)
        return std::nullopt;
    // Fastest first: what a NIC of this kind runs at on its own wire.
    static constexpr struct { uint32_t capa, mbps; } speeds[] = {
        {RTE_ETH_LINK_SPEED_200G, RTE_ETH_SPEED_NUM_200G},
        {RTE_ETH_LINK_SPEED_100G, RTE_ETH_SPEED_NUM_100G}, {RTE_ETH_LINK_SPEED_56G, RTE_ETH_SPEED_NUM_56G},
        {RTE_ETH_LINK_SPEED_50G, RTE_ETH_SPEED_NUM_50G},   {RTE_ETH_LINK_SPEED_40G, RTE_ETH_SPEED_NUM_40G},
        {RTE_ETH_LINK_SPEED_25G, RTE_ETH_SPEED_NUM_25G},   {RTE_ETH_LINK_SPEED_20G, RTE_ETH_SPEED_NUM_20G},
        {RTE_ETH_LINK_SPEED_10G, RTE_ETH_SPEED_NUM_10G},   {RTE_ETH_LINK_SPEED_5G, RTE_ETH_SPEED_NUM_5G},
        {RTE_ETH_LINK_SPEED_2_5G, RTE_ETH_SPEED_NUM_2_5G}, {RTE_ETH_LINK_SPEED_1G, RTE_ETH_SPEED_NUM_1G},
    };
    for (const auto& s : speeds)
        if ((info.speed_capa & s.capa) != 0)
            return s.mbps;
    return std::nullopt;
}

bool is_virtual(uint16_t port) noexcept {
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port, &info) != 0 || info.device == nullptr)
        return false;
    const rte_bus* bus = rte_dev_bus(info.device);
    const char* name = bus != nullptr ? rte_bus_name(bus) : nullptr;
    return name != nullptr && std::strcmp(name, "vdev") == 0;
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
