#include "port.hpp"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <fmt/format.h>

#include <array>

namespace lag::net {

namespace {
std::array<bool, RTE_MAX_ETHPORTS> lsc_on{};
std::array<bool, RTE_MAX_ETHPORTS> started{}; // by configure_and_start, until stop

std::string device_name(const std::string& device) {
    auto comma = device.find(',');
    return comma == std::string::npos ? device : device.substr(0, comma);
}
} // namespace

result<uint16_t> probe(const std::string& device) {
    std::string name = device_name(device);
    uint16_t port = 0;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port) == 0)
        return port;
    int rc = rte_dev_probe(device.c_str());
    if (rc != 0)
        return make_error("probe", fmt::format("cannot probe device '{}': {}", device, rte_strerror(-rc)));
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port) != 0)
        return make_error("probe", fmt::format("device '{}' probed but no ethdev port named '{}'", device, name));
    return port;
}

result<uint16_t> reprobe(const std::string& device) {
    std::string name = device_name(device);
    uint16_t port = 0;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port) == 0) {
        rte_eth_dev_info info{};
        const bool vdev = rte_eth_dev_info_get(port, &info) == 0 && info.device != nullptr &&
                          rte_dev_bus(info.device) != nullptr &&
                          std::string_view(rte_bus_name(rte_dev_bus(info.device))) == "vdev";
        if (vdev && port < RTE_MAX_ETHPORTS && !started[port])
            stop_and_close(port);
    }
    return probe(device);
}

result<void> configure_and_start(uint16_t port, const port_setup& s) {
    if (!rte_eth_dev_is_valid_port(port))
        return make_error("port", fmt::format("no port {}", port));
    std::string name = port_name(port);
    rte_eth_dev_info info{};
    int rc = rte_eth_dev_info_get(port, &info);
    if (rc != 0)
        return make_error("port", fmt::format("{}: cannot read device info: {}", name, rte_strerror(-rc)));
    if (s.rx_queues > info.max_rx_queues || s.tx_queues > info.max_tx_queues)
        return make_error("port-queues",
                          fmt::format("{}: needs {} RX and {} TX queues, the PMD ({}) has at most {} and {}",
                                      name, s.rx_queues, s.tx_queues, info.driver_name,
                                      info.max_rx_queues, info.max_tx_queues));
    if (s.pool == nullptr)
        return make_error("port", fmt::format("{}: no mbuf pool", name));

    rte_eth_conf conf{};
    if (s.rx_queues > 1 && info.flow_type_rss_offloads != 0) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf =
            (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
    }
    bool lsc = s.lsc && info.dev_flags != nullptr && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC) != 0;
    conf.intr_conf.lsc = lsc ? 1 : 0;
    if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;

    rc = rte_eth_dev_configure(port, s.rx_queues, s.tx_queues, &conf);
    if (rc != 0)
        return make_error("port", fmt::format("{}: configure failed: {}", name, rte_strerror(-rc)));
    uint16_t rxd = s.rx_desc, txd = s.tx_desc;
    (void)rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
    int socket = rte_eth_dev_socket_id(port);
    if (socket < 0)
        socket = SOCKET_ID_ANY;
    for (uint16_t q = 0; q < s.rx_queues; ++q) {
        rc = rte_eth_rx_queue_setup(port, q, rxd, static_cast<unsigned>(socket), nullptr, s.pool);
        if (rc != 0)
            return make_error("port", fmt::format("{}: RX queue {} set-up failed: {}", name, q, rte_strerror(-rc)));
    }
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = conf.txmode.offloads;
    for (uint16_t q = 0; q < s.tx_queues; ++q) {
        rc = rte_eth_tx_queue_setup(port, q, txd, static_cast<unsigned>(socket), &txconf);
        if (rc != 0)
            return make_error("port", fmt::format("{}: TX queue {} set-up failed: {}", name, q, rte_strerror(-rc)));
    }
    if (s.promiscuous)
        (void)rte_eth_promiscuous_enable(port); // not every PMD has it; harmless then
    rc = rte_eth_dev_start(port);
    if (rc != 0)
        return make_error("port", fmt::format("{}: start failed: {}", name, rte_strerror(-rc)));
    lsc_on[port] = lsc;
    started[port] = true;
    return ok_v;
}

bool lsc_enabled(uint16_t port) noexcept { return port < RTE_MAX_ETHPORTS && lsc_on[port]; }

void stop(uint16_t port) noexcept {
    if (rte_eth_dev_is_valid_port(port))
        (void)rte_eth_dev_stop(port);
    if (port < RTE_MAX_ETHPORTS)
        started[port] = false;
}

void stop_and_close(uint16_t port) noexcept {
    if (!rte_eth_dev_is_valid_port(port))
        return;
    rte_eth_dev_info info{};
    bool have_info = rte_eth_dev_info_get(port, &info) == 0;
    rte_device* dev = have_info ? info.device : nullptr;
    (void)rte_eth_dev_stop(port);
    (void)rte_eth_dev_close(port);
    if (port < RTE_MAX_ETHPORTS) {
        lsc_on[port] = false;
        started[port] = false;
    }
    if (dev != nullptr && rte_dev_bus(dev) != nullptr &&
        std::string_view(rte_bus_name(rte_dev_bus(dev))) == "vdev")
        (void)rte_dev_remove(dev);
}

uint16_t max_tx_queues(uint16_t port) noexcept {
    rte_eth_dev_info info{};
    return rte_eth_dev_info_get(port, &info) == 0 ? info.max_tx_queues : 0;
}

std::string port_name(uint16_t port) {
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    if (rte_eth_dev_get_name_by_port(port, name) != 0)
        return fmt::format("port{}", port);
    return name;
}

} // namespace lag::net
