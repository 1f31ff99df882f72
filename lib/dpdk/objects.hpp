#pragma once
// RAII owners of long-lived DPDK objects: stateless deleters, move-only.
// Individual mbufs are not wrapped (a stage owns its rte_mbuf*[burst] and
// bulk-frees what it did not send). Not for direct inclusion: use
// "dpdk/dpdk.hpp".

#include "common/result.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct rte_mempool;
struct rte_mbuf;
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

// Mbuf pools by NUMA socket: a port's RX mbufs come from a pool on the
// port's socket (rte_eth_dev_socket_id), so the NIC writes into local
// memory. The pool given at construction serves its own socket and
// SOCKET_ID_ANY; another socket's is made on first use, alike (count, cache,
// data room), and where it cannot be (no memory there: no hugepages on that
// socket, --no-huge) the first pool serves it, said once in the log.
// Control path only.
class socket_pools {
public:
    socket_pools(rte_mempool* first, int first_socket, unsigned count, unsigned cache_size, unsigned data_room)
        : _first(first), _first_socket(first_socket), _count(count), _cache(cache_size), _room(data_room) {}
    socket_pools(const socket_pools&) = delete;
    socket_pools& operator=(const socket_pools&) = delete;

    // The pool for `socket` (negative: any).
    rte_mempool* for_socket(int socket);
    // The pool for a port (its device's socket).
    rte_mempool* for_port(uint16_t port);
    // Pools made beyond the first.
    size_t extra() const noexcept { return _made.size(); }

private:
    struct entry {
        int socket;
        rte_mempool* pool; // null: could not be made, the first serves
    };
    rte_mempool* _first;
    int _first_socket;
    unsigned _count, _cache, _room;
    std::vector<entry> _tried;
    std::vector<mempool_ptr> _made;
};

// Free mbufs in a pool / total size: the leak check of the tests.
// One mbuf from `pool` holding a copy of `frame` (a control frame to send);
// nullptr when the pool is empty or the frame does not fit one segment.
rte_mbuf* mbuf_copy(rte_mempool* pool, std::span<const uint8_t> frame) noexcept;

unsigned mempool_avail(const rte_mempool* p) noexcept;
unsigned mempool_size(const rte_mempool* p) noexcept;

} // namespace lag::dpdk
