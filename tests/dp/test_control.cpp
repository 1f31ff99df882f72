// control + worker over net_ring wires: link changes become snapshots, the
// RCU reclaim, min-links, punting to the handler, and how long a member that
// went down keeps getting frames.
#include "control/control.hpp"
#include "dp_env.hpp"
#include "punt_recorder.hpp"

#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

using namespace lag;
using namespace lag::test;

namespace {

class recording_links : public ctl::link_handler {
public:
    void on_link(uint16_t port, bool up, time_point) override { events.emplace_back(port, up); }
    std::vector<std::pair<uint16_t, bool>> events;
};

class control_test : public ::testing::Test {
protected:
    static constexpr unsigned members = 3;

    static constexpr uint16_t queues = 2; // two workers where a test asks for them

    void SetUp() override {
        static unsigned seq = 0;
        tag = "c" + std::to_string(seq++);
        host = make_wire(tag + "acc", queues);
        for (unsigned i = 0; i < members; ++i)
            mem.push_back(make_wire(tag + "m" + std::to_string(i), queues));
    }

    void TearDown() override {
        if (c)
            c->shutdown();
        c.reset();
        destroy_wire(host);
        for (auto& x : mem)
            destroy_wire(x);
        EXPECT_EQ(pool_in_use(), 0u) << "mbufs leaked";
    }

    // The LAG starts with members m0 .. m<initial - 1>; the others are spare ports.
    void start(unsigned min_links = 1, unsigned workers = 1, unsigned message_ring = 64, bool static_lag = true,
               unsigned initial = members) {
        std::vector<std::string> names;
        for (unsigned i = 0; i < members; ++i) {
            ASSERT_TRUE(model.add_port("m" + std::to_string(i), model::port_speed::g10).ok());
            if (i < initial)
                names.push_back("m" + std::to_string(i));
        }
        auto r = model.create_lag({.name = "lag0", .speed = model::port_speed::g10,
                                   .members = names, .min_links = min_links});
        ASSERT_TRUE(r.ok()) << r.err().to_string();
        ctl::control_config cfg;
        cfg.lag = "lag0";
        cfg.access_port = host.b;
        for (unsigned i = 0; i < initial; ++i)
            cfg.members.push_back({"m" + std::to_string(i), mem[i].a});
        cfg.name_prefix = tag;
        cfg.workers = workers;
        cfg.message_ring_size = message_ring;
        cfg.static_lag = static_lag;
        auto cr = ctl::control::create(model, cfg);
        ASSERT_TRUE(cr.ok()) << cr.err().to_string();
        c = std::move(*cr);
        c->set_punt_handler(&punt);
    }

    time_point tick() { return now += std::chrono::microseconds(10); }

    std::vector<std::vector<uint8_t>> round_frames(uint32_t flows, uint32_t seq) {
        std::vector<std::vector<uint8_t>> v;
        for (uint32_t f = 0; f < flows; ++f)
            v.push_back(udp_frame(f, seq, 96));
        return v;
    }

    // Reads the partner sides: records flow -> member, checks one member per
    // flow until `moved` allows a change, and per-flow sequence without gaps.
    void collect() {
        for (unsigned i = 0; i < members; ++i) {
            auto got = drain(mem[i].b);
            for (rte_mbuf* m : got) {
                flow_frame ff{};
                ASSERT_TRUE(read_flow(m, ff));
                member_of[ff.flow].push_back(i);
                seqs_of[ff.flow].push_back(ff.seq);
                if (strict_order) {
                    auto [it, first] = next_seq.emplace(ff.flow, 0);
                    EXPECT_EQ(ff.seq, it->second) << "flow " << ff.flow << " lost or reordered a frame";
                    it->second = ff.seq + 1;
                }
            }
            free_all(got);
        }
    }

