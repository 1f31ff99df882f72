// One test (at least) for every rule of the provider's LAG profile.
#include "lag/lag.hpp"

#include <gtest/gtest.h>

namespace lag::model {
namespace {

using ::testing::Test;

bool has(const events& ev, event_kind k, std::string_view port = {}, std::string_view lag = {}) {
    for (const auto& e : ev)
        if (e.kind == k && (port.empty() || e.port == port) && (lag.empty() || e.lag == lag))
            return true;
    return false;
}

// Adds ports p0..p{n-1} at the given speed.
void add_ports(lag_model& m, int n, port_speed s, const char* prefix = "p") {
    for (int i = 0; i < n; ++i)
        ASSERT_TRUE(m.add_port(std::string(prefix) + std::to_string(i), s));
}

// Applies an operation that must be refused, and checks it names the rule
// and changed nothing.
template <typename Op>
void expect_refused(lag_model& m, std::string_view rule, Op op) {
    lag_model before = m;
    auto r = op();
    ASSERT_FALSE(r) << "expected refusal by rule " << rule;
    EXPECT_EQ(r.err().code, rule) << r.err().to_string();
    EXPECT_FALSE(r.err().message.empty());
    EXPECT_TRUE(m == before) << "a refused operation changed the model";
    EXPECT_TRUE(m.check_invariants());
}

TEST(lag_speed, members_must_all_have_the_lag_speed) {
    lag_model m;
    ASSERT_TRUE(m.add_port("a", port_speed::g10));
    ASSERT_TRUE(m.add_port("b", port_speed::g1));
    expect_refused(m, "uniform-speed", [&] {
        return m.create_lag({.name = "lag0", .speed = port_speed::g10, .members = {"a", "b"}});
    });
    ASSERT_TRUE(m.create_lag({.name = "lag0", .speed = port_speed::g10, .members = {"a"}}));
    expect_refused(m, "uniform-speed", [&] { return m.add_member("lag0", "b"); });
}

TEST(lag_speed, every_profile_speed_is_accepted) {
    for (auto s : {port_speed::g1, port_speed::g10, port_speed::g100}) {
        lag_model m;
        add_ports(m, 2, s);
        auto r = m.create_lag({.name = "l", .speed = s, .members = {"p0", "p1"}});
        ASSERT_TRUE(r) << r.err().to_string();
    }
    EXPECT_EQ(parse_port_speed("100G"), port_speed::g100);
    EXPECT_EQ(parse_port_speed("1g"), port_speed::g1);
    EXPECT_FALSE(parse_port_speed("40G"));
}

TEST(lag_limits, two_members_at_100g_and_not_three) {
    lag_model m;
    add_ports(m, 3, port_speed::g100);
    ASSERT_TRUE(m.create_lag({.name = "l", .speed = port_speed::g100, .members = {"p0", "p1"}}));
    expect_refused(m, "max-members", [&] { return m.add_member("l", "p2"); });
    lag_model m2;
    add_ports(m2, 3, port_speed::g100);
    expect_refused(m2, "max-members", [&] {
        return m2.create_lag({.name = "l", .speed = port_speed::g100, .members = {"p0", "p1", "p2"}});
    });
}

TEST(lag_limits, four_members_below_100g_and_not_five) {
    for (auto s : {port_speed::g1, port_speed::g10}) {
        lag_model m;
        add_ports(m, 5, s);
        ASSERT_TRUE(m.create_lag({.name = "l", .speed = s, .members = {"p0", "p1", "p2", "p3"}}));
        expect_refused(m, "max-members", [&] { return m.add_member("l", "p4"); });
    }
}

TEST(lag_limits, ieee_profile_allows_eight_100g_members) {
    lag_model m{ieee_profile()};
    add_ports(m, 9, port_speed::g100);
    std::vector<std::string> eight;
    for (int i = 0; i < 8; ++i)
        eight.push_back("p" + std::to_string(i));
    ASSERT_TRUE(m.create_lag({.name = "l", .speed = port_speed::g100, .members = eight}));
    expect_refused(m, "max-members", [&] { return m.add_member("l", "p8"); });
}

TEST(lag_min_links, default_zero_and_settable_up_to_member_count) {
    lag_model m;
    add_ports(m, 2, port_speed::g10);
    ASSERT_TRUE(m.create_lag({.name = "l", .speed = port_speed::g10, .members = {"p0", "p1"}}));
    EXPECT_EQ(m.lag("l")->min_links, 0u);
    auto r = m.set_min_links("l", 2);
    ASSERT_TRUE(r);
    EXPECT_TRUE(has(*r, event_kind::min_links_changed));
    expect_refused(m, "min-links", [&] { return m.set_min_links("l", 3); });
    expect_refused(m, "min-links", [&] {
        return m.create_lag({.name = "x", .speed = port_speed::g10, .members = {}, .min_links = 1});
    });
}

TEST(lag_min_links, lag_is_down_below_max_of_one_and_min_links) {
    lag_model m;
    add_ports(m, 3, port_speed::g10);
    ASSERT_TRUE(m.create_lag(
        {.name = "l", .speed = port_speed::g10, .members = {"p0", "p1", "p2"}, .min_links = 2}));
    EXPECT_EQ(m.lag("l")->status(), lag_status::down);
    auto r = m.set_distributable("p0", true);
    ASSERT_TRUE(r);
    EXPECT_TRUE(has(*r, event_kind::member_up, "p0"));
    EXPECT_FALSE(m.lag("l")->up) << "one member is below min-links 2";
    r = m.set_distributable("p1", true);
    EXPECT_TRUE(has(*r, event_kind::lag_up));
    EXPECT_TRUE(m.lag("l")->up);
    EXPECT_EQ(m.lag("l")->status(), lag_status::available);
    r = m.set_distributable("p0", false);
    EXPECT_TRUE(has(*r, event_kind::member_down, "p0"));
    EXPECT_TRUE(has(*r, event_kind::lag_down)) << "p1 still works, but the LAG is down";
    EXPECT_EQ(m.operational_members("l"), 1u);
    // Lowering min-links brings it back.
    r = m.set_min_links("l", 1);
    EXPECT_TRUE(has(*r, event_kind::lag_up));
    // min-links 0 still needs one member.
    ASSERT_TRUE(m.set_min_links("l", 0));
    r = m.set_distributable("p1", false);
    EXPECT_TRUE(has(*r, event_kind::lag_down));
}

TEST(lag_min_links, removal_that_would_break_min_links_is_refused) {
    lag_model m;
    add_ports(m, 2, port_speed::g10);
    ASSERT_TRUE(m.create_lag(
        {.name = "l", .speed = port_speed::g10, .members = {"p0", "p1"}, .min_links = 2}));
    expect_refused(m, "min-links", [&] { return m.remove_member("l", "p0"); });
    ASSERT_TRUE(m.add_port("q", port_speed::g10));
    ASSERT_TRUE(m.create_lag({.name = "k", .speed = port_speed::g10, .members = {"q"}}));
    expect_refused(m, "min-links", [&] { return m.add_member("k", "p1"); });
}

TEST(lag_status, pending_without_members) {
    lag_model m;
    ASSERT_TRUE(m.create_lag({.name = "l", .speed = port_speed::g10}));
    EXPECT_EQ(m.lag("l")->status(), lag_status::pending);
    EXPECT_EQ(to_string(lag_status::pending), "pending");
}

TEST(lag_partner, member_with_other_partner_is_not_aggregated) {
    lag_model m;
    add_ports(m, 3, port_speed::g10);
    ASSERT_TRUE(m.create_lag(
        {.name = "l", .speed = port_speed::g10, .members = {"p0", "p1", "p2"}, .min_links = 3}));
    partner_id a{0x8000, *mac_addr::parse("02:00:00:00:00:aa"), 10};
    partner_id b{0x8000, *mac_addr::parse("02:00:00:00:00:bb"), 10};
    for (auto p : {"p0", "p1", "p2"})
        ASSERT_TRUE(m.set_distributable(p, true));
    ASSERT_TRUE(m.set_partner("p0", a));
    ASSERT_TRUE(m.set_partner("p1", a));
    EXPECT_TRUE(m.lag("l")->up);
    auto r = m.set_partner("p2", b);
    ASSERT_TRUE(r);
    EXPECT_EQ(m.status_of("p2"), member_status::partner_mismatch);
    EXPECT_EQ(to_string(m.status_of("p2")), "partner-mismatch");
    EXPECT_TRUE(has(*r, event_kind::member_down, "p2"));
    EXPECT_TRUE(has(*r, event_kind::lag_down)) << "min-links 3 with one member split off";
    EXPECT_EQ(m.lag("l")->partner, a);
    // Same system but another key is another endpoint too.
    partner_id a2 = a;
    a2.key = 11;
    r = m.set_partner("p2", a2);
    EXPECT_EQ(m.status_of("p2"), member_status::partner_mismatch);
    r = m.set_partner("p2", a);
    EXPECT_TRUE(has(*r, event_kind::member_up, "p2"));
    EXPECT_TRUE(has(*r, event_kind::lag_up));
}

TEST(lag_speed, member_whose_link_runs_at_another_speed_is_not_aggregated) {
    lag_model m;
    add_ports(m, 2, port_speed::g10);
    ASSERT_TRUE(m.create_lag({.name = "l", .speed = port_speed::g10, .members = {"p0", "p1"}, .min_links = 2}));
    for (auto p : {"p0", "p1"})
        ASSERT_TRUE(m.set_distributable(p, true));
    ASSERT_TRUE(m.set_link_speed("p0", 10'000));
    EXPECT_TRUE(m.lag("l")->up);
    // A "10G" port whose device runs the link at 25G.
    auto r = m.set_link_speed("p1", 25'000);
    ASSERT_TRUE(r);
    EXPECT_EQ(m.status_of("p1"), member_status::speed_mismatch);
    EXPECT_EQ(to_string(m.status_of("p1")), "speed-mismatch");
    EXPECT_EQ(m.operational_members("l"), 1u);
    EXPECT_TRUE(has(*r, event_kind::member_down, "p1"));
    EXPECT_TRUE(has(*r, event_kind::lag_down)) << "min-links 2 with one member at the wrong speed";
    // Speed mismatch wins over a link LACP would let distribute, and over the partner.
    EXPECT_TRUE(m.port("p1")->distributable);
    // Unknown speed (link down, or a device that reports none): the declared one holds.
    r = m.set_link_speed("p1", std::nullopt);
    EXPECT_EQ(m.status_of("p1"), member_status::operational);
    EXPECT_TRUE(has(*r, event_kind::member_up, "p1"));
    EXPECT_TRUE(has(*r, event_kind::lag_up));
    r = m.set_link_speed("p1", 10'000);
    EXPECT_TRUE(r->empty()) << "the LAG's own speed changes nothing";
    // A standalone port has no LAG speed to differ from.
    ASSERT_TRUE(m.add_port("s", port_speed::g10));
    ASSERT_TRUE(m.set_link_speed("s", 1'000));
    EXPECT_EQ(m.status_of("s"), member_status::not_distributing);
    EXPECT_FALSE(m.set_link_speed("nope", 1'000));
    EXPECT_TRUE(m.check_invariants());
}

TEST(lag_partner, tie_keeps_the_current_partner) {
    lag_model m;
    add_ports(m, 2, port_speed::g10);
    ASSERT_TRUE(m.create_lag({.name = "l", .speed = port_speed::g10, .members = {"p0", "p1"}}));
    partner_id a{1, *mac_addr::parse("02:00:00:00:00:aa"), 1};
    partner_id b{1, *mac_addr::parse("02:00:00:00:00:bb"), 1};
    ASSERT_TRUE(m.set_partner("p1", a));
    ASSERT_TRUE(m.set_partner("p0", b));
    EXPECT_EQ(m.lag("l")->partner, a) << "p1 came first and a tie keeps it";
}

TEST(lag_create, moves_ports_from_another_lag) {
    lag_model m;
    add_ports(m, 3, port_speed::g10);
    ASSERT_TRUE(m.create_lag({.name = "a", .speed = port_speed::g10, .members = {"p0", "p1"}}));
    auto r = m.create_lag({.name = "b", .speed = port_speed::g10, .members = {"p1", "p2"}});
    ASSERT_TRUE(r) << r.err().to_string();
    EXPECT_TRUE(has(*r, event_kind::member_removed, "p1", "a"));
    EXPECT_TRUE(has(*r, event_kind::member_added, "p1", "b"));
    EXPECT_EQ(m.lag("a")->members, std::vector<std::string>{"p0"});
    EXPECT_EQ(*m.port("p1")->lag, "b");
    EXPECT_TRUE(m.check_invariants());
}

TEST(lag_create, add_member_moves_from_other_lag) {
    lag_model m;
    add_ports(m, 2, port_speed::g10);
    ASSERT_TRUE(m.create_lag({.name = "a", .speed = port_speed::g10, .members = {"p0", "p1"}}));
    ASSERT_TRUE(m.create_lag({.name = "b", .speed = port_speed::g10}));
    auto r = m.add_member("b", "p0");
    ASSERT_TRUE(r);
    EXPECT_TRUE(has(*r, event_kind::member_removed, "p0", "a"));
    EXPECT_EQ(m.lag("b")->members.size(), 1u);
    expect_refused(m, "already-member", [&] { return m.add_member("b", "p0"); });
}

TEST(lag_create, refuses_bad_names_duplicates_and_unknown_ports) {
    lag_model m;
    add_ports(m, 1, port_speed::g10);
    expect_refused(m, "name", [&] { return m.create_lag({.name = "bad name"}); });
    expect_refused(m, "no-such-port",
                   [&] { return m.create_lag({.name = "l", .members = {"p0", "nope"}}); });
    expect_refused(m, "duplicate-member",
                   [&] { return m.create_lag({.name = "l", .members = {"p0", "p0"}}); });
    ASSERT_TRUE(m.create_lag({.name = "l"}));
    expect_refused(m, "duplicate-lag", [&] { return m.create_lag({.name = "l"}); });
    expect_refused(m, "duplicate-port", [&] { return m.add_port("p0", port_speed::g10); });
    expect_refused(m, "no-such-lag", [&] { return m.add_member("nope", "p0"); });
    expect_refused(m, "not-member", [&] { return m.remove_member("l", "p0"); });
}

TEST(lag_delete, leaves_ports_standalone_without_the_lag_key) {
    lag_model m;
    add_ports(m, 2, port_speed::g10);
    ASSERT_TRUE(m.create_lag(
        {.name = "l", .speed = port_speed::g10, .members = {"p0", "p1"}, .key = "abcd"}));
    ASSERT_TRUE(m.set_distributable("p0", true));
    EXPECT_TRUE(m.lag("l")->up);
    auto r = m.delete_lag("l");
    ASSERT_TRUE(r);
    EXPECT_TRUE(has(*r, event_kind::key_dropped, "p0"));
    EXPECT_TRUE(has(*r, event_kind::lag_down, "", "l"));
    EXPECT_TRUE(has(*r, event_kind::lag_deleted));
    EXPECT_FALSE(m.port("p0")->lag);
    EXPECT_FALSE(m.port("p0")->key);
    EXPECT_EQ(m.lag("l"), nullptr);
    ASSERT_TRUE(m.create_lag({.name = "z", .members = {"p1"}}));
    expect_refused(m, "port-in-lag", [&] { return m.remove_port("p1"); });
}

TEST(lag_keys, creating_a_lag_drops_ports_own_keys_and_associates_the_lags) {
    lag_model m;
    add_ports(m, 2, port_speed::g10);
    ASSERT_TRUE(m.set_port_key("p0", "0101"));
    ASSERT_TRUE(m.set_port_key("p1", "0202"));
    auto r = m.create_lag(
        {.name = "l", .speed = port_speed::g10, .members = {"p0", "p1"}, .key = "abcdef"});
    ASSERT_TRUE(r);
    EXPECT_TRUE(has(*r, event_kind::key_dropped, "p0"));
    EXPECT_TRUE(has(*r, event_kind::key_dropped, "p1"));
    EXPECT_TRUE(has(*r, event_kind::key_associated, "p0"));
    EXPECT_EQ(*m.port("p0")->key, "abcdef");
    EXPECT_EQ(m.port("p0")->key_from, key_owner::lag);
}

TEST(lag_keys, joining_drops_own_key_leaving_drops_lag_key) {
    lag_model m;
    add_ports(m, 3, port_speed::g10);
    ASSERT_TRUE(m.create_lag({.name = "l", .speed = port_speed::g10, .members = {"p0"}}));
    ASSERT_TRUE(m.associate_key("l", "aa00"));
    ASSERT_TRUE(m.set_port_key("p1", "bb00"));
    auto r = m.add_member("l", "p1");
    ASSERT_TRUE(r);
    ASSERT_EQ((*r)[0].kind, event_kind::key_dropped) << "own key goes before the LAG key comes";
    EXPECT_EQ((*r)[0].detail, "ckn=bb00");
    EXPECT_TRUE(has(*r, event_kind::key_associated, "p1"));
    EXPECT_EQ(*m.port("p1")->key, "aa00");
    expect_refused(m, "member-key", [&] { return m.set_port_key("p1", "cc00"); });
    r = m.remove_member("l", "p1");
    ASSERT_TRUE(r);
    EXPECT_TRUE(has(*r, event_kind::key_dropped, "p1"));
    EXPECT_FALSE(m.port("p1")->key);
}

TEST(lag_keys, one_key_per_lag_replaced_on_every_member) {
    lag_model m;
    add_ports(m, 2, port_speed::g10);
    ASSERT_TRUE(m.create_lag(
        {.name = "l", .speed = port_speed::g10, .members = {"p0", "p1"}, .key = "aa"}));
    auto r = m.associate_key("l", "bb");
    ASSERT_TRUE(r);
    EXPECT_TRUE(has(*r, event_kind::key_dropped, "p0"));
    EXPECT_TRUE(has(*r, event_kind::key_associated, "p1"));
    EXPECT_EQ(*m.port("p0")->key, "bb");
    EXPECT_EQ(*m.lag("l")->key, "bb");
    r = m.disassociate_key("l");
    ASSERT_TRUE(r);
    EXPECT_FALSE(m.port("p1")->key);
    expect_refused(m, "no-key", [&] { return m.disassociate_key("l"); });
    expect_refused(m, "ckn", [&] { return m.associate_key("l", "xyz"); });
    expect_refused(m, "ckn", [&] { return m.associate_key("l", std::string(66, 'a')); });
}

TEST(lag_profile, provider_macsec_rules) {
    const auto& p = provider_profile();
    EXPECT_FALSE(check_macsec(p, port_speed::g10, cipher_suite::gcm_aes_256, 16, true));
    EXPECT_TRUE(check_macsec(p, port_speed::g10, cipher_suite::gcm_aes_256, 32, true));
    EXPECT_TRUE(check_macsec(p, port_speed::g10, cipher_suite::gcm_aes_xpn_256, 32, true));
    EXPECT_EQ(check_macsec(p, port_speed::g10, cipher_suite::gcm_aes_128, 32, true).err().code,
              "cipher-suite");
    EXPECT_EQ(check_macsec(p, port_speed::g100, cipher_suite::gcm_aes_256, 32, true).err().code,
              "cipher-suite");
    EXPECT_TRUE(check_macsec(p, port_speed::g100, cipher_suite::gcm_aes_xpn_256, 32, true));
    EXPECT_EQ(check_macsec(p, port_speed::g100, cipher_suite::gcm_aes_xpn_256, 32, false).err().code,
              "sci-required");
    const auto& i = ieee_profile();
    EXPECT_TRUE(check_macsec(i, port_speed::g10, cipher_suite::gcm_aes_128, 16, false));
    EXPECT_FALSE(check_macsec(i, port_speed::g10, cipher_suite::gcm_aes_128, 24, false));
    EXPECT_EQ(find_profile("ieee"), &ieee_profile());
    EXPECT_EQ(find_profile("nope"), nullptr);
}

TEST(lag_events, format_for_logs) {
    event e{event_kind::min_links_changed, "lag0", "", "", 2};
    EXPECT_EQ(e.to_string(), "min-links-changed lag=lag0 min-links=2");
}

} // namespace
} // namespace lag::model
