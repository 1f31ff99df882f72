// lib/engine's host with fake ports, in virtual time (issue 16): two hosts
// back to back converging under LACP and MKA (keyed LAGs, a member moved
// from one key to another); every lifecycle operation carried out
// on the devices and LACP; each refusal changing nothing, devices included;
// a rollback when a port refuses to start halfway through an operation; and
// a property test of random operation sequences. Nothing reads a clock.
#include "engine_sim.hpp"
#include "mka/lan.hpp" // seeded_crypto: real AES/CMAC, seeded randomness

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

using namespace lag;
using namespace lag::engine;
using model::port_speed;

namespace {

constexpr duration converge_bound = lacp::aggregate_wait_time + lacp::fast_periodic_time + milliseconds(10);

mac_addr mac_of(unsigned host, unsigned i) {
    mac_addr m = *mac_addr::parse("02:00:00:00:00:00");
    m.bytes[4] = static_cast<uint8_t>(host);
    m.bytes[5] = static_cast<uint8_t>(i);
    return m;
}

// Hosts A and B, each with ports acc_a, acc_b, acc_c (access), m0..m4 (10G
// members) and big (100G). Member i of A is cabled to member i of B, big to
// big. Both run LAG la {m0, m1} on acc_a and lb {m2} on acc_b; m3, m4, big
// and acc_c are free.
struct two_hosts {
    std::unique_ptr<mka::ipsecmb_crypto> real = mka::ipsecmb_crypto::create().value();
    mka::test::seeded_crypto crypto_a{*real, 0xa}, crypto_b{*real, 0xb};
    sim::network net;
    size_t a = 0, b = 0;
    std::vector<size_t> cables; // m0..m4, big
    const std::vector<std::string> members{"m0", "m1", "m2", "m3", "m4"};