    std::string tag;
    wire host{};
    std::vector<wire> mem;
    model::lag_model model;
    std::unique_ptr<ctl::control> c;
    recording_punt punt;
    time_point now{};
    std::map<uint32_t, std::vector<unsigned>> member_of; // members each frame of a flow used, in order
    std::map<uint32_t, uint32_t> next_seq;
    std::map<uint32_t, std::vector<uint32_t>> seqs_of; // sequence numbers of each flow, in arrival order
    // Checks each flow's frames arrive in order as they are collected. Off
    // where a worker runs concurrently and a flow moves: its frames still
    // queued on the old member may then be collected after newer ones on the
    // new member (as on real links, without the marker protocol).
    bool strict_order = true;
};

TEST_F(control_test, member_down_moves_only_its_flows_within_one_control_iteration_and_one_burst) {
    start();
    constexpr uint32_t flows = 24; // one burst of 32 holds a whole round
    auto& w = c->worker(0);
    const uint16_t m1 = mem[1].a;
    uint64_t tx_at_down = 0;
    int down_round = 10;
    int bursts_with_frames_after_down = 0, control_polls_after_down = 0;
    bool stopped = false;
    for (int round = 0; round < 30; ++round) {
        ASSERT_EQ(inject(host.a, round_frames(flows, static_cast<uint32_t>(round))), flows);
        if (round == down_round) {
            ASSERT_EQ(rte_eth_dev_set_link_down(m1), 0);
            tx_at_down = c->totals(m1).tx_packets;
        }
        w.poll_once(); // one burst
        if (round >= down_round && !stopped) {
            if (c->totals(m1).tx_packets > tx_at_down) {
                ++bursts_with_frames_after_down;
                tx_at_down = c->totals(m1).tx_packets;
            } else {
                stopped = true;
            }
        }
        c->poll(tick());
        if (round >= down_round && !stopped)
            ++control_polls_after_down;
        collect();
    }
    RecordProperty("bursts_on_member_after_link_down", bursts_with_frames_after_down);
    RecordProperty("control_iterations_until_it_stopped", control_polls_after_down);
    std::printf("member down -> last frame on it: %d control iteration(s), %d burst(s)\n",
                control_polls_after_down, bursts_with_frames_after_down);
    EXPECT_TRUE(stopped);
    EXPECT_LE(control_polls_after_down, 1);
    EXPECT_LE(bursts_with_frames_after_down, 1);
    EXPECT_FALSE(c->current().distributing_slot(1));
    EXPECT_EQ(c->counters().link_changes, 1u);

    unsigned moved = 0;
    for (auto& [flow, used] : member_of) {
        ASSERT_EQ(used.size(), 30u) << "flow " << flow << " lost frames";
        unsigned first = used.front();
        if (first == 1) {
            ++moved;
            EXPECT_NE(used.back(), 1u);
        } else {
            for (unsigned m : used)
                EXPECT_EQ(m, first) << "flow " << flow << " moved although its member stayed up";
        }
    }
    EXPECT_GT(moved, 0u);
    // The old snapshot is freed once the worker passed a quiescent state.
    w.poll_once();
    c->poll(tick());
    EXPECT_EQ(c->snapshots_awaiting_reclaim(), 0u);
    EXPECT_EQ(c->counters().snapshots_freed, 1u);

    // Link back: the member takes an even share again, only moving buckets to it.
    ASSERT_EQ(rte_eth_dev_set_link_up(m1), 0);
    c->poll(tick());
    EXPECT_TRUE(c->current().distributing_slot(1));
}

// Run-time membership: a member that joins takes only buckets that move to
// it, one that leaves gives up only its own, slots behind it move down
// without moving their flows, and the port is released once the worker
// passed the snapshot without it. Refusals change nothing.
TEST_F(control_test, members_added_and_removed_at_run_time_move_only_the_flows_that_must) {
    start(1, 1, 64, true, 2);
    constexpr uint32_t flows = 24;
    auto& w = c->worker(0);
    uint32_t seq = 0;
    auto rounds = [&](int n) {
        for (int i = 0; i < n; ++i) {
            ASSERT_EQ(inject(host.a, round_frames(flows, seq++)), flows);
            w.poll_once();
            c->poll(tick());
            collect();
        }
    };
    auto last_member = [&] {
        std::map<uint32_t, unsigned> m;
        for (auto& [flow, used] : member_of)
            m[flow] = used.back();
        return m;
    };
    rounds(4);
    auto before = last_member();
    ASSERT_EQ(before.size(), flows);
    for (auto& [flow, m] : before)
        ASSERT_LT(m, 2u);

    // m2 joins: flows either stay or move to m2.
    ASSERT_TRUE(c->add_member({"m2", mem[2].a}, tick()).ok());
    EXPECT_EQ(c->current().member_count, 3);
    EXPECT_EQ(c->current().member_ports[2], mem[2].a);
    EXPECT_EQ(model.lag("lag0")->members.size(), 3u);
    rounds(4);
    auto joined = last_member();
    unsigned to_m2 = 0;
    for (auto& [flow, m] : joined) {
        if (m != before[flow]) {
            EXPECT_EQ(m, 2u) << "flow " << flow << " moved between members that stayed";
            ++to_m2;
        }
    }
    EXPECT_GT(to_m2, 0u);

    // Refused changes leave everything as it was.
    auto gen = c->current().generation;
    auto again = c->add_member({"m2", mem[2].a}, tick());
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.err().code, "already-member");
    auto nope = c->remove_member("m9", tick());
    ASSERT_FALSE(nope.ok());
    EXPECT_EQ(nope.err().code, "not-member");
    EXPECT_EQ(c->current().generation, gen);

