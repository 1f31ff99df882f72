// Two (or three) LACP systems back to back in virtual time: issue 4's
// scenarios. Every time below is virtual; nothing here reads a clock.
#include "lacp_sim.hpp"

#include "lag/lag.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

namespace lag::lacp {
namespace {

using sim::endpoint;

const mac_addr sys_a = *mac_addr::parse("02:00:00:00:0a:00");
const mac_addr sys_b = *mac_addr::parse("02:00:00:00:0b:00");
const mac_addr sys_c = *mac_addr::parse("02:00:00:00:0c:00");

mac_addr port_mac(const mac_addr& sys, int i) {
    mac_addr m = sys;
    m.bytes[5] = static_cast<uint8_t>(i + 1);
    return m;
}

double secs(duration d) { return std::chrono::duration<double>(d).count(); }

// Two systems A and B with `n` members each, member i of A cabled to member i
// of B.
struct back_to_back {
    sim::network net;
    size_t a, b;
    std::vector<size_t> wires;
    int n;

    back_to_back(int members, group_config ca, group_config cb) : n(members) {
        ca.system_id = sys_a;
        cb.system_id = sys_b;
        a = net.add_group(ca);
        b = net.add_group(cb);
        for (int i = 0; i < n; ++i) {
            net.add_port(a, {.mac = port_mac(sys_a, i), .port_number = static_cast<uint16_t>(i + 1)});
            net.add_port(b, {.mac = port_mac(sys_b, i), .port_number = static_cast<uint16_t>(i + 1)});
        }
        for (int i = 0; i < n; ++i)
            wires.push_back(net.connect(pa(i), pb(i)));
    }
    endpoint pa(int i) const { return {a, static_cast<uint16_t>(i)}; }
    endpoint pb(int i) const { return {b, static_cast<uint16_t>(i)}; }
    bool all_distributing() {
        for (int i = 0; i < n; ++i)
            if (!net.distributing(pa(i)) || !net.distributing(pb(i)))
                return false;
        return true;
    }
    bool any_distributing() {
        for (int i = 0; i < n; ++i)
            if (net.distributing(pa(i)) || net.distributing(pb(i)))
                return true;
        return false;
    }
};

group_config cfg(lacp_mode m = lacp_mode::active, lacp_rate r = lacp_rate::fast, uint16_t key = 0x2001) {
    return {.mode = m, .rate = r, .key = key};
}

// The protocol's bound for two active ends that come up together: each hears
// the other within a link latency, waits Aggregate_Wait_Time, then one
// LACPDU exchange in each direction. Allow one Fast_Periodic_Time on top.
constexpr duration fast_convergence_bound = aggregate_wait_time + fast_periodic_time;

TEST(lacp_scenario, two_active_fast_systems_converge_within_the_bound) {
    for (int members : {1, 2, 4, 8}) {
        back_to_back t(members, cfg(), cfg());
        ASSERT_TRUE(t.net.run_until_true([&] { return t.all_distributing(); }, seconds(30)))
            << t.net.trace();
        duration took = t.net.now().since_epoch;
        std::printf("fast rate, %d members: every member collecting and distributing on both "
                    "ends after %.3f s of virtual time\n",
                    members, secs(took));
        ::testing::Test::RecordProperty("converge_ms_" + std::to_string(members),
                                        static_cast<int>(secs(took) * 1000));
        EXPECT_LE(took, fast_convergence_bound);
        EXPECT_GE(took, aggregate_wait_time); // no port skips the wait
        // Both aggregators took the other system as partner.
        ASSERT_TRUE(t.net.at(t.a).aggregator_partner());
        EXPECT_EQ(t.net.at(t.a).aggregator_partner()->system, sys_b);
        EXPECT_EQ(t.net.at(t.b).aggregator_partner()->system, sys_a);
        // It stays up, and in steady state each port sends one LACPDU per second.
        time_point steady = t.net.now() + seconds(5);
        t.net.run_until(steady + seconds(60));
        EXPECT_TRUE(t.all_distributing());
        size_t tx = t.net.count(t.pa(0), action_kind::transmit, steady);
        EXPECT_GE(tx, 59u);
        EXPECT_LE(tx, 61u);
    }
}

TEST(lacp_scenario, members_that_come_up_late_join_without_disturbing_the_others) {
    sim::network net;
    size_t a = net.add_group({.system_id = sys_a, .key = 7});
    size_t b = net.add_group({.system_id = sys_b, .key = 9});
    for (int i = 0; i < 3; ++i) {
        net.add_port(a, {.mac = port_mac(sys_a, i), .port_number = static_cast<uint16_t>(10 + i)});
        net.add_port(b, {.mac = port_mac(sys_b, i), .port_number = static_cast<uint16_t>(20 + i)});
    }
    net.connect({a, 0}, {b, 0});
    net.run_for(seconds(5));
    ASSERT_TRUE(net.distributing({a, 0}) && net.distributing({b, 0})) << net.trace();
    time_point t1 = net.now();
    net.connect({a, 1}, {b, 1});
    net.run_for(milliseconds(1500));
    net.connect({a, 2}, {b, 2});
    net.run_for(seconds(5));
    for (uint16_t i = 0; i < 3; ++i)
        EXPECT_TRUE(net.distributing({a, i}) && net.distributing({b, i})) << "member " << i;
    EXPECT_FALSE(net.first({a, 0}, action_kind::distributing, false, t1)) << net.trace();
}

struct cut_case {
    lacp_rate rate;
    duration timeout;
};

void expect_cut_member_leaves(lacp_rate rate, duration timeout, duration period) {
    back_to_back t(2, cfg(lacp_mode::active, rate), cfg(lacp_mode::active, rate));
    t.net.run_for(seconds(10));
    ASSERT_TRUE(t.all_distributing()) << t.net.trace();
    t.net.run_for(seconds(7) + milliseconds(300)); // somewhere between two LACPDUs
    time_point cut = t.net.now();
    // The fibre is cut in a way the PHY does not see: carrier stays, frames stop.
    t.net.set_passes(t.wires[1], t.pa(1), false);
    t.net.set_passes(t.wires[1], t.pb(1), false);
    t.net.run_for(timeout + seconds(5));
    for (endpoint e : {t.pa(1), t.pb(1)}) {
        auto left = t.net.first(e, action_kind::distributing, false, cut);
        ASSERT_TRUE(left) << t.net.trace();
        std::printf("%s rate: member %zu/%u left %.3f s after the cut\n",
                    rate == lacp_rate::fast ? "fast" : "slow", e.group, e.port, secs(*left - cut));
        EXPECT_LE(*left - cut, timeout);
        // Not before the last LACPDU that got through could have expired.
        EXPECT_GE(*left - cut, timeout - period);
        EXPECT_EQ(t.net.at(e.group).status(e.port).receive, receive_state::defaulted);
    }
    // The other member never stopped.
    EXPECT_FALSE(t.net.first(t.pa(0), action_kind::distributing, false, cut));
    EXPECT_TRUE(t.net.distributing(t.pa(0)) && t.net.distributing(t.pb(0)));
    // Mend it: the member comes back.
    t.net.set_passes(t.wires[1], t.pa(1), true);
    t.net.set_passes(t.wires[1], t.pb(1), true);
    t.net.run_for(period + seconds(5));
    EXPECT_TRUE(t.all_distributing()) << t.net.trace();
}

TEST(lacp_scenario, the_rate_changes_on_a_running_lag_without_dropping_a_member) {
    back_to_back t(2, cfg(), cfg());
    ASSERT_TRUE(t.net.run_until_true([&] { return t.all_distributing(); }, seconds(30))) << t.net.trace();
    // A goes slow: B learns it from A's next LACPDU and sends to A every 30 s;
    // A still asks B for fast (B stays fast), and nothing leaves.
    t.net.act(t.a, [](group& g, time_point now, actions& out) { g.set_rate(lacp_rate::slow, now, out); });
    EXPECT_EQ(t.net.at(t.a).config().rate, lacp_rate::slow);
    t.net.run_for(seconds(2));
    EXPECT_FALSE(t.net.at(t.a).status(0).actor.has(state_bit::lacp_timeout));
    EXPECT_FALSE(t.net.at(t.b).status(0).partner.has(state_bit::lacp_timeout));
    time_point steady = t.net.now();
    t.net.run_until(steady + seconds(120));
    EXPECT_TRUE(t.all_distributing()) << t.net.trace();
    size_t b_tx = t.net.count(t.pb(0), action_kind::transmit, steady);
    EXPECT_GE(b_tx, 3u);
    EXPECT_LE(b_tx, 5u); // every 30 s, not every second
    EXPECT_GE(t.net.count(t.pa(0), action_kind::transmit, steady), 110u); // B still asks for fast
    // And back to fast: B sends every second again.
    t.net.act(t.a, [](group& g, time_point now, actions& out) { g.set_rate(lacp_rate::fast, now, out); });
    t.net.run_for(seconds(2));
    steady = t.net.now();
    t.net.run_until(steady + seconds(30));
    EXPECT_TRUE(t.all_distributing());
    EXPECT_GE(t.net.count(t.pb(0), action_kind::transmit, steady), 28u);
}

TEST(lacp_scenario, a_cut_link_expires_within_3_s_at_fast_rate) {
    expect_cut_member_leaves(lacp_rate::fast, short_timeout_time, fast_periodic_time);
}

TEST(lacp_scenario, a_cut_link_expires_within_90_s_at_slow_rate) {
    expect_cut_member_leaves(lacp_rate::slow, long_timeout_time, slow_periodic_time);
}

TEST(lacp_scenario, loss_of_carrier_takes_the_member_out_at_once) {
    back_to_back t(2, cfg(), cfg());
    t.net.run_for(seconds(5));
    ASSERT_TRUE(t.all_distributing());
    time_point cut = t.net.now();
    t.net.set_carrier(t.wires[0], false);
    EXPECT_EQ(t.net.first(t.pa(0), action_kind::distributing, false, cut), cut);
    EXPECT_EQ(t.net.first(t.pb(0), action_kind::distributing, false, cut), cut);
    EXPECT_EQ(t.net.at(t.a).status(0).reason, unselected_reason::link_down);
    t.net.set_carrier(t.wires[0], true);
    t.net.run_for(seconds(5));
    EXPECT_TRUE(t.all_distributing());
}

// Feeds one system's LACP outcome into the LAG model the way the control
// core does: distributing -> set_distributable, partner -> set_partner.
struct model_feed {
    model::lag_model m;
    std::vector<std::string> names;

