#pragma once
// RAII owners of long-lived DPDK objects: stateless deleters, move-only.
// Individual mbufs are not wrapped (a stage owns its rte_mbuf*[burst] and
// bulk-frees what it did not send). Not for direct inclusion: use
// "dpdk/dpdk.hpp".

#include "common/result.hpp"

#include <cstdint>
#include <memory>
#include <string>

struct rte_mempool;
struct rte_ring;
struct rte_rcu_qsbr;

namespace lag::dpdk {

struct mempool_deleter {
    void operator()(rte_mempool* p) const noexcept;
};
struct ring_deleter {
    void operator()(rte_ring* r) const noexcept;
};
struct qsbr_deleter {
    void operator()(rte_rcu_qsbr* v) const noexcept;
};

using mempool_ptr = std::unique_ptr<rte_mempool, mempool_deleter>;
using ring_ptr = std::unique_ptr<rte_ring, ring_deleter>;
using qsbr_ptr = std::unique_ptr<rte_rcu_qsbr, qsbr_deleter>;

// A packet mbuf pool of `count` mbufs, on `socket` (-1 = any), each with
// `data_room` octets after the headroom (0: DPDK's default, 2048).
result<mempool_ptr> make_pktmbuf_pool(const std::string& name, unsigned count,
                                      unsigned cache_size = 256, int socket = -1, unsigned data_room = 0);

enum class ring_sync : uint8_t { sp_sc, mp_sc };

// A ring of `count` slots (rounded up to a power of two; one slot fewer is
// usable) holding elements of `elem_size` bytes (a multiple of 4; 8 for
// pointers).
result<ring_ptr> make_ring(const std::string& name, unsigned count, unsigned elem_size,
                           ring_sync sync, int socket = -1);

// An RCU QSBR variable for `max_threads` reader threads (ids 0..max-1).
result<qsbr_ptr> make_qsbr(unsigned max_threads);

// Free mbufs in a pool / total size: the leak check of the tests.
unsigned mempool_avail(const rte_mempool* p) noexcept;
unsigned mempool_size(const rte_mempool* p) noexcept;

} // namespace lag::dpdk