    // m0 (slot 0) leaves: m1 and m2 move down a slot, their flows stay.
    ASSERT_TRUE(c->remove_member("m0", tick()).ok());
    EXPECT_TRUE(c->leaving(mem[0].a));
    EXPECT_EQ(c->current().member_count, 2);
    EXPECT_EQ(c->current().member_ports[0], mem[1].a);
    EXPECT_EQ(c->current().member_ports[1], mem[2].a);
    uint64_t m0_tx = c->totals(mem[0].a).tx_packets;
    rounds(4);
    EXPECT_EQ(c->totals(mem[0].a).tx_packets, m0_tx) << "a removed member still got frames";
    auto left = last_member();
    unsigned from_m0 = 0;
    for (auto& [flow, m] : left) {
        if (joined[flow] == 0) {
            ++from_m0;
            EXPECT_NE(m, 0u);
        } else {
            EXPECT_EQ(m, joined[flow]) << "flow " << flow << " moved although its member stayed";
        }
    }
    EXPECT_GT(from_m0, 0u);
    // The worker passed the snapshot without m0: the port is released once.
    auto released = c->take_released();
    ASSERT_EQ(released.size(), 1u);
    EXPECT_EQ(released[0], mem[0].a);
    EXPECT_FALSE(c->leaving(mem[0].a));
    EXPECT_TRUE(c->take_released().empty());

    // Below min-links: refused, nothing changes.
    ASSERT_TRUE(c->set_min_links(2, tick()).ok());
    gen = c->current().generation;
    auto low = c->remove_member("m1", tick());
    ASSERT_FALSE(low.ok());
    EXPECT_EQ(low.err().code, "min-links");
    EXPECT_EQ(c->current().generation, gen);
    EXPECT_EQ(model.lag("lag0")->members.size(), 2u);
    // And m0 comes back.
    ASSERT_TRUE(c->add_member({"m0", mem[0].a}, tick()).ok());
    rounds(2);
    EXPECT_GT(c->totals(mem[0].a).tx_packets, m0_tx);
    for (auto& [flow, used] : member_of)
        EXPECT_EQ(used.size(), 14u) << "flow " << flow << " lost frames";
}

TEST_F(control_test, min_links_takes_the_lag_and_the_access_link_down_and_up) {
    start(2);
    auto& w = c->worker(0);
    EXPECT_TRUE(c->current().lag_up);
    EXPECT_TRUE(dpdk::link_up(host.b));
    ASSERT_EQ(rte_eth_dev_set_link_down(mem[0].a), 0);
    c->poll(tick());
    EXPECT_TRUE(c->current().lag_up); // two of three left, min-links 2
    ASSERT_EQ(rte_eth_dev_set_link_down(mem[1].a), 0);
    c->poll(tick());
    EXPECT_FALSE(c->current().lag_up);
    EXPECT_FALSE(dpdk::link_up(host.b)) << "the access port shows the LAG down";

    ASSERT_EQ(inject(host.a, round_frames(20, 0)), 20u);
    w.poll_once();
    EXPECT_EQ(c->totals(host.b).drop(dp::drop_reason::lag_down), 20u);
    collect();
    EXPECT_TRUE(member_of.empty());

    ASSERT_EQ(rte_eth_dev_set_link_up(mem[1].a), 0);
    c->poll(tick());
    EXPECT_TRUE(c->current().lag_up);
    EXPECT_TRUE(dpdk::link_up(host.b));
    ASSERT_EQ(inject(host.a, round_frames(20, 0)), 20u);
    w.poll_once();
    collect();
    EXPECT_EQ(member_of.size(), 20u);
    for (auto& [flow, used] : member_of)
        EXPECT_NE(used.front(), 0u) << "member 0 is still down";
}