    two_hosts() {
        a = net.add_host({.system = *mac_addr::parse("02:00:00:00:0a:00"), .crypto = &crypto_a});
        b = net.add_host({.system = *mac_addr::parse("02:00:00:00:0b:00"), .crypto = &crypto_b});
        for (size_t h : {a, b}) {
            unsigned i = 0;
            for (const char* acc : {"acc_a", "acc_b", "acc_c"}) {
                net.io(h).add_device(fmt(acc));
                EXPECT_TRUE(net.at(h).add_port({acc, fmt(acc), port_speed::g10, mac_of(unsigned(h), i++)}).ok());
            }
            for (const auto& m : members) {
                net.io(h).add_device(fmt(m));
                EXPECT_TRUE(net.at(h).add_port({m, fmt(m), port_speed::g10, mac_of(unsigned(h), i++)}).ok());
            }
            net.io(h).add_device(fmt("big"), {.up = true, .speed_mbps = 100'000});
            EXPECT_TRUE(net.at(h).add_port({"big", fmt("big"), port_speed::g100, mac_of(unsigned(h), i++)}).ok());
        }
        for (const auto& m : members)
            cables.push_back(net.cable({a, dev(a, m)}, {b, dev(b, m)}));
        cables.push_back(net.cable({a, dev(a, "big")}, {b, dev(b, "big")}));
        for (size_t h : {a, b}) {
            EXPECT_TRUE(net.at(h).create_lag({.name = "la", .access = "acc_a", .members = {"m0", "m1"}}, now()).ok());
            EXPECT_TRUE(net.at(h).create_lag({.name = "lb", .access = "acc_b", .members = {"m2"}}, now()).ok());
        }
    }
    static std::string fmt(std::string_view p) { return "net_fake_" + std::string(p) + ",arg=1"; }
    uint16_t dev(size_t h, std::string_view port) { return *net.io(h).id(fmt(port)); }
    fake_port_io::device& device(size_t h, std::string_view port) { return *net.io(h).find(fmt(port)); }
    time_point now() const { return net.now(); }
    host& A() { return net.at(a); }
    host& B() { return net.at(b); }
    bool distributing_both(std::initializer_list<const char*> ports) {
        for (const char* p : ports)
            if (!A().distributing(p) || !B().distributing(p))
                return false;
        return true;
    }
    bool converge(std::initializer_list<const char*> ports) {
        return net.run_until_true([&] { return distributing_both(ports); }, converge_bound);
    }
    std::vector<std::string> lag_members(host& h, const char* lag) { return h.model().model().lag(lag)->members; }
};

// Everything an operation could change on a host: the model, each device's
// state, each port's LACP state.
struct host_state {
    host_model model;
    std::vector<std::tuple<bool, bool, unsigned, uint16_t>> devices; // started, closed, starts, mtu
    std::vector<std::pair<bool, std::optional<uint16_t>>> lacp;    // distributing, key
    std::vector<std::optional<std::string>> mka;                    // each port's session's CKN
    std::vector<std::vector<uint16_t>> buckets;                     // each LAG's
    bool operator==(const host_state&) const = default;
};
host_state state_of(host& h, fake_port_io& io) {
    host_state s{h.model(), {}, {}, {}, {}};
    for (size_t i = 0; i < io.device_count(); ++i) {
        const auto& d = io.at(static_cast<uint16_t>(i));
        s.devices.emplace_back(d.started, d.closed, d.starts, d.mtu);
    }
    for (const auto& p : h.model().ports())
        s.lacp.emplace_back(h.distributing(p.name), h.lacp_key(p.name));
    for (const auto& p : h.model().ports())
        s.mka.push_back(h.mka_ckn(p.name));
    for (const auto& [name, l] : h.model().model().lags())
        s.buckets.push_back(h.buckets(name));
    return s;
}

const std::string ckn_la = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
const std::string ckn_lb = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
mka::key_secret cak_of(uint8_t fill, size_t n = 32) {
    std::vector<uint8_t> k(n, fill);
    return mka::key_secret(k);
}

} // namespace

TEST(engine_scenario, two_hosts_back_to_back_converge_under_lacp) {
    two_hosts t;
    ASSERT_TRUE(t.converge({"m0", "m1", "m2"})) << "not every member distributing within the bound";
    std::printf("two engine hosts, la {m0, m1} and lb {m2}: distributing on both after %.3f s virtual\n",
                std::chrono::duration<double>(t.now().since_epoch).count());
    for (host* h : {&t.A(), &t.B()}) {
        EXPECT_EQ(h->model().model().lag("la")->status(), model::lag_status::available);
        EXPECT_EQ(h->model().model().lag("lb")->status(), model::lag_status::available);
        EXPECT_EQ(h->model().model().operational_members("la"), 2u);
        EXPECT_TRUE(h->check_invariants().ok()) << h->check_invariants().err().to_string();
        EXPECT_EQ(h->counters().frames_dropped, 0u);
        EXPECT_GT(h->counters().frames_out, 0u);
    }
    // The two LAGs carry different keys (their LACPDUs say so).
    EXPECT_NE(t.A().lacp_key("m0"), t.A().lacp_key("m2"));
    EXPECT_EQ(t.A().lacp_key("m0"), t.A().lacp_key("m1"));
    // LACPDUs go on each member's control queue (the last TX queue).
    EXPECT_EQ(t.device(t.a, "m0").setup.tx_queues, 2);
    // Free ports stay stopped; access ports run.
    EXPECT_FALSE(t.device(t.a, "m3").started);
    EXPECT_TRUE(t.device(t.a, "acc_a").started);
    EXPECT_TRUE(t.device(t.a, "acc_a").mac.has_value());
}

TEST(engine_scenario, a_cut_cable_takes_its_member_out_and_back) {
    two_hosts t;
    ASSERT_TRUE(t.converge({"m0", "m1", "m2"}));
    t.net.set_carrier(t.cables[0], false);
    t.net.run_for(milliseconds(10));
    EXPECT_FALSE(t.A().distributing("m0"));
    EXPECT_FALSE(t.B().distributing("m0"));
    EXPECT_TRUE(t.A().distributing("m1"));
    EXPECT_EQ(t.A().model().model().operational_members("la"), 1u);
    EXPECT_TRUE(t.A().model().model().lag("la")->up);
    t.net.set_carrier(t.cables[0], true);
    ASSERT_TRUE(t.converge({"m0", "m1"}));
    EXPECT_EQ(t.A().model().model().operational_members("la"), 2u);
}

TEST(engine_scenario, a_member_moves_between_lags_on_both_hosts_without_a_restart) {
    two_hosts t;
    ASSERT_TRUE(t.converge({"m0", "m1", "m2"}));
    const unsigned starts = t.device(t.a, "m1").starts;
    const auto lb_key = t.A().lacp_key("m2");
    for (host* h : {&t.A(), &t.B()}) {
        ASSERT_TRUE(h->add_member("lb", "m1", t.now()).ok());
        t.net.settle();
    }
    EXPECT_EQ(t.lag_members(t.A(), "la"), std::vector<std::string>{"m0"});
    EXPECT_EQ(t.lag_members(t.A(), "lb"), (std::vector<std::string>{"m2", "m1"}));
    EXPECT_EQ(t.A().lacp_key("m1"), lb_key); // its LACPDUs now carry lb's key
    ASSERT_TRUE(t.converge({"m0", "m1", "m2"}));
    EXPECT_EQ(t.A().model().model().operational_members("lb"), 2u);
    EXPECT_EQ(t.A().model().model().operational_members("la"), 1u);
    EXPECT_EQ(t.device(t.a, "m1").starts, starts); // moved, never restarted
    EXPECT_TRUE(t.A().check_invariants().ok()) << t.A().check_invariants().err().to_string();
}

// Flows 0..255 of la (flow f in bucket f), one frame each per 10 ms from A:
// out on the member A's bucket table names, arriving if that member
// distributes on both hosts. While m1 moves from la to lb, no frame of a
// flow on m0 or m3 (members that stay) is lost or changes member.
TEST(engine_scenario, a_move_under_traffic_loses_no_frame_of_a_flow_that_stays_on_its_member) {
    two_hosts t;
    for (host* h : {&t.A(), &t.B()})
        ASSERT_TRUE(h->add_member("la", "m3", t.now()).ok());
    ASSERT_TRUE(t.converge({"m0", "m1", "m2", "m3"}));
    const std::vector<uint16_t> before = t.A().buckets("la");
    ASSERT_EQ(before.size(), model::default_bucket_count);
    const uint16_t m0 = t.dev(t.a, "m0"), m1 = t.dev(t.a, "m1"), m3 = t.dev(t.a, "m3");
    std::vector<uint16_t> last(before);
    std::vector<unsigned> lost(before.size()), moved(before.size()), sent(before.size());
    auto send_all = [&] {
        const auto& table = t.A().buckets("la");
        for (size_t f = 0; f < table.size(); ++f) {
            ++sent[f];
            const std::string* port = table[f] == model::no_member ? nullptr : t.A().port_of(table[f]);
            if (port == nullptr || !t.A().distributing(*port) || !t.B().distributing(*port)) {
                ++lost[f];
                continue;
            }
            if (table[f] != last[f])
                ++moved[f];
            last[f] = table[f];
        }
    };
    for (int step = 0; step < 500; ++step) { // 5 s
        if (step == 100)
            for (host* h : {&t.A(), &t.B()}) {
                ASSERT_TRUE(h->add_member("lb", "m1", t.now()).ok());
                t.net.settle();
            }
        send_all();
        t.net.run_for(milliseconds(10));
    }
    unsigned stayed = 0, stayed_lost = 0, stayed_moved = 0, of_m1 = 0, m1_lost = 0;
    for (size_t f = 0; f < before.size(); ++f) {
        if (before[f] == m0 || before[f] == m3) {
            ++stayed;
            stayed_lost += lost[f];
            stayed_moved += moved[f];
            EXPECT_EQ(lost[f], 0u) << "flow " << f;
            EXPECT_EQ(moved[f], 0u) << "flow " << f;
            EXPECT_EQ(t.A().buckets("la")[f], before[f]) << "flow " << f;
        } else {
            EXPECT_EQ(before[f], m1);
            ++of_m1;
            m1_lost += lost[f];
            EXPECT_EQ(moved[f], 1u) << "flow " << f << " of m1 goes to m0 or m3 once";
        }
    }
    std::printf("move under traffic: %u flows on members that stay, %u frames each: %u lost, %u moved; "
                "%u flows of m1 moved (%u frames lost)\n",
                stayed, sent[0], stayed_lost, stayed_moved, of_m1, m1_lost);
    EXPECT_GT(stayed, 150u);
    EXPECT_GT(of_m1, 60u);
    // lb's table now spreads over m2 and m1.
    const auto& lb = t.A().buckets("lb");
    EXPECT_EQ(std::count(lb.begin(), lb.end(), m1), 128);
}

TEST(engine_scenario, a_lags_last_member_moves_and_the_lag_stays_pending) {
    two_hosts t;
    ASSERT_TRUE(t.converge({"m0", "m1", "m2"}));
    for (host* h : {&t.A(), &t.B()}) {
        ASSERT_TRUE(h->add_member("la", "m2", t.now()).ok()); // lb's only member
        t.net.settle();
        EXPECT_TRUE(h->model().model().lag("lb")->members.empty());
        EXPECT_EQ(h->model().model().lag("lb")->status(), model::lag_status::pending);
        EXPECT_EQ(h->model().role("acc_b"), port_role::access);
        EXPECT_TRUE(h->check_invariants().ok()) << h->check_invariants().err().to_string();
    }
    EXPECT_TRUE(t.device(t.a, "acc_b").started); // the empty LAG keeps its access port
    ASSERT_TRUE(t.converge({"m0", "m1", "m2"}));
    EXPECT_EQ(t.A().model().model().operational_members("la"), 3u);
    // add member brings the empty LAG back.
    for (host* h : {&t.A(), &t.B()})
        ASSERT_TRUE(h->add_member("lb", "m3", t.now()).ok());
    ASSERT_TRUE(t.converge({"m3"}));
    EXPECT_EQ(t.A().model().model().lag("lb")->status(), model::lag_status::available);
}

TEST(engine_scenario, remove_the_last_member_then_add_it_back) {
    two_hosts t;
    ASSERT_TRUE(t.converge({"m0", "m1", "m2"}));
    const unsigned starts = t.device(t.a, "m2").starts;
    ASSERT_TRUE(t.A().remove_member("lb", "m2", t.now()).ok());
    t.net.run_for(milliseconds(5));
    EXPECT_EQ(t.A().model().model().lag("lb")->status(), model::lag_status::pending);
    EXPECT_EQ(t.A().model().role("m2"), port_role::standalone);
    EXPECT_FALSE(t.device(t.a, "m2").started); // standalone: stopped
    EXPECT_FALSE(t.B().distributing("m2"));    // the far end lost its link
    EXPECT_TRUE(t.A().check_invariants().ok()) << t.A().check_invariants().err().to_string();
    ASSERT_TRUE(t.A().add_member("lb", "m2", t.now()).ok());
    EXPECT_EQ(t.device(t.a, "m2").starts, starts + 1);
    ASSERT_TRUE(t.converge({"m2"}));
    EXPECT_EQ(t.A().model().model().lag("lb")->status(), model::lag_status::available);
}

TEST(engine_scenario, create_with_a_member_of_another_lag_and_delete) {
    two_hosts t;
    ASSERT_TRUE(t.converge({"m0", "m1", "m2"}));
    for (host* h : {&t.A(), &t.B()}) {
        ASSERT_TRUE(h->create_lag({.name = "lc", .access = "acc_c", .members = {"m1", "m3"}}, t.now()).ok());
        t.net.settle();
    }
    EXPECT_EQ(t.lag_members(t.A(), "la"), std::vector<std::string>{"m0"});
    ASSERT_TRUE(t.converge({"m0", "m1", "m2", "m3"}));
    EXPECT_EQ(t.A().model().model().operational_members("lc"), 2u);
    EXPECT_EQ(t.A().lacp_key("m1"), t.A().lacp_key("m3"));
    EXPECT_NE(t.A().lacp_key("m1"), t.A().lacp_key("m0"));
    ASSERT_TRUE(t.A().delete_lag("lc", t.now()).ok());
    t.net.run_for(milliseconds(5));
    for (const char* p : {"acc_c", "m1", "m3"}) {
        EXPECT_EQ(t.A().model().role(p), port_role::standalone) << p;
        EXPECT_FALSE(t.device(t.a, p).started) << p;
    }
    EXPECT_FALSE(t.B().distributing("m1"));
    EXPECT_TRUE(t.B().distributing("m0"));
    EXPECT_TRUE(t.A().check_invariants().ok()) << t.A().check_invariants().err().to_string();
}

TEST(engine_scenario, each_refusal_names_its_rule_and_changes_nothing) {
    two_hosts t;
    ASSERT_TRUE(t.converge({"m0", "m1", "m2"}));
    host& h = t.A();
    ASSERT_TRUE(h.set_min_links("la", 2, t.now()).ok());
    struct refusal {
        const char* what;
        std::function<result<model::events>()> op;
        const char* rule;
    };
    const std::vector<refusal> refusals{
        {"add to no LAG", [&] { return h.add_member("nope", "m3", t.now()); }, "no-such-lag"},
        {"add no port", [&] { return h.add_member("la", "nope", t.now()); }, "no-such-port"},
        {"add an access port", [&] { return h.add_member("la", "acc_b", t.now()); }, "access-port"},
        {"move below min-links", [&] { return h.add_member("lb", "m0", t.now()); }, "min-links"},
        {"remove below min-links", [&] { return h.remove_member("la", "m1", t.now()); }, "min-links"},
        {"remove a non-member", [&] { return h.remove_member("la", "m3", t.now()); }, "not-member"},
        {"add a 100G port to a 10G LAG", [&] { return h.add_member("lb", "big", t.now()); }, "uniform-speed"},
        {"create a duplicate", [&] { return h.create_lag({.name = "la", .access = "acc_c", .members = {"m3"}}, t.now()); },
         "duplicate-lag"},
        {"create with no member", [&] { return h.create_lag({.name = "lc", .access = "acc_c"}, t.now()); }, "membership"},
        {"create on a used access port",
         [&] { return h.create_lag({.name = "lc", .access = "acc_a", .members = {"m3"}}, t.now()); }, "access-port"},
        {"create taking la below min-links",
         [&] { return h.create_lag({.name = "lc", .access = "acc_c", .members = {"m3", "m0"}}, t.now()); }, "min-links"},
        {"min-links above the members", [&] { return h.set_min_links("lb", 5, t.now()); }, "min-links"},
        {"delete no LAG", [&] { return h.delete_lag("nope", t.now()); }, "no-such-lag"},
    };
    for (const auto& r : refusals) {
        const host_state before = state_of(h, t.net.io(t.a));
        const uint64_t out = h.counters().frames_out;
        auto res = r.op();
        ASSERT_FALSE(res.ok()) << r.what;
        EXPECT_EQ(res.err().code, r.rule) << r.what << ": " << res.err().to_string();
        EXPECT_TRUE(state_of(h, t.net.io(t.a)) == before) << r.what << " changed the host";
        EXPECT_EQ(h.counters().frames_out, out) << r.what << " sent a frame";
        EXPECT_TRUE(h.check_invariants().ok()) << r.what;
    }
    t.net.run_for(seconds(5));
    EXPECT_TRUE(t.distributing_both({"m0", "m1", "m2"}));
}

TEST(engine_scenario, a_port_that_refuses_to_start_halfway_rolls_the_operation_back) {
    two_hosts t;
    ASSERT_TRUE(t.converge({"m0", "m1", "m2"}));
    host& h = t.A();
    fake_port_io& io = t.net.io(t.a);
    // create lag lc {m1 (moving from la), m3, m4}: acc_c and m3 start, then
    // m4 refuses; acc_c and m3 are stopped again and m1 stays in la.
    t.device(t.a, "m4").refuse_starts = 1;
    const host_state before = state_of(h, io);
    auto r = h.create_lag({.name = "lc", .access = "acc_c", .members = {"m1", "m3", "m4"}}, t.now());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, "port") << r.err().to_string();
    EXPECT_NE(r.err().message.find("m4"), std::string::npos) << r.err().message;
    EXPECT_EQ(t.device(t.a, "acc_c").starts, 1u); // it did start, halfway
    EXPECT_EQ(t.device(t.a, "m3").starts, 1u);
    EXPECT_FALSE(t.device(t.a, "acc_c").started); // and was stopped again
    EXPECT_FALSE(t.device(t.a, "m3").started);
    host_state after = state_of(h, io);
    // Only the starts counters of the two rolled back devices moved.
    for (const char* p : {"acc_c", "m3"})
        std::get<2>(after.devices[t.dev(t.a, p)]) -= 1;
    EXPECT_TRUE(after == before);
    EXPECT_EQ(t.lag_members(h, "la"), (std::vector<std::string>{"m0", "m1"}));
    EXPECT_TRUE(h.check_invariants().ok()) << h.check_invariants().err().to_string();
    t.net.run_for(seconds(5));
    EXPECT_TRUE(t.distributing_both({"m0", "m1", "m2"})); // nothing was lost meanwhile

