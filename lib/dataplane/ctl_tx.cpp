#include "dataplane/ctl_tx.hpp"

#include "dataplane/snapshot.hpp"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <fmt/format.h>

namespace lag::dp {

ctl_tx_ring::~ctl_tx_ring() {
    // No worker drains it any more: what is left goes back to its pool.
    void* m;
    while (_ring != nullptr && rte_ring_sc_dequeue(_ring.get(), &m) == 0)
        rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
}

bool ctl_tx_ring::enqueue(rte_mbuf* m) noexcept {
    if (rte_ring_sp_enqueue(_ring.get(), m) != 0) {
        rte_pktmbuf_free(m);
        _ring_full.add(1);
        return false;
    }
    _enqueued.add(1);
    return true;
}

unsigned ctl_tx_ring::drain(uint16_t port, uint16_t queue, unsigned tx_retries) noexcept {
    rte_mbuf* pkts[drain_burst];
    const unsigned n = rte_ring_sc_dequeue_burst(_ring.get(), reinterpret_cast<void**>(pkts), drain_burst, nullptr);
    if (n == 0)
        return 0;
    uint16_t sent = rte_eth_tx_burst(port, queue, pkts, static_cast<uint16_t>(n));
    for (unsigned r = 0; sent < n && r < tx_retries; ++r)
        sent = static_cast<uint16_t>(sent + rte_eth_tx_burst(port, queue, pkts + sent, static_cast<uint16_t>(n - sent)));
    if (sent < n) [[unlikely]] {
        rte_pktmbuf_free_bulk(pkts + sent, n - sent);
        _tx_full.add(n - sent);
    }
    _sent.add(sent);
    return sent;
}

unsigned ctl_tx_ring::count() const noexcept { return rte_ring_count(_ring.get()); }

ctl_tx_totals ctl_tx_ring::totals() const noexcept {
    return {_enqueued.load(), _ring_full.load(), _sent.load(), _tx_full.load()};
}

result<void> port_io::use_ctl_ring(uint16_t port) {
    if (port >= max_ports)
        return make_error("port-queues", fmt::format("port id {} is beyond the {} the data plane counts", port,
                                                     max_ports));
    if (_owned[port] == nullptr) {
        auto r = dpdk::make_ring(fmt::format("{}ctx{}", _prefix, port), ctl_tx_ring::ring_size, sizeof(void*),
                                 dpdk::ring_sync::sp_sc);
        if (!r)
            return make_error("port-queues", fmt::format("port {}: no control-frame ring: {}", port,
                                                         r.err().message));
        _owned[port] = std::make_unique<ctl_tx_ring>(std::move(*r));
        _rings[port].store(_owned[port].get(), std::memory_order_release);
    }
    _in_use[port] = true;
    return ok_v;
}

void port_io::use_own_queue(uint16_t port) noexcept {
    if (port < max_ports)
        _in_use[port] = false;
}

ctl_tx_ring* port_io::ctl_ring_in_use(uint16_t port) noexcept {
    return port < max_ports && _in_use[port] ? _owned[port].get() : nullptr;
}

const ctl_tx_ring* port_io::ctl_ring(uint16_t port) const noexcept {
    return port < max_ports ? _owned[port].get() : nullptr;
}

void port_io::set_rx_queues(uint16_t port, uint16_t n) noexcept {
    if (port < max_ports)
        _rxq[port].store(n, std::memory_order_relaxed);
}

void port_io::set_steered(uint16_t port, uint16_t queue) noexcept {
    if (port < max_ports)
        _steer[port].queue = queue;
}

bool port_io::steer_refused(uint16_t port) noexcept {
    if (port >= max_ports)
        return false;
    _steer[port].queue = no_queue;
    return ++_steer[port].refused == 1;
}

port_io::steering port_io::steering_of(uint16_t port) const noexcept {
    return port < max_ports ? _steer[port] : steering{};
}

unsigned port_io::poll_steered(const snapshot& s, rte_ring* punt) noexcept {
    unsigned total = 0;
    for (unsigned k = 0; k < s.member_count; ++k) {
        const uint16_t port = s.member_ports[k];
        if (port >= max_ports || _steer[port].queue == no_queue)
            continue;
        rte_mbuf* pkts[ctl_tx_ring::drain_burst];
        const uint16_t n = rte_eth_rx_burst(port, _steer[port].queue, pkts, ctl_tx_ring::drain_burst);
        if (n == 0)
            continue;
        for (uint16_t i = 0; i < n; ++i)
            pkts[i]->port = port;
        const unsigned queued =
            punt != nullptr ? rte_ring_mp_enqueue_burst(punt, reinterpret_cast<void**>(pkts), n, nullptr) : 0u;
        if (queued < n) {
            rte_pktmbuf_free_bulk(pkts + queued, n - queued);
            _steer[port].dropped += n - queued;
        }
        _steer[port].polled += n;
        total += n;
    }
    return total;
}

unsigned port_io::drain(const snapshot& s, uint16_t queue) noexcept {
    unsigned sent = 0;
    for (unsigned k = 0; k < s.member_count; ++k) {
        const uint16_t port = s.member_ports[k];
        if (port >= max_ports)
            continue;
        if (ctl_tx_ring* r = _rings[port].load(std::memory_order_acquire); r != nullptr)
            sent += r->drain(port, queue);
    }
    return sent;
}

} // namespace lag::dp