TEST_F(control_test, slow_protocol_frames_reach_the_punt_handler) {
    start();
    auto lacp = ether_frame(0x8809, 124);
    lacp[20] = 0x5a; // something to recognise
    ASSERT_EQ(inject(mem[2].b, {lacp, udp_frame(7, 0, 100, true), ether_frame(0x888E, 100)}), 3u);
    c->worker(0).poll_once();
    c->poll(tick());
    ASSERT_EQ(punt.frames.size(), 2u);
    EXPECT_EQ(punt.frames[0].first, mem[2].a);
    EXPECT_EQ(punt.frames[0].second, lacp);
    EXPECT_EQ(punt.frames[1].first, mem[2].a);
    EXPECT_EQ(c->counters().punted_frames, 2u);
    auto to_host = drain(host.a);
    EXPECT_EQ(to_host.size(), 1u);
    free_all(to_host);
}

TEST_F(control_test, worker_on_its_own_lcore_switches_snapshots_and_control_reclaims_them) {
    start();
    unsigned lcore = rte_get_next_lcore(-1, 1, 0);
    ASSERT_LT(lcore, RTE_MAX_LCORE) << "the EAL was started with one lcore";
    strict_order = false;
    std::atomic<bool> quit{false};
    dp::worker::launch_arg arg{&c->worker(0), &quit};
    ASSERT_EQ(launch_on(lcore, dp::worker::lcore_main, &arg), 0);

    constexpr uint32_t flows = 64;
    const uint16_t m1 = mem[1].a;
    bool reclaimed = false;
    uint64_t frozen_tx = 0;
    int polls_until_reclaimed = 0;
    for (uint32_t round = 0; round < 400; ++round) {
        auto frames = round_frames(flows, round);
        size_t sent = 0;
        while (sent < flows) { // the worker drains concurrently
            std::vector<std::vector<uint8_t>> rest(frames.begin() + static_cast<long>(sent), frames.end());
            sent += inject(host.a, rest);
            collect();
        }
        if (round == 100) {
            ASSERT_EQ(rte_eth_dev_set_link_down(m1), 0);
        }
        c->poll(tick());
        if (round >= 100 && !reclaimed) {
            ++polls_until_reclaimed;
            if (c->counters().snapshots_freed == 1) {
                reclaimed = true;
                frozen_tx = c->totals(m1).tx_packets; // no frame goes to m1 after this
            }
        }
        if (reclaimed) {
            EXPECT_EQ(c->totals(m1).tx_packets, frozen_tx) << "frame sent on a member after quiescence";
        }
        collect();
    }
    // Let the worker take what is still queued on the access wire, then stop it.
    for (int spin = 0; spin < 10'000'000 && c->totals(host.b).rx_packets < 400u * flows; ++spin) {
        collect();
        c->poll(tick());
    }
    quit.store(true);
    EXPECT_EQ(wait_on(lcore), 0);
    // What the worker sent before stopping.
    for (int i = 0; i < 3; ++i)
        collect();
    std::printf("threaded: old snapshot reclaimed after %d control iteration(s)\n", polls_until_reclaimed);
    for (unsigned i = 0; i < members; ++i)
        EXPECT_EQ(c->totals(mem[i].a).total_drops(), 0u)
            << "member " << i << " tx_full " << c->totals(mem[i].a).drop(dp::drop_reason::tx_full);
    EXPECT_EQ(c->totals(host.b).total_drops(), 0u);
    EXPECT_TRUE(reclaimed);
    EXPECT_EQ(c->totals(m1).tx_packets, frozen_tx);
    // Every frame of every flow arrived exactly once; flows that kept their
    // member arrived in order.
    unsigned moved = 0;
    for (auto& [flow, used] : member_of) {
        auto seqs = seqs_of[flow];
        EXPECT_EQ(used.size(), 400u) << "flow " << flow;
        bool stayed = std::all_of(used.begin(), used.end(), [&](unsigned m) { return m == used.front(); });
        if (stayed) {
            EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end())) << "flow " << flow << " reordered on one member";
        } else {
            ++moved;
            EXPECT_EQ(used.front(), 1u) << "flow " << flow << " moved but was not on the member that went down";
        }
        std::sort(seqs.begin(), seqs.end());
        for (uint32_t k = 0; k < seqs.size(); ++k)
            if (seqs[k] != k) {
                ADD_FAILURE() << "flow " << flow << " lost or duplicated frame " << k;
                break;
            }
    }
    EXPECT_GT(moved, 0u);
    EXPECT_EQ(c->totals(host.b).rx_packets, 400u * flows);
}