    // add member of a free port that refuses: nothing changes.
    t.device(t.a, "m4").refuse_starts = 1;
    const host_state before_add = state_of(h, io);
    auto a = h.add_member("lb", "m4", t.now());
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.err().code, "port");
    EXPECT_TRUE(state_of(h, io) == before_add);

    // The same operation once the device takes it.
    ASSERT_TRUE(h.create_lag({.name = "lc", .access = "acc_c", .members = {"m1", "m3", "m4"}}, t.now()).ok());
    EXPECT_TRUE(t.device(t.a, "m4").started);
    EXPECT_TRUE(h.check_invariants().ok()) << h.check_invariants().err().to_string();
}

TEST(engine_scenario, keyed_lags_secure_and_a_moved_member_rekeys_under_its_new_lag) {
    two_hosts t;
    for (host* h : {&t.A(), &t.B()}) {
        ASSERT_TRUE(h->set_key("la", ckn_la, cak_of(0x1a), t.now()).ok());
        ASSERT_TRUE(h->set_key("lb", ckn_lb, cak_of(0x1b), t.now()).ok());
    }
    auto secured = [&](std::initializer_list<const char*> ports) {
        for (const char* p : ports)
            if (!t.A().mka_secured(p) || !t.B().mka_secured(p))
                return false;
        return true;
    };
    ASSERT_TRUE(t.net.run_until_true([&] { return secured({"m0", "m1", "m2"}) && t.distributing_both({"m0", "m1", "m2"}); },
                                      seconds(10)));
    std::printf("MKA: la and lb secured on both hosts after %.3f s virtual\n",
                std::chrono::duration<double>(t.now().since_epoch).count());
    EXPECT_EQ(t.A().mka_ckn("m0"), ckn_la);
    EXPECT_EQ(t.A().mka_ckn("m2"), ckn_lb);
    EXPECT_EQ(t.A().model().model().port("m1")->key, ckn_la);
    EXPECT_FALSE(t.A().mka_ckn("m3").has_value());
    EXPECT_EQ(t.A().counters().mkpdus_dropped, 0u);

    // m1 moves to lb on both hosts: its la session ends, one under lb's key
    // starts at once, and secures again.
    for (host* h : {&t.A(), &t.B()}) {
        ASSERT_TRUE(h->add_member("lb", "m1", t.now()).ok());
        EXPECT_EQ(h->mka_ckn("m1"), ckn_lb);
        EXPECT_FALSE(h->mka_secured("m1")); // a new session
        EXPECT_EQ(h->model().model().port("m1")->key, ckn_lb);
        EXPECT_TRUE(h->check_invariants().ok()) << h->check_invariants().err().to_string();
    }
    ASSERT_TRUE(t.net.run_until_true([&] { return secured({"m0", "m1", "m2"}) && t.distributing_both({"m0", "m1", "m2"}); },
                                      seconds(10)));
    // The last member of lb leaves for la: lb stays, empty, with its key.
    for (host* h : {&t.A(), &t.B()}) {
        ASSERT_TRUE(h->add_member("la", "m2", t.now()).ok());
        ASSERT_TRUE(h->add_member("la", "m1", t.now()).ok());
        EXPECT_EQ(h->model().model().lag("lb")->status(), model::lag_status::pending);
        EXPECT_EQ(h->model().model().lag("lb")->key, ckn_lb);
        EXPECT_EQ(h->mka_ckn("m2"), ckn_la);
    }
    ASSERT_TRUE(t.net.run_until_true([&] { return secured({"m0", "m1", "m2"}); }, seconds(10)));
    // Unset: the sessions end, LACP carries on.
    ASSERT_TRUE(t.A().unset_key("la", t.now()).ok());
    EXPECT_FALSE(t.A().mka_ckn("m0").has_value());
    EXPECT_TRUE(t.A().check_invariants().ok()) << t.A().check_invariants().err().to_string();
    t.net.run_for(seconds(10));
    EXPECT_FALSE(t.B().mka_secured("m0")); // its peer went quiet
    EXPECT_TRUE(t.distributing_both({"m0", "m1", "m2"}));
}

