// lib/engine: the host's port roles and staged lifecycle operations (issue
// 16): moves from any LAG, the last member leaving (the LAG stays, empty and
// pending), create with members of other LAGs all or none, each refusal
// naming its rule and changing nothing, the rollback log, and a property
// test of random operation sequences.
#include "engine/engine.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace lag;
using namespace lag::engine;
using model::port_speed;

namespace {

host_model host_of(std::initializer_list<const char*> ten_g, std::initializer_list<const char*> hundred_g = {}) {
    host_model h;
    for (const char* p : ten_g)
        EXPECT_TRUE(h.add_port(p, port_speed::g10).ok());
    for (const char* p : hundred_g)
        EXPECT_TRUE(h.add_port(p, port_speed::g100).ok());
    return h;
}

// Two LAGs: la {a0, a1} on access A, lb {b0} on access B; c0 and big free.
host_model two_lags() {
    host_model h = host_of({"A", "B", "C", "a0", "a1", "b0", "c0"}, {"big"});
    EXPECT_TRUE(h.create_lag({.name = "la", .access = "A", .members = {"a0", "a1"}}).ok());
    EXPECT_TRUE(h.create_lag({.name = "lb", .access = "B", .members = {"b0"}}).ok());
    return h;
}

std::vector<std::string> members(const host_model& h, const char* lag) { return h.model().lag(lag)->members; }

} // namespace

TEST(engine, port_roles) {
    host_model h = two_lags();
    EXPECT_EQ(h.role("A"), port_role::access);
    EXPECT_EQ(h.role("a0"), port_role::member);
    EXPECT_EQ(h.role("c0"), port_role::standalone);
    EXPECT_EQ(h.port("b0")->lag, "lb");
    EXPECT_EQ(h.port("B")->lag, "lb");
    EXPECT_FALSE(h.port("nope").has_value());
    EXPECT_EQ(to_string(port_role::standalone), "standalone");
    EXPECT_TRUE(h.check_invariants().ok());
}

TEST(engine, a_member_moves_in_one_step_and_a_last_member_may_move) {
    host_model h = two_lags();
    ASSERT_TRUE(h.add_member("lb", "a1").ok());
    EXPECT_EQ(members(h, "la"), std::vector<std::string>{"a0"});
    EXPECT_EQ(members(h, "lb"), (std::vector<std::string>{"b0", "a1"}));
    ASSERT_TRUE(h.add_member("lb", "a0").ok()); // la's last member
    EXPECT_TRUE(members(h, "la").empty());
    EXPECT_EQ(h.model().lag("la")->status(), model::lag_status::pending);
    EXPECT_EQ(h.role("A"), port_role::access); // the empty LAG keeps its access port
    ASSERT_TRUE(h.add_member("la", "a0").ok()); // add member brings it back
    EXPECT_NE(h.model().lag("la")->status(), model::lag_status::pending);
    EXPECT_TRUE(h.check_invariants().ok());
}

TEST(engine, remove_member_of_the_last_member_leaves_an_empty_lag) {
    host_model h = two_lags();
    ASSERT_TRUE(h.remove_member("lb", "b0").ok());
    EXPECT_EQ(h.model().lag("lb")->status(), model::lag_status::pending);
    EXPECT_EQ(h.role("b0"), port_role::standalone);
    ASSERT_TRUE(h.delete_lag("lb").ok());
    EXPECT_EQ(h.role("B"), port_role::standalone);
    EXPECT_TRUE(h.check_invariants().ok());
}