TEST_F(control_test, old_snapshots_are_freed_only_after_every_worker_passed_them) {
    start(1, 2);
    ASSERT_EQ(c->worker_count(), 2u);
    ASSERT_EQ(rte_eth_dev_set_link_down(mem[0].a), 0);
    c->poll(tick());
    EXPECT_EQ(c->counters().snapshots_published, 2u);
    EXPECT_EQ(c->snapshots_awaiting_reclaim(), 1u);
    c->worker(0).poll_once();
    c->poll(tick());
    EXPECT_EQ(c->snapshots_awaiting_reclaim(), 1u) << "worker 1 may still use the old snapshot";
    EXPECT_EQ(c->worker(1).current()->generation, 1u);
    c->worker(1).poll_once();
    EXPECT_EQ(c->worker(1).current()->generation, 2u);
    c->poll(tick());
    EXPECT_EQ(c->snapshots_awaiting_reclaim(), 0u);
    EXPECT_EQ(c->counters().snapshots_freed, 1u);

    // Both workers forward, each from its own queue; flows keep one member
    // whichever worker carries them.
    for (uint16_t q = 0; q < queues; ++q)
        ASSERT_EQ(inject(host.a, round_frames(50, 0), q), 50u);
    for (int k = 0; k < 3; ++k) { // 50 frames: two bursts each
        c->worker(0).poll_once();
        c->worker(1).poll_once();
    }
    for (uint16_t q = 0; q < queues; ++q)
        for (unsigned i = 0; i < members; ++i) {
            auto got = drain(mem[i].b, q);
            for (rte_mbuf* m : got) {
                flow_frame ff{};
                ASSERT_TRUE(read_flow(m, ff));
                member_of[ff.flow].push_back(i);
            }
            free_all(got);
        }
    EXPECT_EQ(member_of.size(), 50u);
    for (auto& [flow, used] : member_of) {
        ASSERT_EQ(used.size(), 2u);
        EXPECT_EQ(used[0], used[1]) << "flow " << flow;
        EXPECT_NE(used[0], 0u) << "member 0 is down";
    }
    dp::port_totals w0, w1;
    w0.add(c->worker(0).counters().ports[host.b]);
    w1.add(c->worker(1).counters().ports[host.b]);
    EXPECT_EQ(w0.rx_packets, 50u);
    EXPECT_EQ(w1.rx_packets, 50u);
    EXPECT_EQ(c->totals(host.b).rx_packets, 100u);
}

TEST_F(control_test, full_message_ring_is_retried_and_nothing_is_freed_early) {
    start(1, 1, 4); // 3 usable slots
    auto& w = c->worker(0);
    for (int k = 0; k < 3; ++k) { // six changes, the worker asleep
        ASSERT_EQ(rte_eth_dev_set_link_down(mem[2].a), 0);
        c->poll(tick());
        ASSERT_EQ(rte_eth_dev_set_link_up(mem[2].a), 0);
        c->poll(tick());
    }
    EXPECT_EQ(c->counters().snapshots_published, 7u);
    EXPECT_GT(c->counters().message_ring_full, 0u);
    EXPECT_EQ(c->counters().snapshots_freed, 0u);
    EXPECT_EQ(c->snapshots_awaiting_reclaim(), 6u);
    w.poll_once();  // takes the three queued snapshots (generations 2 to 4)
    EXPECT_EQ(w.current()->generation, 4u);
    c->poll(tick()); // sends the newest (7); frees 1 to 3, which the worker left
    EXPECT_EQ(c->counters().snapshots_freed, 3u);
    EXPECT_EQ(c->snapshots_awaiting_reclaim(), 3u) << "4 is in use, 5 and 6 were retired after the worker's last pass";
    w.poll_once();
    c->poll(tick());
    EXPECT_EQ(w.current(), &c->current());
    EXPECT_EQ(c->snapshots_awaiting_reclaim(), 0u);
    EXPECT_EQ(c->counters().snapshots_freed, 6u);
}