TEST(engine_scenario, create_takes_a_keyed_member_and_delete_disassociates_the_key) {
    two_hosts t;
    for (host* h : {&t.A(), &t.B()})
        ASSERT_TRUE(h->set_key("la", ckn_la, cak_of(0x1a), t.now()).ok());
    ASSERT_TRUE(t.net.run_until_true([&] { return t.A().mka_secured("m1") && t.B().mka_secured("m1"); }, seconds(10)));
    // lc takes m1 from keyed la (and free m3): m1's la session ends, lc
    // has no key, so it runs none; la keeps its key on m0.
    for (host* h : {&t.A(), &t.B()}) {
        ASSERT_TRUE(h->create_lag({.name = "lc", .access = "acc_c", .members = {"m1", "m3"}}, t.now()).ok());
        EXPECT_FALSE(h->mka_ckn("m1").has_value());
        EXPECT_FALSE(h->model().model().port("m1")->key.has_value());
        EXPECT_EQ(h->mka_ckn("m0"), ckn_la);
        EXPECT_TRUE(h->check_invariants().ok()) << h->check_invariants().err().to_string();
    }
    ASSERT_TRUE(t.converge({"m0", "m1", "m2", "m3"}));
    // Keyed lc, then delete it: every member's key and session go, and
    // the ports are free to join another LAG with no trace of it.
    for (host* h : {&t.A(), &t.B()})
        ASSERT_TRUE(h->set_key("lc", ckn_lb, cak_of(0x1b), t.now()).ok());
    ASSERT_TRUE(t.net.run_until_true([&] { return t.A().mka_secured("m3") && t.B().mka_secured("m3"); }, seconds(10)));
    ASSERT_TRUE(t.A().delete_lag("lc", t.now()).ok());
    for (const char* p : {"m1", "m3"}) {
        EXPECT_FALSE(t.A().mka_ckn(p).has_value()) << p;
        EXPECT_FALSE(t.A().model().model().port(p)->key.has_value()) << p;
    }
    EXPECT_TRUE(t.A().check_invariants().ok()) << t.A().check_invariants().err().to_string();
    // A LAG of that name again starts with no key.
    ASSERT_TRUE(t.A().create_lag({.name = "lc", .access = "acc_c", .members = {"m3"}}, t.now()).ok());
    EXPECT_FALSE(t.A().model().model().lag("lc")->key.has_value());
    EXPECT_FALSE(t.A().mka_ckn("m3").has_value());
    EXPECT_TRUE(t.A().check_invariants().ok()) << t.A().check_invariants().err().to_string();
    // set_min_links, the one operation not shown yet: taken within the
    // members, and the LAG goes down below it.
    ASSERT_TRUE(t.A().set_min_links("la", 1, t.now()).ok());
    EXPECT_EQ(t.A().model().model().lag("la")->min_links, 1u);
    t.net.set_carrier(t.cables[0], false); // m0, la's only member now
    t.net.run_for(milliseconds(10));
    EXPECT_FALSE(t.A().model().model().lag("la")->up);
    EXPECT_TRUE(t.A().check_invariants().ok());
}

