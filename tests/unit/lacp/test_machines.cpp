// The per-port machines of one group, driven by hand-made partner LACPDUs.
#include "lacp/lacp.hpp"
#include "lacp/selection_logic.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace lag::lacp {
namespace {

const mac_addr sys_a = *mac_addr::parse("02:00:00:00:0a:00");
const mac_addr sys_b = *mac_addr::parse("02:00:00:00:0b:00");
const mac_addr port_a1 = *mac_addr::parse("02:00:00:00:0a:01");
const mac_addr port_b1 = *mac_addr::parse("02:00:00:00:0b:01");

time_point at(duration d) { return time_point{} + d; }

std::vector<lacpdu> sent(const actions& out) {
    std::vector<lacpdu> r;
    for (const auto& a : out)
        if (a.kind == action_kind::transmit) {
            decoded d = decode(a.tx.view());
            if (auto* p = std::get_if<lacpdu>(&d))
                r.push_back(*p);
        }
    return r;
}

std::optional<bool> last_flag(const actions& out, action_kind k) {
    std::optional<bool> v;
    for (const auto& a : out)
        if (a.kind == k)
            v = a.on;
    return v;
}

// A partner that answers what our port last sent.
struct hand_partner {
    port_info me{0x8000, sys_b, 0x2001, 0x8000, 11, 0};
    bool sync = true;
    bool fast = true;

    frame reply(const lacpdu& ours) const {
        lacpdu r;
        r.source = port_b1;
        r.actor = me;
        r.actor.set(state_bit::lacp_activity, true);
        r.actor.set(state_bit::lacp_timeout, fast);
        r.actor.set(state_bit::aggregation, true);
        r.actor.set(state_bit::synchronization, sync);
        r.partner = ours.actor;
        return encode(r);
    }
};

struct one_port : ::testing::Test {
    group g{group_config{.system_id = sys_a, .key = 0x2001}};
    actions out;
    uint16_t port = 0;