    explicit model_feed(int n) {
        for (int i = 0; i < n; ++i) {
            names.push_back("p" + std::to_string(i));
            EXPECT_TRUE(m.add_port(names.back(), model::port_speed::g10));
        }
        EXPECT_TRUE(m.create_lag({.name = "lag0", .speed = model::port_speed::g10,
                                  .members = names, .min_links = 1}));
    }
    void apply(const action& a) {
        const std::string& p = names.at(a.port);
        if (a.kind == action_kind::distributing) {
            EXPECT_TRUE(m.set_distributable(p, a.on));
        } else if (a.kind == action_kind::partner) {
            std::optional<model::partner_id> id;
            if (a.partner)
                id = model::partner_id{a.partner->system_priority, a.partner->system, a.partner->key};
            EXPECT_TRUE(m.set_partner(p, id));
        }
    }
};

TEST(lacp_scenario, a_member_recabled_to_another_system_is_split_off) {
    back_to_back t(2, cfg(), cfg());
    size_t c = t.net.add_group({.system_id = sys_c, .key = 0x2001});
    t.net.add_port(c, {.mac = port_mac(sys_c, 0), .port_number = 1});
    model_feed model(2);
    t.net.observer = [&](size_t g, const action& a) {
        if (g == t.a)
            model.apply(a);
    };
    t.net.run_for(seconds(5));
    ASSERT_TRUE(t.all_distributing());
    EXPECT_EQ(model.m.operational_members("lag0"), 2u);

    time_point moved = t.net.now();
    // Member 1 of A now goes to system C: same key, another system id.
    t.net.rewire(t.wires[1], t.pb(1), {c, 0});
    t.net.run_for(seconds(20));

    auto s = t.net.at(t.a).status(1);
    EXPECT_FALSE(s.distributing) << t.net.trace();
    EXPECT_EQ(s.selected, selected_state::unselected);
    EXPECT_EQ(s.reason, unselected_reason::partner_mismatch);
    ASSERT_TRUE(s.heard_partner);
    EXPECT_EQ(s.heard_partner->system, sys_c);
    // Member 0 never stopped, and the aggregator kept its partner.
    EXPECT_FALSE(t.net.first(t.pa(0), action_kind::distributing, false, moved));
    EXPECT_EQ(t.net.at(t.a).aggregator_partner()->system, sys_b);
    // C's port never reaches collecting/distributing: A never syncs to it.
    EXPECT_NE(t.net.at(c).status(0).mux, mux_state::collecting_distributing);
    // The LAG model sees the same: p1 is not operational, p0 is.
    EXPECT_EQ(model.m.status_of("p0"), model::member_status::operational);
    EXPECT_NE(model.m.status_of("p1"), model::member_status::operational);
    EXPECT_EQ(model.m.operational_members("lag0"), 1u);
}

TEST(lacp_scenario, a_partner_changing_the_key_on_one_member_splits_it_off) {
    back_to_back t(2, cfg(), cfg());
    model_feed model(2);
    t.net.observer = [&](size_t g, const action& a) {
        if (g == t.a)
            model.apply(a);
    };
    t.net.run_for(seconds(5));
    ASSERT_TRUE(t.all_distributing());
    time_point changed = t.net.now();
    t.net.act(t.b, [](group& g, time_point now, actions& out) { g.set_port_key(1, 0x0bad, now, out); });
    // B's own port leaves at once: its key is not the LAG's.
    EXPECT_EQ(t.net.at(t.b).status(1).reason, unselected_reason::key_mismatch);
    t.net.run_for(seconds(10));
    auto s = t.net.at(t.a).status(1);
    EXPECT_FALSE(s.distributing) << t.net.trace();
    EXPECT_EQ(s.reason, unselected_reason::partner_mismatch);
    EXPECT_EQ(s.heard_partner->key, 0x0bad);
    auto left = t.net.first(t.pa(1), action_kind::distributing, false, changed);
    ASSERT_TRUE(left);
    EXPECT_LE(*left - changed, milliseconds(10)); // the key change is sent at once
    EXPECT_FALSE(t.net.first(t.pa(0), action_kind::distributing, false, changed));
    EXPECT_EQ(model.m.operational_members("lag0"), 1u);
    // Put the key back: the member rejoins.
    t.net.act(t.b, [](group& g, time_point now, actions& out) { g.set_port_key(1, 0x2001, now, out); });
    t.net.run_for(seconds(5));
    EXPECT_TRUE(t.all_distributing()) << t.net.trace();
    EXPECT_EQ(model.m.operational_members("lag0"), 2u);
}

TEST(lacp_scenario, a_partner_that_changes_its_system_id_everywhere_is_taken_as_the_new_partner) {
    back_to_back t(2, cfg(), cfg());
    t.net.run_for(seconds(5));
    ASSERT_TRUE(t.all_distributing());
    const mac_addr renamed = *mac_addr::parse("02:00:00:00:0b:99");
    t.net.act(t.b, [&](group& g, time_point now, actions& out) { g.set_system(32768, renamed, now, out); });
    t.net.run_for(seconds(10));
    EXPECT_TRUE(t.all_distributing()) << t.net.trace();
    EXPECT_EQ(t.net.at(t.a).aggregator_partner()->system, renamed);
}

TEST(lacp_scenario, passive_and_passive_never_form) {
    back_to_back t(2, cfg(lacp_mode::passive), cfg(lacp_mode::passive));
    t.net.run_for(seconds(200));
    EXPECT_FALSE(t.any_distributing());
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(t.net.count(t.pa(i), action_kind::transmit), 0u);
        EXPECT_EQ(t.net.count(t.pb(i), action_kind::transmit), 0u);
        EXPECT_EQ(t.net.at(t.a).status(static_cast<uint16_t>(i)).reason, unselected_reason::no_partner);
        // Never in sync: churn is reported after Churn_Detection_Time.
        EXPECT_EQ(t.net.first(t.pa(i), action_kind::actor_churn, true, {}), time_point{} + churn_detection_time);
    }
}

TEST(lacp_scenario, passive_and_active_form) {
    for (bool active_first : {true, false}) {
        back_to_back t(2, cfg(active_first ? lacp_mode::active : lacp_mode::passive),
                       cfg(active_first ? lacp_mode::passive : lacp_mode::active));
        ASSERT_TRUE(t.net.run_until_true([&] { return t.all_distributing(); }, seconds(30)))
            << t.net.trace();
        std::printf("active/passive: distributing after %.3f s\n", secs(t.net.now().since_epoch));
        EXPECT_LE(t.net.now().since_epoch, fast_convergence_bound);
        // The passive end sent nothing before it heard the active one.
        endpoint passive = active_first ? t.pb(0) : t.pa(0);
        endpoint active = active_first ? t.pa(0) : t.pb(0);
        auto first_passive_tx = std::find_if(t.net.log().begin(), t.net.log().end(), [&](const sim::record& r) {
            return r.group == passive.group && r.what.port == passive.port && r.what.kind == action_kind::transmit;
        });
        ASSERT_NE(first_passive_tx, t.net.log().end());
        EXPECT_GE(first_passive_tx->at, time_point{} + t.net.latency);
        EXPECT_GT(t.net.count(active, action_kind::transmit), 0u);
    }
}

TEST(lacp_scenario, a_partner_that_stops_sending_is_expired) {
    back_to_back t(2, cfg(), cfg());
    t.net.run_for(seconds(5) + milliseconds(300)); // between two LACPDUs
    ASSERT_TRUE(t.all_distributing());
    time_point silent = t.net.now();
    // B goes quiet on every member (its LACP stopped; links stay up).
    for (int i = 0; i < 2; ++i)
        t.net.set_passes(t.wires[i], t.pb(i), false);
    t.net.run_for(short_timeout_time);
    for (int i = 0; i < 2; ++i) {
        auto s = t.net.at(t.a).status(static_cast<uint16_t>(i));
        EXPECT_EQ(s.receive, receive_state::expired) << "member " << i;
        EXPECT_FALSE(s.distributing);
        EXPECT_TRUE(s.actor.has(state_bit::expired));
        auto left = t.net.first(t.pa(i), action_kind::distributing, false, silent);
        ASSERT_TRUE(left);
        EXPECT_LE(*left - silent, short_timeout_time);
    }
    t.net.run_for(short_timeout_time);
    for (uint16_t i = 0; i < 2; ++i) {
        EXPECT_EQ(t.net.at(t.a).status(i).receive, receive_state::defaulted);
        EXPECT_EQ(t.net.at(t.a).status(i).reason, unselected_reason::no_partner);
        EXPECT_FALSE(t.net.at(t.a).status(i).heard_partner);
    }
}

TEST(lacp_scenario, churn_is_detected_and_reported) {
    // B's member 1 is configured with another key from the start: it can
    // never aggregate, so neither end of that link ever reaches sync.
    back_to_back t(2, cfg(), cfg());
    t.net.act(t.b, [](group& g, time_point now, actions& out) { g.set_port_key(1, 0x0bad, now, out); });
    t.net.run_for(churn_detection_time - milliseconds(10));
    EXPECT_EQ(t.net.count(t.pa(1), action_kind::actor_churn), 0u);
    t.net.run_for(seconds(5));
    for (endpoint e : {t.pa(1), t.pb(1)}) {
        auto s = t.net.at(e.group).status(e.port);
        EXPECT_TRUE(s.actor_churn) << "g" << e.group;
        EXPECT_TRUE(s.partner_churn) << "g" << e.group;
        EXPECT_EQ(s.actor_churn_st, actor_churn_state::actor_churn);
        EXPECT_EQ(s.partner_churn_st, partner_churn_state::partner_churn);
        EXPECT_TRUE(t.net.first(e, action_kind::actor_churn, true, {}));
        EXPECT_EQ(t.net.at(e.group).counters(e.port).actor_churn, 1u);
    }
    // The healthy member shows none.
    for (endpoint e : {t.pa(0), t.pb(0)}) {
        EXPECT_FALSE(t.net.at(e.group).status(e.port).actor_churn);
        EXPECT_FALSE(t.net.at(e.group).status(e.port).partner_churn);
        EXPECT_EQ(t.net.count(e, action_kind::actor_churn), 0u);
    }
    // Fix the key: churn clears.
    time_point fixed = t.net.now();
    t.net.act(t.b, [](group& g, time_point now, actions& out) { g.set_port_key(1, 0x2001, now, out); });
    t.net.run_for(seconds(5));
    EXPECT_TRUE(t.all_distributing());
    EXPECT_TRUE(t.net.first(t.pa(1), action_kind::actor_churn, false, fixed));
    EXPECT_FALSE(t.net.at(t.a).status(1).actor_churn);
}

// Property: whatever flaps the wires go through, a port only distributes
// while selected with an in-sync partner, and once the wires are left alone
// every member converges again within the fast bound (+ expiry of what the
// flaps left behind).
TEST(lacp_scenario_property, random_flaps_always_reconverge) {
    std::mt19937_64 rng(4242);
    for (int round = 0; round < 20; ++round) {
        back_to_back t(4, cfg(), cfg(rng() % 3 == 0 ? lacp_mode::passive : lacp_mode::active));
        for (int ev = 0; ev < 40; ++ev) {
            size_t w = rng() % 4;
            endpoint side = rng() % 2 ? t.pa(static_cast<int>(w)) : t.pb(static_cast<int>(w));
            switch (rng() % 4) {
            case 0: t.net.set_carrier(t.wires[w], false); break;
            case 1: t.net.set_carrier(t.wires[w], true); break;
            case 2: t.net.set_passes(t.wires[w], side, false); break;
            case 3: t.net.set_passes(t.wires[w], side, true); break;
            }
            t.net.run_for(milliseconds(static_cast<int64_t>(rng() % 4000)));
            for (int i = 0; i < 4; ++i)
                for (endpoint e : {t.pa(i), t.pb(i)}) {
                    auto s = t.net.at(e.group).status(e.port);
                    if (s.distributing) {
                        ASSERT_EQ(s.selected, selected_state::selected);
                        ASSERT_EQ(s.mux, mux_state::collecting_distributing);
                        ASSERT_TRUE(s.partner.has(state_bit::synchronization));
                        ASSERT_TRUE(s.actor.has(state_bit::collecting));
                    }
                }
        }
        for (int i = 0; i < 4; ++i) {
            t.net.set_carrier(t.wires[static_cast<size_t>(i)], true);
            t.net.set_passes(t.wires[static_cast<size_t>(i)], t.pa(i), true);
            t.net.set_passes(t.wires[static_cast<size_t>(i)], t.pb(i), true);
        }
        EXPECT_TRUE(t.net.run_until_true([&] { return t.all_distributing(); },
                                         short_timeout_time * 2 + fast_convergence_bound))
            << "round " << round << "\n" << t.net.trace();
    }
}

} // namespace
} // namespace lag::lacp
