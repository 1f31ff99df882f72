// LACP on the control core, end to end inside one process: two systems A and
// B (each a control + worker + lacp_driver with its own LAG model) joined by
// two member wires of net_ring ports. LACPDUs go out on a TX queue the worker
// does not use and come back through the worker's punt ring. Both ends must
// reach collecting and distributing on every member, traffic must cross, and
// a member whose link goes down must leave on both ends while traffic keeps
// flowing on the other. Real time here (EAL); waits are bounded, not measured.
#include "control/lacp_driver.hpp"
#include "dp_env.hpp"
#include "port.hpp"

#include <gtest/gtest.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <chrono>
#include <cstdio>
#include <functional>

using namespace lag;
using namespace lag::test;

namespace {

constexpr uint16_t control_queue = 1;

struct lacp_system {
    model::lag_model model;
    std::unique_ptr<ctl::control> c;
    std::unique_ptr<ctl::queue_tx> tx;
    std::unique_ptr<ctl::lacp_driver> lacp;

    // `speed`: the LAG's and its members' declared speed; `check_speed`:
    // whether the link speed the device reports (net_ring: 10G) is checked.
    void start(const std::string& prefix, uint16_t access, const std::vector<uint16_t>& members,
               const mac_addr& system, time_point now, model::port_speed speed = model::port_speed::g10,
               bool check_speed = false) {
        std::vector<std::string> names;
        for (size_t i = 0; i < members.size(); ++i) {
            names.push_back("m" + std::to_string(i));
            ASSERT_TRUE(model.add_port(names.back(), speed));
        }
        ASSERT_TRUE(model.create_lag({.name = "lag0", .speed = speed, .members = names, .min_links = 1}));
        ctl::control_config cfg;
        cfg.lag = "lag0";
        cfg.access_port = access;
        for (size_t i = 0; i < members.size(); ++i)
            cfg.members.push_back({names[i], members[i], check_speed});
        cfg.static_lag = false;
        cfg.name_prefix = prefix;
        auto cr = ctl::control::create(model, cfg);
        ASSERT_TRUE(cr.ok()) << cr.err().to_string();
        c = std::move(*cr);
        // Nothing distributes before LACP says so.
        EXPECT_EQ(model.operational_members("lag0"), 0u);
        tx = std::make_unique<ctl::queue_tx>(pool(), control_queue, *c);
        std::vector<ctl::lacp_member> lm;
        for (size_t i = 0; i < members.size(); ++i) {
            mac_addr mac = system;
            mac.bytes[5] = static_cast<uint8_t>(i + 1);
            lm.push_back({names[i], members[i], mac, static_cast<uint16_t>(i + 1)});
        }
        auto lr = ctl::lacp_driver::create(*c, model,
                                           {.system_id = system, .key = lacp::derive_key(1, model::speed_mbps(speed))},
                                           lm, *tx, now);
        ASSERT_TRUE(lr.ok()) << lr.err().to_string();
        lacp = std::move(*lr);
    }
    void poll(time_point now) {
        c->poll(now);
        c->worker(0).poll_once();
        lacp->poll(now);
    }
    bool distributing(uint16_t i) const { return lacp->group().status(i).distributing; }
    void stop() {
        lacp.reset();
        if (c)
            c->shutdown();
        c.reset();
    }
};

class lacp_control_test : public ::testing::Test {
protected:
    void SetUp() override {
        static unsigned seq = 0;
        tag = "lc" + std::to_string(seq++);
        host_a = make_wire(tag + "ha");
        host_b = make_wire(tag + "hb");
        for (int i = 0; i < 2; ++i)
            wires.push_back(make_member_wire(tag + "w" + std::to_string(i)));
        t0 = std::chrono::steady_clock::now();
        a.start(tag + "A", host_a.b, {wires[0].a, wires[1].a}, *mac_addr::parse("02:00:00:00:0a:00"), now());
        b.start(tag + "B", host_b.b, {wires[0].b, wires[1].b}, *mac_addr::parse("02:00:00:00:0b:00"), now());
    }
    void TearDown() override {
        a.stop();
        b.stop();
        destroy_wire(host_a);
        destroy_wire(host_b);
        for (auto& w : wires)
            destroy_member_wire(w);
        EXPECT_EQ(pool_in_use(), 0u) << "mbufs leaked";
    }
    time_point now() const { return time_point{std::chrono::steady_clock::now() - t0}; }
    void poll_both() {
        auto t = now();
        a.poll(t);
        b.poll(t);
    }
    // Polls both systems until pred() or `limit` of real time passed.
    bool poll_until(const std::function<bool()>& pred, std::chrono::seconds limit) {
        auto end = std::chrono::steady_clock::now() + limit;
        while (!pred()) {
            if (std::chrono::steady_clock::now() > end)
                return false;
            poll_both();
        }
        return true;
    }
    // Sends `n` flows from A's access side; returns how many reach B's access side.
    size_t cross(uint32_t n, uint32_t seq) {
        std::vector<std::vector<uint8_t>> frames;
        for (uint32_t f = 0; f < n; ++f)
            frames.push_back(udp_frame(f, seq, 96));
        EXPECT_EQ(inject(host_a.a, frames), n);
        size_t got = 0;
        for (int i = 0; i < 200 && got < n; ++i) {
            poll_both();
            auto r = drain(host_b.a);
            for (rte_mbuf* m : r) {
                flow_frame ff{};
                if (read_flow(m, ff) && ff.seq == seq)
                    ++got;
            }
            free_all(r);
        }
        return got;
    }

