#pragma once
// The ethdev implementation of lib/engine's port_io: what drivers/net's
// port.hpp does (probe, queues, RSS, LSC, MTU, start, stop, close), plus
// link state and speed, MAC and one control frame sent on a TX queue.
// Control-path code: returns errors, never throws.

#include "engine/port_io.hpp"
#include "port.hpp"

#include <array>
#include <cstdint>

struct rte_mempool;
namespace lag::dpdk {
class socket_pools;
}

namespace lag::net {

class ethdev_port_io final : public engine::port_io {
public:
    // RX mbufs (and control frames sent) come from `pool`; MTUs are checked
    // against its data room.
    // `pools`, where given: RX mbufs from the pool on each port's NUMA socket.
    explicit ethdev_port_io(rte_mempool* pool, dpdk::socket_pools* pools = nullptr) : _pool(pool), _pools(pools) {}

    result<uint16_t> probe(const std::string& device) override;
    result<uint16_t> reprobe(const std::string& device) override;
    uint16_t max_tx_queues(uint16_t port) const override;
    result<void> configure_and_start(uint16_t port, const engine::port_setup& s) override;
    void stop(uint16_t port) noexcept override;
    void stop_and_close(uint16_t port) noexcept override;
    bool started(uint16_t port) const noexcept override;
    result<void> check_mtu(uint16_t port, uint16_t mtu) const override;
    result<void> set_mtu(uint16_t port, uint16_t mtu) override;
    uint16_t mtu(uint16_t port) const noexcept override;
    engine::link_status link(uint16_t port) const noexcept override;
    result<void> set_mac(uint16_t port, const mac_addr& mac) override;
    std::optional<mac_addr> mac(uint16_t port) const override;
    bool send(uint16_t port, uint16_t queue, std::span<const uint8_t> frame) override;
    std::string name(uint16_t port) const override;

    rte_mempool* pool() const noexcept { return _pool; }
    // drivers/net's set-up for lib/engine's (the pools this object uses).
    port_setup net_setup(const engine::port_setup& s) const noexcept;

    using started_ports = std::array<bool, 32>;

private:
    rte_mempool* _pool;
    dpdk::socket_pools* _pools;
    // Started through this object (configure_and_start until stop): ethdev
    // has no public call that says it. RTE_MAX_ETHPORTS in Debian's DPDK.
    started_ports _started{};
};

} // namespace lag::net