TEST_F(control_test, protocol_driven_lag_distributes_only_what_it_is_told) {
    start(1, 1, 64, false); // LACP's place: links alone decide nothing
    recording_links links;
    c->set_link_handler(&links);
    EXPECT_EQ(c->current().distributing, 0u);
    EXPECT_FALSE(c->current().lag_up);
    ASSERT_TRUE(c->set_member_state("m0", true, true, tick()).ok());
    ASSERT_TRUE(c->set_member_state("m2", false, true, tick()).ok()); // collecting, not distributing
    EXPECT_TRUE(c->current().lag_up);
    EXPECT_EQ(c->current().distributing, 0b001u);
    EXPECT_EQ(c->current().collecting, 0b101u);
    EXPECT_FALSE(c->set_member_state("x", true, true, tick()).ok());

    ASSERT_EQ(rte_eth_dev_set_link_down(mem[0].a), 0);
    c->poll(tick());
    ASSERT_EQ(links.events.size(), 1u);
    EXPECT_EQ(links.events[0], std::make_pair(mem[0].a, false));
    EXPECT_EQ(c->current().distributing, 0b001u) << "the protocol, not the link, decides";

    auto& w = c->worker(0);
    ASSERT_EQ(inject(mem[1].b, {udp_frame(1, 0, 100, true)}), 1u); // m1: not collecting
    ASSERT_EQ(inject(mem[2].b, {udp_frame(2, 0, 100, true)}), 1u); // m2: collecting
    w.poll_once();
    auto up = drain(host.a);
    ASSERT_EQ(up.size(), 1u);
    flow_frame ff{};
    EXPECT_TRUE(read_flow(up[0], ff));
    EXPECT_EQ(ff.flow, 2u);
    free_all(up);
    EXPECT_EQ(c->totals(mem[1].a).drop(dp::drop_reason::not_collecting), 1u);
    ASSERT_EQ(rte_eth_dev_set_link_up(mem[0].a), 0);
    c->poll(tick());
}

// ---- faults: a member link flap storm, a worker lagging on its control ring ----

// A worker loop for its own lcore that can lag behind: it sleeps `lag`
// between polls, so its control ring fills and control must keep every
// snapshot the worker may still use until it reported quiescence (a
// snapshot freed early is a use-after-free inside poll_once(): ASan and TSan
// builds report it). Nothing here reads the worker's snapshot after
// poll_once(): after its quiescent report that pointer may already be freed
// (TSan caught a first version of this loop doing just that).
struct lagging_worker {
    dp::worker* w = nullptr;
    const std::atomic<bool>* quit = nullptr;
    std::chrono::microseconds lag{0};
    std::atomic<bool> hold{false}; // set: the worker does not poll at all
    std::atomic<uint64_t> polls{0};

    static int main(void* p) {
        auto* a = static_cast<lagging_worker*>(p);
        while (!a->quit->load(std::memory_order_relaxed)) {
            if (a->hold.load(std::memory_order_acquire)) {
                std::this_thread::yield();
                continue;
            }
            a->w->poll_once();
            a->polls.fetch_add(1, std::memory_order_relaxed);
            if (a->lag.count() != 0)
                std::this_thread::sleep_for(a->lag);
        }
        return 0;
    }
};