    void SetUp() override {
        auto p = g.add_port({.mac = port_a1, .port_number = 1}, at({}), out);
        ASSERT_TRUE(p);
        port = *p;
    }
};

TEST(lacp_names, every_state_and_event_has_the_standards_name) {
    for (auto s : {receive_state::initialize, receive_state::port_disabled, receive_state::expired,
                   receive_state::lacp_disabled, receive_state::defaulted, receive_state::current})
        EXPECT_NE(to_string(s), "?");
    EXPECT_EQ(to_string(receive_state::port_disabled), "PORT_DISABLED");
    EXPECT_EQ(to_string(periodic_state::periodic_tx), "PERIODIC_TX");
    EXPECT_EQ(to_string(mux_state::collecting_distributing), "COLLECTING_DISTRIBUTING");
    EXPECT_EQ(to_string(actor_churn_state::actor_churn_monitor), "ACTOR_CHURN_MONITOR");
    EXPECT_EQ(to_string(partner_churn_state::no_partner_churn), "NO_PARTNER_CHURN");
    EXPECT_EQ(to_string(receive_event::current_while_timer_expired), "current_while_timer expired");
    EXPECT_EQ(to_string(mux_event::selected_and_ready), "(Selected == SELECTED) && Ready");
    static_assert(to_string(selected_state::standby) == "STANDBY");
}

TEST_F(one_port, starts_disabled_and_silent) {
    auto s = g.status(port);
    EXPECT_EQ(s.receive, receive_state::port_disabled);
    EXPECT_EQ(s.periodic, periodic_state::no_periodic);
    EXPECT_EQ(s.mux, mux_state::detached);
    EXPECT_EQ(s.reason, unselected_reason::link_down);
    EXPECT_TRUE(sent(out).empty());
}

TEST_F(one_port, link_up_sends_a_lacpdu_at_once_with_the_configured_actor) {
    out.clear();
    g.set_link(port, true, at({}), out);
    auto tx = sent(out);
    ASSERT_EQ(tx.size(), 1u);
    const lacpdu& p = tx[0];
    EXPECT_EQ(p.source, port_a1);
    EXPECT_EQ(p.actor.system, sys_a);
    EXPECT_EQ(p.actor.system_priority, 32768);
    EXPECT_EQ(p.actor.key, 0x2001);
    EXPECT_EQ(p.actor.port, 1);
    EXPECT_EQ(p.actor.port_priority, 32768);
    // Active, short timeout, aggregatable, defaulted and expired: nothing heard yet.
    EXPECT_EQ(format_state(p.actor.state), "ATG...FE");
    // Partner: the admin defaults, with Short Timeout set by EXPIRED.
    EXPECT_EQ(p.partner, (port_info{0, {}, 0, 0, 0, state_bit::lacp_timeout}));
    auto s = g.status(port);
    EXPECT_EQ(s.receive, receive_state::expired);
    EXPECT_EQ(s.periodic, periodic_state::fast_periodic);
    EXPECT_EQ(s.reason, unselected_reason::no_partner);
}

std::vector<time_point> transmit_times(group& g, uint16_t port, duration until) {
    actions out;
    std::vector<time_point> times;
    for (int ms = 10; ms <= until / milliseconds(1); ms += 10) {
        g.tick(at(milliseconds(ms)), out);
        for (const auto& a : out)
            if (a.kind == action_kind::transmit && a.port == port)
                times.push_back(at(milliseconds(ms)));
        out.clear();
    }
    return times;
}

TEST_F(one_port, unanswered_fast_port_keeps_sending_every_second_when_defaulted) {
    g.set_link(port, true, at({}), out);
    auto times = transmit_times(g, port, seconds(100));
    EXPECT_EQ(g.status(port).receive, receive_state::defaulted);
    ASSERT_EQ(times.size(), 100u);
    for (size_t i = 0; i < times.size(); ++i)
        EXPECT_EQ(times[i], at(seconds(static_cast<int64_t>(i) + 1)));
}

TEST_F(one_port, unanswered_slow_port_sends_fast_while_expired_then_every_30_s) {
    group s{group_config{.rate = lacp_rate::slow, .system_id = sys_a}};
    auto i = *s.add_port({.mac = port_a1, .port_number = 1}, at({}), out);
    s.set_link(i, true, at({}), out);
    auto times = transmit_times(s, i, seconds(100));
    // EXPIRED sets the partner's timeout to Short for 3 s, then DEFAULTED.
    EXPECT_EQ(s.status(i).receive, receive_state::defaulted);
    ASSERT_GE(times.size(), 4u);
    EXPECT_EQ(times[0], at(seconds(1)));
    EXPECT_EQ(times[1], at(seconds(2)));
    EXPECT_EQ(times[2], at(seconds(3)));
    for (size_t k = 3; k + 1 < times.size(); ++k)
        EXPECT_EQ(times[k + 1] - times[k], seconds(30));
}

TEST_F(one_port, passive_port_with_no_partner_never_sends) {
    group p{group_config{.mode = lacp_mode::passive, .system_id = sys_a}};
    auto i = p.add_port({.mac = port_a1, .port_number = 1}, at({}), out);
    ASSERT_TRUE(i);
    p.set_link(*i, true, at({}), out);
    for (int s = 0; s < 200; ++s)
        p.tick(at(seconds(s)), out);
    EXPECT_TRUE(sent(out).empty());
    EXPECT_EQ(p.status(*i).periodic, periodic_state::no_periodic);
}

TEST_F(one_port, answered_port_goes_through_waiting_attached_to_collecting_distributing) {
    hand_partner b;
    g.set_link(port, true, at({}), out);
    auto ours = sent(out).back();
    out.clear();
    // The partner answers, not yet in sync.
    b.sync = false;
    ASSERT_FALSE(g.on_frame(port, b.reply(ours).view(), at(milliseconds(1)), out));
    auto s = g.status(port);
    EXPECT_EQ(s.receive, receive_state::current);
    EXPECT_EQ(s.selected, selected_state::selected);
    EXPECT_EQ(s.mux, mux_state::waiting);
    ASSERT_TRUE(s.heard_partner);
    EXPECT_EQ(s.heard_partner->system, sys_b);
    EXPECT_EQ(s.heard_partner->key, 0x2001);
    // Aggregate_Wait_Time: still waiting just before 2 s, attached at 2 s.
    g.tick(at(milliseconds(2000)), out);
    EXPECT_EQ(g.status(port).mux, mux_state::waiting);
    g.tick(at(milliseconds(2001)), out);
    EXPECT_EQ(g.status(port).mux, mux_state::attached);
    auto tx = sent(out);
    ASSERT_FALSE(tx.empty());
    EXPECT_TRUE(tx.back().actor.has(state_bit::synchronization));
    EXPECT_FALSE(tx.back().actor.has(state_bit::collecting));
    // The partner is in sync too: collecting and distributing.
    out.clear();
    b.sync = true;
    g.on_frame(port, b.reply(tx.back()).view(), at(milliseconds(2100)), out);
    EXPECT_EQ(g.status(port).mux, mux_state::collecting_distributing);
    EXPECT_EQ(last_flag(out, action_kind::collecting), true);
    EXPECT_EQ(last_flag(out, action_kind::distributing), true);
    tx = sent(out);
    ASSERT_EQ(tx.size(), 1u);
    EXPECT_EQ(format_state(tx[0].actor.state), "ATGSCD..");
    // The partner drops sync: back to ATTACHED, distributing off.
    out.clear();
    b.sync = false;
    g.on_frame(port, b.reply(tx[0]).view(), at(milliseconds(2200)), out);
    EXPECT_EQ(g.status(port).mux, mux_state::attached);
    EXPECT_EQ(last_flag(out, action_kind::distributing), false);
}

TEST_F(one_port, partner_information_that_does_not_match_us_is_not_sync) {
    hand_partner b;
    g.set_link(port, true, at({}), out);
    auto ours = sent(out).back();
    ours.actor.key = 0x9999; // the partner believes we have another key
    g.on_frame(port, b.reply(ours).view(), at(milliseconds(1)), out);
    EXPECT_FALSE(g.status(port).partner.has(state_bit::synchronization));
}

TEST_F(one_port, current_expires_after_short_timeout_then_defaults) {
    hand_partner b;
    g.set_link(port, true, at({}), out);
    g.on_frame(port, b.reply(sent(out).back()).view(), at(seconds(1)), out);
    EXPECT_EQ(g.status(port).receive, receive_state::current);
    g.tick(at(seconds(4) - milliseconds(1)), out);
    EXPECT_EQ(g.status(port).receive, receive_state::current);
    g.tick(at(seconds(4)), out);
    EXPECT_EQ(g.status(port).receive, receive_state::expired);
    EXPECT_TRUE(g.status(port).actor.has(state_bit::expired));
    EXPECT_FALSE(g.status(port).partner.has(state_bit::synchronization));
    g.tick(at(seconds(7)), out);
    EXPECT_EQ(g.status(port).receive, receive_state::defaulted);
    EXPECT_TRUE(g.status(port).actor.has(state_bit::defaulted));
    EXPECT_EQ(g.status(port).reason, unselected_reason::no_partner);
}

TEST_F(one_port, slow_actor_waits_long_timeout) {
    group s{group_config{.rate = lacp_rate::slow, .system_id = sys_a, .key = 0x2001}};
    auto i = *s.add_port({.mac = port_a1, .port_number = 1}, at({}), out);
    s.set_link(i, true, at({}), out);
    hand_partner b;
    b.fast = false;
    s.on_frame(i, b.reply(sent(out).back()).view(), at(seconds(1)), out);
    s.tick(at(seconds(90)), out);
    EXPECT_EQ(s.status(i).receive, receive_state::current);
    s.tick(at(seconds(91)), out);
    EXPECT_EQ(s.status(i).receive, receive_state::expired);
}

TEST_F(one_port, transmit_sends_at_most_three_per_fast_periodic_time) {
    hand_partner b;
    g.set_link(port, true, at({}), out);
    lacpdu ours = sent(out).back();
    std::vector<time_point> times{at({})};
    // Every 10 ms the partner claims a different view of us: each one sets NTT.
    for (int ms = 10; ms <= 3000; ms += 10) {
        out.clear();
        lacpdu wrong = ours;
        wrong.actor.port_priority = static_cast<uint16_t>(ms);
        g.on_frame(port, b.reply(wrong).view(), at(milliseconds(ms)), out);
        for (auto& p : sent(out)) {
            (void)p;
            times.push_back(at(milliseconds(ms)));
        }
    }
    ASSERT_GE(times.size(), 6u);
    for (size_t i = 3; i < times.size(); ++i)
        EXPECT_GE(times[i] - times[i - 3], fast_periodic_time) << "LACPDU " << i;
    EXPECT_GT(g.counters(port).tx_rate_limited, 0u);
}

TEST_F(one_port, held_back_ntt_goes_when_the_window_opens) {
    hand_partner b;
    g.set_link(port, true, at({}), out);
    lacpdu ours = sent(out).back();
    for (int ms : {100, 200, 300}) {
        lacpdu wrong = ours;
        wrong.actor.port_priority = static_cast<uint16_t>(ms);
        g.on_frame(port, b.reply(wrong).view(), at(milliseconds(ms)), out);
    }
    // Three sent (0, 100, 200 ms); the one asked for at 300 ms is held back.
    EXPECT_EQ(g.counters(port).lacpdus_tx, 3u);
    auto next = g.next_deadline();
    ASSERT_TRUE(next);
    EXPECT_EQ(*next, at(milliseconds(1000)));
    out.clear();
    g.tick(*next, out);
    EXPECT_EQ(sent(out).size(), 1u);
}

TEST_F(one_port, marker_responder_answers_with_the_same_information) {
    g.set_link(port, true, at({}), out);
    out.clear();
    marker_pdu m;
    m.source = port_b1;
    m.requester_port = 11;
    m.requester_system = sys_b;
    m.requester_transaction_id = 0x01020304;
    g.on_frame(port, encode(m).view(), at(milliseconds(5)), out);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].kind, action_kind::transmit);
    decoded d = decode(out[0].tx.view());
    ASSERT_TRUE(std::holds_alternative<marker_pdu>(d));
    const auto& r = std::get<marker_pdu>(d);
    EXPECT_TRUE(r.response);
    EXPECT_EQ(r.source, port_a1);
    EXPECT_EQ(r.requester_port, 11);
    EXPECT_EQ(r.requester_system, sys_b);
    EXPECT_EQ(r.requester_transaction_id, 0x01020304u);
    EXPECT_EQ(g.counters(port).marker_pdus_rx, 1u);
    EXPECT_EQ(g.counters(port).marker_response_pdus_tx, 1u);
    // A response is counted, never answered.
    out.clear();
    g.on_frame(port, encode(r).view(), at(milliseconds(6)), out);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(g.counters(port).marker_response_pdus_rx, 1u);
}

