// Control frames of members without a spare TX queue (their ring, drained by
// the worker owning TX queue 0) and RX queues beyond one per worker, over
// net_ring wires (issue 17 §2).
#include "dataplane/dataplane.hpp"
#include "dp_env.hpp"
#include "dpdk/dpdk.hpp"

#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_ring_elem.h>

#include <cstring>

using namespace lag;
using namespace lag::test;

namespace {

rte_mbuf* frame_mbuf(const std::vector<uint8_t>& f) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool());
    EXPECT_NE(m, nullptr);
    char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(f.size()));
    EXPECT_NE(p, nullptr);
    std::memcpy(p, f.data(), f.size());
    return m;
}

unsigned seq = 0;

class ctl_tx_test : public ::testing::Test {
protected:
    void SetUp() override {
        tag = "c" + std::to_string(seq++);
        host = make_wire(tag + "acc", 2); // a queue pair per worker (two at most here)
        mem = make_wire(tag + "m0", 2); // two queues: two RX queues on the member
        other = make_wire(tag + "m1");
        io = std::make_unique<dp::port_io>(tag);
    }
    void TearDown() override {
        w.reset();
        io.reset(); // frees what its rings still hold
        destroy_wire(host);
        destroy_wire(mem);
        destroy_wire(other);
        EXPECT_EQ(pool_in_use(), 0u) << "mbufs leaked";
    }
    // Members mem.a (and other.a with `both`), both collecting; access host.b.
    std::unique_ptr<const dp::snapshot> snap(bool both = false) {
        dp::membership m;
        m.access_port = host.b;
        m.member_ports.push_back(mem.a);
        if (both)
            m.member_ports.push_back(other.a);
        m.distributing.assign(m.member_ports.size(), true);
        m.collecting.assign(m.member_ports.size(), true);
        m.min_links = 1;
        m.lag_up = true;
        return dp::build_snapshot(m, nullptr);
    }
    void make_worker(const dp::snapshot& s, uint16_t queue, uint16_t stride, bool with_io = true) {
        dp::worker_config c;
        c.initial = &s;
        c.queue = queue;
        c.queue_stride = stride;
        c.io = with_io ? io.get() : nullptr;
        w = std::make_unique<dp::worker>(c);
    }
    size_t drained(uint16_t port, uint16_t queue = 0) {
        auto v = drain(port, queue);
        size_t n = v.size();
        free_all(v);
        return n;
    }

    std::string tag;
    wire host{}, mem{}, other{};
    std::unique_ptr<dp::port_io> io;
    std::unique_ptr<dp::worker> w;
};

TEST_F(ctl_tx_test, ring_frames_leave_on_the_drain_queue_with_counters) {
    ASSERT_TRUE(io->use_ctl_ring(mem.a).ok());
    dp::ctl_tx_ring* r = io->ctl_ring_in_use(mem.a);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(io->ctl_ring_in_use(other.a), nullptr) << "only the port given a ring has one";
    for (int i = 0; i < 5; ++i)
        EXPECT_TRUE(r->enqueue(frame_mbuf(ether_frame(0x8809))));
    EXPECT_EQ(r->count(), 5u);
    auto s = snap();
    EXPECT_EQ(io->drain(*s, 0), 5u);
    EXPECT_EQ(r->count(), 0u);
    auto got = drain(mem.b, 0);
    ASSERT_EQ(got.size(), 5u);
    for (auto* m : got)
        EXPECT_EQ(frame_bytes(m), ether_frame(0x8809));
    free_all(got);
    auto t = r->totals();
    EXPECT_EQ(t.enqueued, 5u);
    EXPECT_EQ(t.sent, 5u);
    EXPECT_EQ(t.ring_full, 0u);
    EXPECT_EQ(t.tx_full, 0u);
}

TEST_F(ctl_tx_test, a_full_ring_drops_and_counts) {
    ASSERT_TRUE(io->use_ctl_ring(mem.a).ok());
    dp::ctl_tx_ring* r = io->ctl_ring_in_use(mem.a);
    const unsigned room = dp::ctl_tx_ring::ring_size - 1;
    unsigned queued = 0;
    for (unsigned i = 0; i < room + 7; ++i)
        queued += r->enqueue(frame_mbuf(ether_frame(0x888E))) ? 1 : 0;
    EXPECT_EQ(queued, room);
    auto t = r->totals();
    EXPECT_EQ(t.enqueued, room);
    EXPECT_EQ(t.ring_full, 7u);
    // One drain takes at most drain_burst; the worker drains every poll.
    auto s = snap();
    EXPECT_EQ(io->drain(*s, 0), dp::ctl_tx_ring::drain_burst);
    EXPECT_EQ(drained(mem.b), dp::ctl_tx_ring::drain_burst);
}