TEST(engine_scenario, must_encrypt_keeps_a_member_out_until_its_session_secures) {
    two_hosts t;
    ASSERT_TRUE(t.A().set_key("lb", ckn_lb, cak_of(0x1b), t.now(), true).ok()); // B has no key on lb yet
    ASSERT_TRUE(t.converge({"m0", "m1", "m2"}));                          // LACP lets m2 distribute...
    const auto& lb = t.A().model().model();
    EXPECT_FALSE(lb.port("m2")->distributable); // ...the gate does not: no session secured
    EXPECT_EQ(lb.operational_members("lb"), 0u);
    EXPECT_FALSE(lb.lag("lb")->up);
    const uint16_t m1 = t.dev(t.a, "m1"), m2 = t.dev(t.a, "m2");
    auto on = [&](const char* lag, uint16_t dev) {
        const auto& b = t.A().buckets(lag);
        return std::count(b.begin(), b.end(), dev);
    };
    EXPECT_EQ(on("lb", m2), 0);
    EXPECT_EQ(on("lb", model::no_member), long(model::default_bucket_count));
    EXPECT_TRUE(t.A().check_invariants().ok()) << t.A().check_invariants().err().to_string();
    // B takes the key: the session secures, the gate opens.
    ASSERT_TRUE(t.B().set_key("lb", ckn_lb, cak_of(0x1b), t.now()).ok());
    ASSERT_TRUE(t.net.run_until_true([&] { return t.A().mka_secured("m2"); }, seconds(10)));
    EXPECT_TRUE(lb.port("m2")->distributable);
    EXPECT_TRUE(lb.lag("lb")->up);
    EXPECT_EQ(on("lb", m2), long(model::default_bucket_count));
    // m1 joins lb on both: distributing in LACP at once (it moved, its
    // link stayed), but out of the table until its new session secures.
    for (host* h : {&t.A(), &t.B()})
        ASSERT_TRUE(h->add_member("lb", "m1", t.now()).ok());
    EXPECT_FALSE(lb.port("m1")->distributable);
    EXPECT_EQ(on("lb", m1), 0);
    EXPECT_TRUE(t.A().check_invariants().ok()) << t.A().check_invariants().err().to_string();
    ASSERT_TRUE(t.net.run_until_true([&] { return t.A().mka_secured("m1") && lb.port("m1")->distributable; },
                                      seconds(10)));
    EXPECT_EQ(on("lb", m1), 128);
    EXPECT_EQ(on("lb", m2), 128);
    // Unset: no gate, LACP's verdict alone.
    ASSERT_TRUE(t.A().unset_key("lb", t.now()).ok());
    EXPECT_TRUE(lb.port("m1")->distributable);
    EXPECT_TRUE(t.A().check_invariants().ok()) << t.A().check_invariants().err().to_string();
}

