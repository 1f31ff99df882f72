#include "port_io_ethdev.hpp"

#include "dpdk/dpdk.hpp"
#include "port.hpp"

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lag::net {

static_assert(sizeof(ethdev_port_io::started_ports) >= RTE_MAX_ETHPORTS, "a flag per ethdev port");

result<uint16_t> ethdev_port_io::probe(const std::string& device) { return net::probe(device); }

result<uint16_t> ethdev_port_io::reprobe(const std::string& device) { return net::reprobe(device); }

uint16_t ethdev_port_io::max_tx_queues(uint16_t port) const { return net::max_tx_queues(port); }

port_setup ethdev_port_io::net_setup(const engine::port_setup& s) const noexcept {
    port_setup ps;
    ps.rx_queues = s.rx_queues;
    ps.tx_queues = s.tx_queues;
    ps.rx_desc = s.rx_desc;
    ps.tx_desc = s.tx_desc;
    ps.pool = _pool;
    ps.pools = _pools;
    ps.lsc = s.lsc;
    ps.promiscuous = s.promiscuous;
    ps.mtu = s.mtu;
    return ps;
}

result<void> ethdev_port_io::configure_and_start(uint16_t port, const engine::port_setup& s) {
    auto ok = net::configure_and_start(port, net_setup(s));
    if (ok && port < _started.size())
        _started[port] = true;
    return ok;
}

void ethdev_port_io::stop(uint16_t port) noexcept {
    net::stop(port);
    if (port < _started.size())
        _started[port] = false;
}

void ethdev_port_io::stop_and_close(uint16_t port) noexcept {
    net::stop_and_close(port);
    if (port < _started.size())
        _started[port] = false;
}

bool ethdev_port_io::started(uint16_t port) const noexcept { return port < _started.size() && _started[port]; }

result<void> ethdev_port_io::check_mtu(uint16_t port, uint16_t mtu) const { return net::check_mtu(port, mtu, _pool); }

result<void> ethdev_port_io::set_mtu(uint16_t port, uint16_t mtu) { return net::set_mtu(port, mtu, _pool); }

uint16_t ethdev_port_io::mtu(uint16_t port) const noexcept {
    uint16_t m = 0;
    (void)rte_eth_dev_get_mtu(port, &m);
    return m;
}

engine::link_status ethdev_port_io::link(uint16_t port) const noexcept {
    rte_eth_link l{};
    if (rte_eth_link_get_nowait(port, &l) != 0)
        return {};
    const bool up = l.link_status == RTE_ETH_LINK_UP;
    return {.up = up, .speed_mbps = up && l.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN ? l.link_speed : 0};
}

result<void> ethdev_port_io::set_mac(uint16_t port, const mac_addr& mac) {
    rte_ether_addr ea{};
    std::copy(mac.bytes.begin(), mac.bytes.end(), ea.addr_bytes);
    // A device that cannot (net_pcap) keeps its own.
    if (int e = rte_eth_dev_default_mac_addr_set(port, &ea); e != 0 && e != -ENOTSUP)
        return make_error("mac", fmt::format("cannot set MAC {} ({})", mac.to_string(), e));
    return ok_v;
}

std::optional<mac_addr> ethdev_port_io::mac(uint16_t port) const {
    rte_ether_addr ea{};
    if (rte_eth_macaddr_get(port, &ea) != 0)
        return std::nullopt;
    mac_addr m;
    std::copy(std::begin(ea.addr_bytes), std::end(ea.addr_bytes), m.bytes.begin());
    return m;
}

bool ethdev_port_io::send(uint16_t port, uint16_t queue, std::span<const uint8_t> frame) {
    rte_mbuf* m = dpdk::mbuf_copy(_pool, frame);
    if (m == nullptr)
        return false;
    if (rte_eth_tx_burst(port, queue, &m, 1) != 1) {
        rte_pktmbuf_free(m);
        return false;
    }
    return true;
}

std::string ethdev_port_io::name(uint16_t port) const { return net::port_name(port); }

} // namespace lag::net