TEST_F(ctl_tx_test, only_members_of_the_snapshot_are_drained) {
    ASSERT_TRUE(io->use_ctl_ring(other.a).ok());
    io->ctl_ring_in_use(other.a)->enqueue(frame_mbuf(ether_frame(0x8809)));
    auto one = snap(false);
    EXPECT_EQ(io->drain(*one, 0), 0u) << "a port not in the snapshot may be stopped: never touched";
    EXPECT_EQ(drained(other.b), 0u);
    auto both = snap(true);
    EXPECT_EQ(io->drain(*both, 0), 1u);
    EXPECT_EQ(drained(other.b), 1u);
}

TEST_F(ctl_tx_test, use_own_queue_stops_routing_but_keeps_the_ring) {
    ASSERT_TRUE(io->use_ctl_ring(mem.a).ok());
    io->use_own_queue(mem.a);
    EXPECT_EQ(io->ctl_ring_in_use(mem.a), nullptr);
    EXPECT_NE(io->ctl_ring(mem.a), nullptr);
    ASSERT_TRUE(io->use_ctl_ring(mem.a).ok());
    EXPECT_EQ(io->ctl_ring_in_use(mem.a), io->ctl_ring(mem.a)) << "the same ring again";
}

TEST_F(ctl_tx_test, worker_owning_queue_0_drains_between_bursts) {
    ASSERT_TRUE(io->use_ctl_ring(mem.a).ok());
    for (int i = 0; i < 3; ++i)
        io->ctl_ring_in_use(mem.a)->enqueue(frame_mbuf(ether_frame(0x888E)));
    auto s = snap();
    make_worker(*s, 1, 2); // queue 1: not the drainer
    w->poll_once();
    EXPECT_EQ(drained(mem.b, 0) + drained(mem.b, 1), 0u);
    make_worker(*s, 0, 2);
    w->poll_once();
    EXPECT_EQ(drained(mem.b, 0), 3u) << "sent on the worker's own TX queue 0";
    EXPECT_EQ(io->ctl_ring(mem.a)->totals().sent, 3u);
}

TEST_F(ctl_tx_test, every_rx_queue_of_a_member_is_polled) {
    // The member has two RX queues and there is one worker: it polls both.
    io->set_rx_queues(mem.a, 2);
    auto s = snap();
    make_worker(*s, 0, 1);
    ASSERT_EQ(inject(mem.b, {udp_frame(1, 0)}, 0), 1u);
    ASSERT_EQ(inject(mem.b, {udp_frame(2, 0), udp_frame(2, 1)}, 1), 2u);
    w->poll_once();
    EXPECT_EQ(drained(host.a), 3u) << "frames of both RX queues reach the access port";
}

TEST_F(ctl_tx_test, without_the_count_the_second_queue_is_not_polled) {
    auto s = snap();
    make_worker(*s, 0, 1);
    ASSERT_EQ(inject(mem.b, {udp_frame(2, 0)}, 1), 1u);
    w->poll_once();
    EXPECT_EQ(drained(host.a), 0u);
    EXPECT_EQ(drained(mem.a, 1), 1u) << "it waited on queue 1";
}

TEST_F(ctl_tx_test, queues_are_shared_out_by_stride) {
    // Two workers, a member with two RX queues: queue 1 is worker 1's, not
    // polled twice by worker 0.
    io->set_rx_queues(mem.a, 2);
    auto s = snap();
    make_worker(*s, 0, 2);
    ASSERT_EQ(inject(mem.b, {udp_frame(2, 0)}, 1), 1u);
    w->poll_once();
    EXPECT_EQ(drained(host.a, 0) + drained(host.a, 1), 0u);
    make_worker(*s, 1, 2);
    w->poll_once();
    EXPECT_EQ(drained(host.a, 1), 1u) << "worker 1 forwarded it, on its own TX queue 1";
}

} // namespace