TEST(engine_scenario, a_refused_key_changes_nothing) {
    two_hosts t;
    ASSERT_TRUE(t.A().set_key("la", ckn_la, cak_of(0x1a), t.now()).ok());
    t.net.run_for(seconds(1));
    host& h = t.A();
    struct refusal {
        const char* what;
        std::function<result<model::events>()> op;
        const char* rule;
    };
    const std::vector<refusal> refusals{
        {"a 128-bit CAK under the provider's profile", [&] { return h.set_key("lb", ckn_lb, cak_of(1, 16), t.now()); },
         "cak-length"},
        {"a CKN that is not hex", [&] { return h.set_key("lb", "xyz", cak_of(1), t.now()); }, "ckn"},
        {"a key on no LAG", [&] { return h.set_key("nope", ckn_lb, cak_of(1), t.now()); }, "no-such-lag"},
        {"unset where there is none", [&] { return h.unset_key("lb", t.now()); }, "no-key"},
    };
    for (const auto& r : refusals) {
        const host_state before = state_of(h, t.net.io(t.a));
        auto res = r.op();
        ASSERT_FALSE(res.ok()) << r.what;
        EXPECT_EQ(res.err().code, r.rule) << r.what << ": " << res.err().to_string();
        EXPECT_TRUE(state_of(h, t.net.io(t.a)) == before) << r.what << " changed the host";
    }
    // A host without crypto refuses a key, and a member added to its keyed LAG.
    sim::network solo;
    const size_t s = solo.add_host({.system = *mac_addr::parse("02:00:00:00:0c:00")});
    solo.io(s).add_device("acc");
    solo.io(s).add_device("p0");
    ASSERT_TRUE(solo.at(s).add_port({"acc", "acc", port_speed::g10, mac_of(9, 0)}).ok());
    ASSERT_TRUE(solo.at(s).add_port({"p0", "p0", port_speed::g10, mac_of(9, 1)}).ok());
    ASSERT_TRUE(solo.at(s).create_lag({.name = "l", .access = "acc", .members = {"p0"}}, solo.now()).ok());
    auto nc = solo.at(s).set_key("l", ckn_la, cak_of(1), solo.now());
    ASSERT_FALSE(nc.ok());
    EXPECT_EQ(nc.err().code, "no-crypto");
    EXPECT_FALSE(solo.at(s).model().model().lag("l")->key.has_value());
}

