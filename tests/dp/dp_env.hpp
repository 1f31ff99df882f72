#pragma once
// Test helper for the 'dp' suite: starts the EAL once per test binary
// (--no-huge --no-pci -m 1024 --in-memory, a unique --file-prefix, lcores
// 0-1), gives a shared mbuf pool, wires of two net_ring ports, and frames
// that carry a flow id and a sequence number.

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

struct rte_mempool;

namespace lag::test {

// The shared pool (16384 mbufs). Tests check it is full again at the end.
rte_mempool* pool();
unsigned pool_in_use();

// Two ring ports back to back: what `a` sends arrives on `b` and the other
// way round, on every queue. Both are configured (queues RX and TX) and started.
struct wire {
    uint16_t a, b;
};
wire make_wire(const std::string& name, uint16_t queues = 1);
// Stops and closes both ports of a wire and frees its rings.
void destroy_wire(const wire& w);

struct flow_frame {
    uint32_t flow;
    uint32_t seq;
};

// An Ethernet/IPv4/UDP frame of flow `flow` (its own UDP source port and
// source address), carrying (flow, seq) in the payload; `size` bytes in all.
std::vector<uint8_t> udp_frame(uint32_t flow, uint32_t seq, size_t size = 128, bool reverse = false);
// A frame with this EtherType (untagged), e.g. 0x8809 LACP, 0x888E EAPOL.
std::vector<uint8_t> ether_frame(uint16_t ether_type, size_t size = 124);
// Reads (flow, seq) back from a udp_frame. False if it is not one.
bool read_flow(const rte_mbuf* m, flow_frame& out);
// A copy of a received frame's bytes (first segment), read as the harness
// reads every mbuf a worker handled (see dp_env.cpp: unrecorded by TSan).
std::vector<uint8_t> frame_bytes(const rte_mbuf* m);

// Allocates mbufs for the frames (from `from`, the shared pool by default)
// and sends them on (port, queue) until all are taken (or the pool is
// empty). Returns how many were sent. Tests where several workers run give
// each queue a pool of its own: an mbuf's memory then only ever meets one
// worker (the hand-over between workers would go through the harness and
// uninstrumented DPDK code, which ThreadSanitizer cannot see).
size_t inject(uint16_t port, const std::vector<std::vector<uint8_t>>& frames, uint16_t queue = 0,
              rte_mempool* from = nullptr);
// Receives everything waiting on (port, queue). Caller frees (free_all).
std::vector<rte_mbuf*> drain(uint16_t port, uint16_t queue = 0);
void free_all(std::vector<rte_mbuf*>& v);

// rte_eal_remote_launch and rte_eal_wait_lcore with a happens-before that
// ThreadSanitizer sees: the EAL hands over in librte_eal, which is not
// instrumented, so without these everything the main lcore frees after a
// worker lcore stopped would read as a race with that lcore's last accesses.
int launch_on(unsigned lcore, int (*fn)(void*), void* arg);
int wait_on(unsigned lcore);

// A member wire whose ports have one RX queue and two TX queues (0 for the
// worker, 1 for control) that both feed the peer's one RX queue, as any NIC
// delivers frames whatever queue sent them. For LACP and MKA tests.
struct member_wire {
    uint16_t a = 0, b = 0;
    rte_ring* ab = nullptr;
    rte_ring* ba = nullptr;
};
member_wire make_member_wire(const std::string& name);
void destroy_member_wire(member_wire& w);

} // namespace lag::test