class flap_test : public control_test {
protected:
    // `flaps` link down/up pairs on the members in turn through the control,
    // traffic from the access side all along, the worker on its own lcore
    // (sleeping `lag` between polls, and not polling at all during the
    // first `held` flaps, so that its ring fills however fast each side
    // runs). At the end: every frame the worker took was sent on a member or
    // counted dropped, every old snapshot was freed once the worker passed
    // it, the final membership is every member.
    void storm(unsigned flaps, std::chrono::microseconds lag, unsigned message_ring, unsigned held = 0) {
        start(1, 1, message_ring);
        unsigned lcore = rte_get_next_lcore(-1, 1, 0);
        ASSERT_LT(lcore, RTE_MAX_LCORE) << "the EAL was started with one lcore";
        strict_order = false; // a flow moves with every flap
        std::atomic<bool> quit{false};
        lagging_worker cw;
        cw.w = &c->worker(0);
        cw.quit = &quit;
        cw.lag = lag;
        cw.hold.store(held != 0);
        ASSERT_EQ(launch_on(lcore, lagging_worker::main, &cw), 0);

        uint64_t injected = 0, max_awaiting = 0;
        for (unsigned k = 0; k < flaps; ++k) {
            if (k == held)
                cw.hold.store(false, std::memory_order_release);
            const uint16_t port = mem[k % members].a;
            ASSERT_EQ(rte_eth_dev_set_link_down(port), 0);
            c->poll(tick());
            injected += inject(host.a, round_frames(8, k));
            ASSERT_EQ(rte_eth_dev_set_link_up(port), 0);
            c->poll(tick());
            max_awaiting = std::max<uint64_t>(max_awaiting, c->snapshots_awaiting_reclaim());
            collect();
        }
        for (int spin = 0; spin < 20'000'000 && c->totals(host.b).rx_packets < injected; ++spin) {
            c->poll(tick());
            collect();
        }
        quit.store(true);
        EXPECT_EQ(wait_on(lcore), 0);
        // The worker stopped: a few passes here take what is still queued for
        // it (a full ring holds back the newest snapshot) and report quiescence.
        for (int k = 0; k < 8 && (c->snapshots_awaiting_reclaim() != 0 || c->worker(0).current() != &c->current()); ++k) {
            c->worker(0).poll_once();
            c->poll(tick());
        }
        collect();

        const auto& cc = c->counters();
        std::printf("flap storm: %u flaps, %lu snapshots published, %lu freed, at most %lu awaiting reclaim, "
                    "%lu message-ring-full retries, %lu worker polls\n",
                    flaps, static_cast<unsigned long>(cc.snapshots_published),
                    static_cast<unsigned long>(cc.snapshots_freed), static_cast<unsigned long>(max_awaiting),
                    static_cast<unsigned long>(cc.message_ring_full), static_cast<unsigned long>(cw.polls.load()));
        EXPECT_EQ(cc.link_changes, 2u * flaps);
        EXPECT_EQ(cc.snapshots_published, 2u * flaps + 1);
        EXPECT_EQ(cc.snapshots_freed, cc.snapshots_published - 1) << "every old snapshot reclaimed";
        EXPECT_EQ(c->snapshots_awaiting_reclaim(), 0u);
        EXPECT_EQ(c->worker(0).current(), &c->current());
        EXPECT_EQ(c->current().distributing, 0b111u);
        EXPECT_TRUE(c->current().lag_up);
        // No frame vanished: what the worker took from the access port was
        // sent on a member or counted as dropped, and every frame sent arrived.
        const auto acc = c->totals(host.b);
        uint64_t sent = 0, tx_full = 0, arrived = 0;
        for (unsigned i = 0; i < members; ++i) {
            sent += c->totals(mem[i].a).tx_packets;
            tx_full += c->totals(mem[i].a).drop(dp::drop_reason::tx_full);
        }
        for (auto& [flow, seqs] : seqs_of)
            arrived += seqs.size();
        EXPECT_EQ(acc.rx_packets, injected);
        EXPECT_EQ(sent + tx_full + acc.total_drops(), acc.rx_packets);
        EXPECT_EQ(arrived, sent);
        EXPECT_EQ(acc.drop(dp::drop_reason::lag_down) + acc.drop(dp::drop_reason::no_member), 0u)
            << "two members stay up through every flap";
    }
};

TEST_F(flap_test, hundreds_of_member_link_flaps_through_the_control_leave_every_member_up_and_nothing_leaked) {
    storm(300, std::chrono::microseconds(0), 64);
}

TEST_F(flap_test, a_worker_lagging_on_its_control_ring_keeps_its_snapshots_until_it_passed_them) {
    // Four slots (three usable) and a worker that sleeps between polls and,
    // for the first 4 flaps (8 snapshots), does not poll at all: the ring
    // fills, control retries, and frees a snapshot only after the worker
    // reported quiescence past it (ASan build: no use after free). Held, the
    // worker lags whatever the machine's speed: the check below cannot
    // depend on timing.
    storm(200, std::chrono::microseconds(500), 4, 4);
    EXPECT_GT(c->counters().message_ring_full, 0u) << "the worker never lagged: the test did not test";
}

TEST_F(control_test, config_that_does_not_match_the_model_is_refused) {
    ASSERT_TRUE(model.add_port("m0", model::port_speed::g10).ok());
    ASSERT_TRUE(model.add_port("x", model::port_speed::g10).ok());
    ASSERT_TRUE(model.create_lag({.name = "lag0", .members = {"m0"}}).ok());
    ctl::control_config cfg;
    cfg.lag = "nope";
    cfg.members = {{"m0", mem[0].a}};
    auto r = ctl::control::create(model, cfg);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, "no-lag");
    cfg.lag = "lag0";
    cfg.members = {{"x", mem[0].a}};
    r = ctl::control::create(model, cfg);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, "members");
}

} // namespace