TEST_F(one_port, nothing_is_answered_on_a_port_that_is_down) {
    marker_pdu m;
    m.source = port_b1;
    out.clear();
    g.on_frame(port, encode(m).view(), at({}), out);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(g.counters(port).rx_while_disabled, 1u);
}

TEST_F(one_port, individual_partner_is_not_selected_and_says_why) {
    g.set_link(port, true, at({}), out);
    lacpdu r;
    r.source = port_b1;
    r.actor = {0x8000, sys_b, 0x2001, 0x8000, 11, state_bit::lacp_activity};
    g.on_frame(port, encode(r).view(), at(milliseconds(1)), out);
    EXPECT_EQ(g.status(port).selected, selected_state::unselected);
    EXPECT_EQ(g.status(port).reason, unselected_reason::partner_individual);
}

TEST_F(one_port, a_port_looped_to_its_own_system_is_not_selected) {
    g.set_link(port, true, at({}), out);
    lacpdu own = sent(out).back();
    own.source = port_b1;
    own.actor.port = 2; // another port of this very system
    g.on_frame(port, encode(own).view(), at(milliseconds(1)), out);
    EXPECT_EQ(g.status(port).reason, unselected_reason::loopback);
}

TEST_F(one_port, a_port_with_another_key_leaves_the_aggregator) {
    hand_partner b;
    g.set_link(port, true, at({}), out);
    g.on_frame(port, b.reply(sent(out).back()).view(), at(milliseconds(1)), out);
    EXPECT_EQ(g.status(port).selected, selected_state::selected);
    out.clear();
    g.set_port_key(port, 0x7777, at(milliseconds(2)), out);
    EXPECT_EQ(g.status(port).reason, unselected_reason::key_mismatch);
    EXPECT_EQ(g.status(port).mux, mux_state::detached);
    auto tx = sent(out);
    ASSERT_EQ(tx.size(), 1u);
    EXPECT_EQ(tx[0].actor.key, 0x7777);
}