TEST(engine, create_lag_moves_members_of_other_lags_all_or_none) {
    host_model h = two_lags();
    host_model before = h;
    // big is 100G: nothing moves.
    auto r = h.create_lag({.name = "lc", .access = "C", .members = {"a1", "big"}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, "uniform-speed");
    EXPECT_EQ(h, before);
    ASSERT_TRUE(h.create_lag({.name = "lc", .access = "C", .members = {"a1", "b0", "c0"}, .min_links = 3}).ok());
    EXPECT_EQ(members(h, "lc"), (std::vector<std::string>{"a1", "b0", "c0"}));
    EXPECT_EQ(members(h, "la"), std::vector<std::string>{"a0"});
    EXPECT_TRUE(members(h, "lb").empty());
    EXPECT_TRUE(h.check_invariants().ok());
}

// Every refusal names its rule and changes nothing.
TEST(engine, each_refusal_changes_nothing) {
    host_model h = two_lags();
    ASSERT_TRUE(h.set_min_links("la", 2).ok());
    const host_model before = h;
    struct {
        const char* what;
        std::function<result<model::events>(host_model&)> op;
        const char* rule;
    } cases[] = {
        {"move below min-links", [](host_model& x) { return x.add_member("lb", "a1"); }, "min-links"},
        {"remove below min-links", [](host_model& x) { return x.remove_member("la", "a1"); }, "min-links"},
        {"create taking la below min-links",
         [](host_model& x) { return x.create_lag({.name = "lc", .access = "C", .members = {"a0", "c0"}}); },
         "min-links"},
        {"speed", [](host_model& x) { return x.add_member("lb", "big"); }, "uniform-speed"},
        {"access port as a member", [](host_model& x) { return x.add_member("lb", "A"); }, "access-port"},
        {"already a member", [](host_model& x) { return x.add_member("la", "a0"); }, "already-member"},
        {"not a member", [](host_model& x) { return x.remove_member("lb", "a0"); }, "not-member"},
        {"no such LAG", [](host_model& x) { return x.add_member("lz", "c0"); }, "no-such-lag"},
        {"no such port", [](host_model& x) { return x.add_member("lb", "zz"); }, "no-such-port"},
        {"duplicate LAG", [](host_model& x) { return x.create_lag({.name = "la", .access = "C", .members = {"c0"}}); },
         "duplicate-lag"},
        {"another LAG's access port",
         [](host_model& x) { return x.create_lag({.name = "lc", .access = "A", .members = {"c0"}}); }, "access-port"},
        {"a member as access port",
         [](host_model& x) { return x.create_lag({.name = "lc", .access = "b0", .members = {"c0"}}); },
         "access-port"},
        {"no members", [](host_model& x) { return x.create_lag({.name = "lc", .access = "C"}); }, "membership"},
        {"min-links above members", [](host_model& x) { return x.set_min_links("lb", 2); }, "min-links"},
        {"delete no such LAG", [](host_model& x) { return x.delete_lag("lz"); }, "no-such-lag"},
    };
    for (const auto& c : cases) {
        auto r = c.op(h);
        ASSERT_FALSE(r.ok()) << c.what;
        EXPECT_EQ(r.err().code, c.rule) << c.what << ": " << r.err().message;
        EXPECT_EQ(h, before) << c.what << " changed something";
    }
}

// A trial of a running host (the daemon's model and its access ports)
// refuses as the host itself would.
TEST(engine, a_trial_of_a_running_host) {
    host_model h = two_lags();
    host_model t(h.model(), {{"la", "A"}, {"lb", "B"}});
    EXPECT_EQ(t, h);
    EXPECT_EQ(t.add_member("lb", "A").err().code, "access-port");
    EXPECT_TRUE(t.add_member("lb", "a1").ok());
    EXPECT_TRUE(t.check_invariants().ok());
    host_model no_access(h.model(), {{"la", "A"}});
    EXPECT_FALSE(no_access.check_invariants().ok());
}

TEST(engine, rollback_undoes_in_reverse_once_unless_committed) {
    std::vector<int> log;
    {
        rollback rb;
        rb.push([&] { log.push_back(1); });
        rb.push([&] { log.push_back(2); });
        rb.undo();
        rb.undo(); // once
    }
    EXPECT_EQ(log, (std::vector<int>{2, 1}));
    log.clear();
    {
        rollback rb; // dropped uncommitted: undone
        rb.push([&] { log.push_back(1); });
        rb.replace([&] { log.push_back(3); }); // subsumes the steps before it
        EXPECT_EQ(rb.size(), 1u);
    }
    EXPECT_EQ(log, std::vector<int>{3});
    log.clear();
    {
        rollback rb;
        rb.push([&] { log.push_back(1); });
        rb.commit();
    }
    EXPECT_TRUE(log.empty());
}

// Random sequences of operations (seeded): after each one every invariant
// holds, every port is in exactly one role, and a refused one changed
// nothing.
TEST(engine, property_random_operations_keep_every_port_in_one_role) {
    const std::vector<std::string> ports = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "h0"};
    const std::vector<std::string> lags = {"l0", "l1", "l2"};
    for (unsigned seed = 1; seed <= 40; ++seed) {
        std::mt19937 rng(seed);
        host_model h;
        for (const auto& p : ports)
            ASSERT_TRUE(h.add_port(p, p == "h0" ? port_speed::g100 : port_speed::g10).ok());
        auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
        unsigned done = 0, refused = 0;
        for (int step = 0; step < 300; ++step) {
            const host_model before = h;
            result<model::events> r = make_error("none", "");
            switch (rng() % 6) {
            case 0: {
                lag_spec s{.name = pick(lags), .access = pick(ports), .min_links = static_cast<unsigned>(rng() % 3)};
                for (unsigned n = 1 + rng() % 3; n > 0; --n)
                    s.members.push_back(pick(ports));
                r = h.create_lag(s);
                break;
            }
            case 1: r = h.delete_lag(pick(lags)); break;
            case 2:
            case 3: r = h.add_member(pick(lags), pick(ports)); break;
            case 4: r = h.remove_member(pick(lags), pick(ports)); break;
            case 5: r = h.set_min_links(pick(lags), static_cast<unsigned>(rng() % 3)); break;
            }
            if (r.ok()) {
                ++done;
            } else {
                ++refused;
                ASSERT_EQ(h, before) << "seed " << seed << " step " << step << ": refusal " << r.err().code
                                     << " changed something";
                ASSERT_FALSE(r.err().code.empty());
            }
            ASSERT_TRUE(h.check_invariants().ok()) << "seed " << seed << " step " << step << ": "
                                                   << h.check_invariants().err().message;
            // Exactly one role each, and the role agrees with the model.
            auto recs = h.ports();
            ASSERT_EQ(recs.size(), ports.size());
            for (const auto& rec : recs) {
                const auto* ps = h.model().port(rec.name);
                switch (rec.role) {
                case port_role::member: ASSERT_TRUE(ps->lag && *ps->lag == rec.lag); break;
                case port_role::access:
                    ASSERT_FALSE(ps->lag);
                    ASSERT_EQ(*h.access(rec.lag), rec.name);
                    break;
                case port_role::standalone:
                    ASSERT_FALSE(ps->lag);
                    ASSERT_EQ(h.access_of(rec.name), nullptr);
                    break;
                }
            }
        }
        // The sequences exercise both outcomes.
        EXPECT_GT(done, 20u) << "seed " << seed;
        EXPECT_GT(refused, 20u) << "seed " << seed;
    }
}