// Random operation sequences on host A (B its partner, unchanged), with
// starts refused at random: after every operation the invariants hold
// (every port in exactly one role, its device started exactly while it has
// one, in exactly one LACP group as a member, an MKA session under its LAG's
// key exactly while a member of a keyed LAG), and a refused one changed
// nothing. The seed is printed; set ENGINE_SEED to replay one.
TEST(engine_scenario, property_random_operations_keep_the_invariants) {
    unsigned seed = 16016;
    if (const char* s = std::getenv("ENGINE_SEED"))
        seed = static_cast<unsigned>(std::strtoul(s, nullptr, 10));
    std::printf("engine property test seed %u (ENGINE_SEED=%u to replay)\n", seed, seed);
    std::mt19937 rng(seed);
    two_hosts t;
    host& h = t.A();
    fake_port_io& io = t.net.io(t.a);
    const std::vector<std::string> lags{"la", "lb", "lc"};
    const std::vector<std::string> ports{"m0", "m1", "m2", "m3", "m4", "big", "acc_a", "acc_b", "acc_c"};
    const std::vector<std::string> access{"acc_a", "acc_b", "acc_c"};
    auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
    // Mostly a LAG that exists (any name now and then, for no-such-lag).
    auto pick_lag = [&] {
        std::vector<std::string> live;
        for (const auto& [name, l] : h.model().model().lags())
            live.push_back(name);
        return live.empty() || rng() % 5 == 0 ? pick(lags) : pick(live);
    };
    unsigned done = 0, refused = 0, refused_start = 0, rolled_back = 0;
    for (int step = 0; step < 1000; ++step) {
        // Now and then a device refuses its next start (only this step's).
        for (const auto& p : ports)
            t.device(t.a, p).refuse_starts = 0;
        if (rng() % 4 == 0) { // a standalone port: one an operation would start
            std::vector<std::string> idle;
            for (const auto& p : ports)
                if (h.model().role(p) == port_role::standalone)
                    idle.push_back(p);
            if (!idle.empty())
                t.device(t.a, pick(idle)).refuse_starts = 1;
        }
        const host_state before = state_of(h, io);
        result<model::events> r = make_error("none", "");
        std::string what;
        // Weights: create 3, delete 1, add 4, remove 2, min-links 1, set
        // key 1, unset key 1.
        const unsigned op = rng() % 13;
        if (op < 3) {
            lag_spec s{.name = pick(lags), .access = pick(access)};
            for (unsigned n = 1 + rng() % 3; n-- > 0;)
                s.members.push_back(pick(ports));
            s.min_links = rng() % 2;
            // Now and then its last member refuses: a rollback halfway (its
            // access port, maybe members too, started before it).
            if (rng() % 3 == 0 && h.model().role(s.members.back()) == port_role::standalone)
                t.device(t.a, s.members.back()).refuse_starts = 1;
            what = "create " + s.name;
            r = h.create_lag(s, t.now());
        } else if (op < 4) {
            what = "delete";
            r = h.delete_lag(pick_lag(), t.now());
        } else if (op < 8) {
            what = "add";
            r = h.add_member(pick_lag(), pick(ports), t.now());
        } else if (op < 10) {
            what = "remove";
            r = h.remove_member(pick_lag(), pick(ports), t.now());
        } else if (op < 11) {
            what = "min-links";
            r = h.set_min_links(pick_lag(), rng() % 3, t.now());
        } else if (op < 12) {
            what = "set key";
            const bool first = rng() % 2 == 0;
            r = h.set_key(pick_lag(), first ? ckn_la : ckn_lb, cak_of(first ? 0x1a : 0x1b), t.now());
        } else {
            what = "unset key";
            r = h.unset_key(pick_lag(), t.now());
        }
        auto ok = h.check_invariants();
        ASSERT_TRUE(ok.ok()) << "seed " << seed << " step " << step << " " << what << ": " << ok.err().to_string();
        if (r.ok()) {
            ++done;
        } else {
            ++refused;
            if (std::getenv("ENGINE_TRACE"))
                std::printf("%s: %s\n", what.c_str(), r.err().to_string().c_str());
            host_state after = state_of(h, io);
            // A rollback leaves the devices it started stopped again: only
            // their starts counters may differ.
            bool rb = false;
            for (size_t i = 0; i < after.devices.size(); ++i)
                if (std::get<2>(after.devices[i]) != std::get<2>(before.devices[i])) {
                    rb = true;
                    std::get<2>(after.devices[i]) = std::get<2>(before.devices[i]);
                }
            rolled_back += rb ? 1 : 0;
            refused_start += r.err().code == "port" ? 1 : 0;
            ASSERT_TRUE(after == before) << "seed " << seed << " step " << step << " " << what
                                         << " refused (" << r.err().to_string() << ") but changed the host";
        }
        t.net.run_for(milliseconds(rng() % 400));
        ASSERT_TRUE(h.check_invariants().ok()) << "seed " << seed << " step " << step << " after running";
        ASSERT_TRUE(t.B().check_invariants().ok());
    }
    std::printf("1000 operations: %u done, %u refused (%u by a device start, %u rolled back started devices)\n",
                done, refused, refused_start, rolled_back);
    EXPECT_GT(done, 150u);
    EXPECT_GT(refused_start, 20u);
    EXPECT_GT(rolled_back, 5u);
}
