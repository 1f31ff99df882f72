#include "dpdk/objects.hpp"

#include "dpdk/log.hpp"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <fmt/format.h>

#include <cstring>

namespace lag::dpdk {

void mempool_deleter::operator()(rte_mempool* p) const noexcept { rte_mempool_free(p); }
void ring_deleter::operator()(rte_ring* r) const noexcept { rte_ring_free(r); }
void qsbr_deleter::operator()(rte_rcu_qsbr* v) const noexcept { rte_free(v); }

result<mempool_ptr> make_pktmbuf_pool(const std::string& name, unsigned count, unsigned cache_size,
                                      int socket, unsigned data_room) {
    if (socket < 0)
        socket = SOCKET_ID_ANY;
    const unsigned buf = data_room == 0 ? unsigned{RTE_MBUF_DEFAULT_BUF_SIZE} : data_room + RTE_PKTMBUF_HEADROOM;
    if (buf > UINT16_MAX)
        return make_error("mempool", fmt::format("mbuf pool {}: data room {} is above {}", name, data_room,
                                                 UINT16_MAX - RTE_PKTMBUF_HEADROOM));
    rte_mempool* p = rte_pktmbuf_pool_create(name.c_str(), count, cache_size, 0, static_cast<uint16_t>(buf),
                                             socket);
    if (p == nullptr)
        return make_error("mempool", fmt::format("cannot create mbuf pool {} of {} mbufs: {}", name,
                                                 count, rte_strerror(rte_errno)));
    return mempool_ptr(p);
}

rte_mempool* socket_pools::for_socket(int socket) {
    if (socket < 0 || socket == _first_socket)
        return _first;
    for (const auto& e : _tried)
        if (e.socket == socket)
            return e.pool != nullptr ? e.pool : _first;
    const std::string name = fmt::format("{}_s{}", _first->name, socket);
    auto p = make_pktmbuf_pool(name, _count, _cache, socket, _room);
    if (!p) {
        log(log_type::control, log_level::warning, "mbufs for socket {} come from socket {}'s pool: {}", socket,
            _first_socket, p.err().message);
        _tried.push_back({socket, nullptr});
        return _first;
    }
    _tried.push_back({socket, p->get()});
    _made.push_back(std::move(*p));
    return _made.back().get();
}

rte_mempool* socket_pools::for_port(uint16_t port) { return for_socket(rte_eth_dev_socket_id(port)); }

result<ring_ptr> make_ring(const std::string& name, unsigned count, unsigned elem_size,
                           ring_sync sync, int socket) {
    if (socket < 0)
        socket = SOCKET_ID_ANY;
    unsigned flags = RING_F_SC_DEQ | (sync == ring_sync::sp_sc ? RING_F_SP_ENQ : 0u);
    rte_ring* r = rte_ring_create_elem(name.c_str(), elem_size, rte_align32pow2(count), socket, flags);
    if (r == nullptr)
        return make_error("ring", fmt::format("cannot create ring {} of {} x {} bytes: {}", name,
                                              count, elem_size, rte_strerror(rte_errno)));
    return ring_ptr(r);
}

result<qsbr_ptr> make_qsbr(unsigned max_threads) {
    size_t sz = rte_rcu_qsbr_get_memsize(max_threads);
    auto* v = static_cast<rte_rcu_qsbr*>(rte_zmalloc("lag_qsbr", sz, RTE_CACHE_LINE_SIZE));
    if (v == nullptr)
        return make_error("rcu", fmt::format("cannot allocate QSBR variable for {} threads", max_threads));
    if (rte_rcu_qsbr_init(v, max_threads) != 0) {
        rte_free(v);
        return make_error("rcu", fmt::format("rte_rcu_qsbr_init failed: {}", rte_strerror(rte_errno)));
    }
    return qsbr_ptr(v);
}

rte_mbuf* mbuf_copy(rte_mempool* pool, std::span<const uint8_t> frame) noexcept {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr)
        return nullptr;
    char* p = frame.size() <= UINT16_MAX ? rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())) : nullptr;
    if (p == nullptr) {
        rte_pktmbuf_free(m);
        return nullptr;
    }
    std::memcpy(p, frame.data(), frame.size());
    return m;
}

unsigned mempool_avail(const rte_mempool* p) noexcept { return rte_mempool_avail_count(p); }
unsigned mempool_size(const rte_mempool* p) noexcept { return p->size; }

} // namespace lag::dpdk