    bool all_distributing_ab() const {
        return a.distributing(0) && a.distributing(1) && b.distributing(0) && b.distributing(1);
    }

    std::string tag;
    wire host_a{}, host_b{};
    std::vector<member_wire> wires;
    std::chrono::steady_clock::time_point t0;
    lacp_system a, b;
};

TEST_F(lacp_control_test, both_ends_reach_collecting_distributing_and_traffic_crosses) {
    ASSERT_TRUE(poll_until([&] { return a.distributing(0) && a.distributing(1) && b.distributing(0) && b.distributing(1); },
                           std::chrono::seconds(20)))
        << "A: " << lacp::to_string(a.lacp->group().status(0).mux) << "/"
        << lacp::to_string(a.lacp->group().status(1).mux)
        << " B: " << lacp::to_string(b.lacp->group().status(0).mux) << "/"
        << lacp::to_string(b.lacp->group().status(1).mux) << " frames out A " << a.lacp->counters().frames_out
        << " in B " << b.lacp->counters().frames_in;
    std::printf("LACP over net_ring through control and workers: all members distributing after %.3f s\n",
                std::chrono::duration<double>(now().since_epoch).count());
    // The LAG models took LACP's word: both members operational, partner the other system.
    for (auto* s : {&a, &b}) {
        EXPECT_EQ(s->model.operational_members("lag0"), 2u);
        EXPECT_TRUE(s->model.lag("lag0")->up);
        EXPECT_EQ(s->lacp->counters().apply_failed, 0u);
        EXPECT_EQ(s->lacp->counters().tx_failed, 0u);
    }
    ASSERT_TRUE(a.model.lag("lag0")->partner);
    EXPECT_EQ(a.model.lag("lag0")->partner->system, *mac_addr::parse("02:00:00:00:0b:00"));
    EXPECT_EQ(a.model.lag("lag0")->partner->key, lacp::derive_key(1, 10'000));
    // Every LACPDU punted was well formed.
    for (uint16_t i = 0; i < 2; ++i) {
        EXPECT_GT(b.lacp->group().counters(i).lacpdus_rx, 0u);
        EXPECT_EQ(b.lacp->group().counters(i).illegal_rx, 0u);
    }
    EXPECT_EQ(cross(64, 1), 64u);
}

TEST_F(lacp_control_test, a_member_whose_link_goes_down_leaves_both_ends_and_traffic_moves) {
    ASSERT_TRUE(poll_until([&] { return a.distributing(0) && a.distributing(1) && b.distributing(0) && b.distributing(1); },
                           std::chrono::seconds(20)));
    // A's end of member 1 loses its link; B's end does not see it (as with a
    // fault on the far side of a media converter) and must expire it.
    ASSERT_TRUE(dpdk::set_link(wires[1].a, false));
    ASSERT_TRUE(poll_until([&] { return !a.distributing(1); }, std::chrono::seconds(5)));
    EXPECT_EQ(a.lacp->group().status(1).reason, lacp::unselected_reason::link_down);
    EXPECT_EQ(a.model.operational_members("lag0"), 1u);
    ASSERT_TRUE(poll_until([&] { return !b.distributing(1); }, std::chrono::seconds(10)));
    EXPECT_NE(b.lacp->group().status(1).receive, lacp::receive_state::current);
    EXPECT_TRUE(a.distributing(0) && b.distributing(0));
    EXPECT_EQ(cross(64, 2), 64u);
    // Link back: the member rejoins on both ends.
    ASSERT_TRUE(dpdk::set_link(wires[1].a, true));
    ASSERT_TRUE(poll_until([&] { return a.distributing(1) && b.distributing(1); }, std::chrono::seconds(20)));
    EXPECT_EQ(a.model.operational_members("lag0"), 2u);
    EXPECT_EQ(cross(64, 3), 64u);
}

TEST_F(lacp_control_test, a_member_whose_link_runs_at_another_speed_is_speed_mismatch_and_never_aggregates) {
    ASSERT_TRUE(poll_until([&] { return all_distributing_ab(); }, std::chrono::seconds(20)));
    // Checked at the LAG's own speed (net_ring runs its links at 10G): nothing changes.
    a.stop();
    a.model = model::lag_model{};
    a.start(tag + "A2", host_a.b, {wires[0].a, wires[1].a}, *mac_addr::parse("02:00:00:00:0a:00"), now(),
            model::port_speed::g10, true);
    ASSERT_TRUE(poll_until([&] { return all_distributing_ab(); }, std::chrono::seconds(20)));
    EXPECT_EQ(a.model.port("m0")->link_mbps, 10'000u);
    EXPECT_EQ(a.c->counters().speed_mismatches, 0u);
    // A says its members are 100G: each link, at 10G, is speed-mismatch. The
    // member does not aggregate and LACP carries another key for it.
    a.stop();
    a.model = model::lag_model{};
    a.start(tag + "A3", host_a.b, {wires[0].a, wires[1].a}, *mac_addr::parse("02:00:00:00:0a:00"), now(),
            model::port_speed::g100, true);
    for (auto m : {"m0", "m1"})
        EXPECT_EQ(a.model.status_of(m), model::member_status::speed_mismatch) << m;
    EXPECT_EQ(a.c->counters().speed_mismatches, 2u);
    // Seconds of LACP: B hears A's per-member key, A never selects a member.
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(4);
    while (std::chrono::steady_clock::now() < end)
        poll_both();
    for (uint16_t i = 0; i < 2; ++i) {
        EXPECT_FALSE(a.distributing(i)) << "member " << i;
        EXPECT_EQ(a.lacp->group().status(i).reason, lacp::unselected_reason::key_mismatch) << "member " << i;
        ASSERT_TRUE(b.lacp->group().status(i).heard_partner);
        EXPECT_EQ(b.lacp->group().status(i).heard_partner->key, lacp::derive_key(1, 10'000)) << "member " << i;
    }
    EXPECT_EQ(a.model.operational_members("lag0"), 0u);
    EXPECT_FALSE(a.model.lag("lag0")->up);
    // A link that goes down and up again is read again, and counted again.
    ASSERT_TRUE(dpdk::set_link(wires[1].a, false));
    ASSERT_TRUE(poll_until([&] { return !a.model.port("m1")->link_mbps; }, std::chrono::seconds(5)));
    EXPECT_EQ(a.model.status_of("m1"), model::member_status::not_distributing);
    ASSERT_TRUE(dpdk::set_link(wires[1].a, true));
    ASSERT_TRUE(poll_until([&] { return a.model.status_of("m1") == model::member_status::speed_mismatch; },
                           std::chrono::seconds(5)));
    EXPECT_EQ(a.c->counters().speed_mismatches, 3u);
}

// ---- faults -----------------------------------------------------------------

bool all_distributing(const lacp_system& s) { return s.distributing(0) && s.distributing(1); }

TEST_F(lacp_control_test, a_partner_that_stops_answering_is_expired_and_the_lag_goes_down_then_recovers) {
    ASSERT_TRUE(poll_until([&] { return all_distributing(a) && all_distributing(b); }, std::chrono::seconds(20)));
    // B hangs: nothing polls it, so it neither sends nor receives. A's
    // members must time out (3 s at the fast rate) and stop distributing.
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while ((a.distributing(0) || a.distributing(1)) && std::chrono::steady_clock::now() < end)
        a.poll(now());
    EXPECT_FALSE(a.distributing(0));
    EXPECT_FALSE(a.distributing(1));
    for (uint16_t i = 0; i < 2; ++i)
        EXPECT_NE(a.lacp->group().status(i).receive, lacp::receive_state::current) << "member " << i;
    EXPECT_EQ(a.model.operational_members("lag0"), 0u);
    EXPECT_FALSE(a.model.lag("lag0")->up);
    EXPECT_EQ(a.lacp->counters().apply_failed, 0u);
    // B wakes up (with A's LACPDUs of the last seconds waiting): both ends
    // converge again and traffic crosses.
    ASSERT_TRUE(poll_until([&] { return all_distributing(a) && all_distributing(b); }, std::chrono::seconds(20)));
    EXPECT_EQ(cross(64, 4), 64u);
}

TEST_F(lacp_control_test, a_partner_that_changes_its_key_mid_session_is_followed_to_the_new_key) {
    ASSERT_TRUE(poll_until([&] { return all_distributing(a) && all_distributing(b); }, std::chrono::seconds(20)));
    ASSERT_EQ(a.model.lag("lag0")->partner->key, lacp::derive_key(1, 10'000));
    // B's LACP restarts with another key (an operator renumbered its LAG).
    const uint16_t new_key = lacp::derive_key(2, 10'000);
    ASSERT_NE(new_key, lacp::derive_key(1, 10'000));
    b.lacp.reset();
    std::vector<ctl::lacp_member> lm;
    for (uint16_t i = 0; i < 2; ++i) {
        mac_addr mac = *mac_addr::parse("02:00:00:00:0b:00");
        mac.bytes[5] = static_cast<uint8_t>(i + 1);
        lm.push_back({"m" + std::to_string(i), i == 0 ? wires[0].b : wires[1].b, mac, static_cast<uint16_t>(i + 1)});
    }
    auto lr = ctl::lacp_driver::create(*b.c, b.model,
                                       {.system_id = *mac_addr::parse("02:00:00:00:0b:00"), .key = new_key}, lm,
                                       *b.tx, now());
    ASSERT_TRUE(lr.ok()) << lr.err().to_string();
    b.lacp = std::move(*lr);
    // A follows: every member re-selected with the partner's new key, and
    // the LAG model holds it as the partner.
    ASSERT_TRUE(poll_until([&] {
        return all_distributing(a) && all_distributing(b) && a.model.lag("lag0")->partner &&
               a.model.lag("lag0")->partner->key == new_key;
    }, std::chrono::seconds(20)))
        << "A: " << lacp::to_string(a.lacp->group().status(0).mux) << "/"
        << lacp::to_string(a.lacp->group().status(1).mux);
    EXPECT_EQ(a.model.operational_members("lag0"), 2u);
    EXPECT_EQ(a.lacp->counters().apply_failed, 0u);
    EXPECT_EQ(b.lacp->counters().apply_failed, 0u);
    EXPECT_EQ(cross(64, 5), 64u);
}

TEST_F(lacp_control_test, a_lacpdu_storm_fills_the_punt_ring_counted_the_worker_never_blocks_and_lacp_converges) {
    // 4000 slow-protocol frames from B's side of member 0 at once (nothing a
    // LACP partner would send: a flood), while A's worker runs 64 bursts for
    // each control poll: the punt ring (1024) fills, what does not fit is
    // freed and counted, and every poll_once() returns.
    std::vector<std::vector<uint8_t>> storm(4000, ether_frame(0x8809, 124));
    ASSERT_EQ(inject(wires[0].b, storm, control_queue), storm.size());
    uint64_t worker_polls = 0;
    for (int round = 0; round < 8; ++round) {
        for (int k = 0; k < 64; ++k, ++worker_polls)
            a.c->worker(0).poll_once();
        auto t = now();
        a.c->poll(t);
        a.lacp->poll(t);
        b.poll(t);
    }
    const auto m0 = a.c->totals(wires[0].a);
    std::printf("LACPDU storm: %lu frames punted, %lu dropped as punt_full, %lu worker polls\n",
                static_cast<unsigned long>(m0.punted), static_cast<unsigned long>(m0.drop(dp::drop_reason::punt_full)),
                static_cast<unsigned long>(worker_polls));
    EXPECT_GT(m0.drop(dp::drop_reason::punt_full), 0u) << "the punt ring never filled: the test did not test";
    EXPECT_EQ(m0.punted + m0.drop(dp::drop_reason::punt_full), m0.rx_packets);
    EXPECT_GE(m0.rx_packets, storm.size());
    // The flood's frames are no LACPDUs: counted as such by LACP, not acted on.
    EXPECT_GT(a.lacp->group().counters(0).illegal_rx, 0u);
    // LACP on member 1 (and after the flood on member 0 too) converges.
    ASSERT_TRUE(poll_until([&] { return a.distributing(1) && b.distributing(1); }, std::chrono::seconds(20)));
    ASSERT_TRUE(poll_until([&] { return all_distributing(a) && all_distributing(b); }, std::chrono::seconds(20)));
    EXPECT_EQ(cross(64, 6), 64u);
}

TEST_F(lacp_control_test, an_exhausted_mempool_fails_lacpdu_transmission_counted_and_lacp_recovers) {
    ASSERT_TRUE(poll_until([&] { return all_distributing(a) && all_distributing(b); }, std::chrono::seconds(20)));
    // Take every free mbuf: control TX cannot allocate a LACPDU, and an
    // access-side frame cannot be built either.
    std::vector<rte_mbuf*> hoard;
    while (rte_mbuf* m = rte_pktmbuf_alloc(pool()))
        hoard.push_back(m);
    ASSERT_GT(hoard.size(), 0u);
    EXPECT_EQ(inject(host_a.a, {udp_frame(1, 0, 96)}), 0u) << "an mbuf was left";
    const uint64_t failed_before = a.lacp->counters().tx_failed + b.lacp->counters().tx_failed;
    // 1.5 s: past the fast periodic time (1 s), short of the partner's 3 s timeout.
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    while (std::chrono::steady_clock::now() < until) {
        poll_both();
        // Frames in flight when the pool ran dry come back to it: take them too.
        while (rte_mbuf* m = rte_pktmbuf_alloc(pool()))
            hoard.push_back(m);
    }
    const uint64_t failed = a.lacp->counters().tx_failed + b.lacp->counters().tx_failed - failed_before;
    std::printf("mempool exhausted for 1.5 s: %lu LACPDU transmissions failed (counted); out A %lu B %lu, "
                "%zu mbufs held, %u in use\n",
                static_cast<unsigned long>(failed), static_cast<unsigned long>(a.lacp->counters().frames_out),
                static_cast<unsigned long>(b.lacp->counters().frames_out), hoard.size(), pool_in_use());
    EXPECT_GT(failed, 0u);
    free_all(hoard);
    // Transmission resumes; the session is whole again and traffic crosses.
    const uint64_t out_a = a.lacp->counters().frames_out;
    ASSERT_TRUE(poll_until([&] { return a.lacp->counters().frames_out > out_a + 2; }, std::chrono::seconds(10)));
    ASSERT_TRUE(poll_until([&] { return all_distributing(a) && all_distributing(b); }, std::chrono::seconds(20)));
    EXPECT_EQ(cross(64, 7), 64u);
}

} // namespace