TEST_F(one_port, link_down_unselects_and_stops_distributing_at_once) {
    hand_partner b;
    g.set_link(port, true, at({}), out);
    g.on_frame(port, b.reply(sent(out).back()).view(), at(milliseconds(1)), out);
    g.tick(at(seconds(3)), out);
    g.on_frame(port, b.reply(sent(out).back()).view(), at(seconds(3)), out);
    ASSERT_EQ(g.status(port).mux, mux_state::collecting_distributing);
    out.clear();
    g.set_link(port, false, at(seconds(4)), out);
    EXPECT_EQ(last_flag(out, action_kind::distributing), false);
    EXPECT_EQ(g.status(port).receive, receive_state::port_disabled);
    EXPECT_EQ(g.status(port).reason, unselected_reason::link_down);
    EXPECT_TRUE(sent(out).empty());
}

TEST(lacp_key, derive_key_separates_lags_and_speeds) {
    EXPECT_EQ(derive_key(1, 10'000), 0x2001);
    EXPECT_EQ(derive_key(1, 100'000), 0x3001);
    EXPECT_NE(derive_key(1, 1'000), derive_key(2, 1'000));
}

TEST(lacp_group, add_port_refuses_bad_configuration) {
    group g{group_config{.system_id = sys_a}};
    actions out;
    EXPECT_FALSE(g.add_port({.mac = port_a1, .port_number = 0}, at({}), out));
    EXPECT_FALSE(g.add_port({.mac = sys_a, .port_number = 1}, at({}), out).ok() &&
                 g.add_port({.mac = sys_a, .port_number = 1}, at({}), out).ok());
    EXPECT_FALSE(g.add_port({.mac = slow_protocols_multicast, .port_number = 5}, at({}), out));
    EXPECT_EQ(g.port_count(), 1u);
}

} // namespace
} // namespace lag::lacp
