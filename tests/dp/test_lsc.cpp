// Link-status-change interrupts. Of the virtual devices here only DPDK's
// bonding PMD raises LSC events to the application (net_ring and net_null
// have none; net_tap updates its link on netlink messages but calls no
// callback in 22.11). So the member here is a bonded port (active-backup)
// over one net_null port: stopping the null port (its link goes down) makes the bond
// go down and raise LSC. Control polls links only once an hour in this test,
// so it can learn the change only from the LSC event.
#include "control/control.hpp"
#include "dp_env.hpp"
#include "port.hpp"

#include <gtest/gtest.h>
#include <rte_eth_bond.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <chrono>
#include <thread>

using namespace lag;
using namespace lag::test;

namespace {

class lsc_test : public ::testing::Test {
protected:
    void SetUp() override {
        host = make_wire("lscacc");
        other = make_wire("lscm1");
        // The bond's only slave: a net_null port (it can change its MAC, as
        // the bond needs, and its link can be set down) the bond configures.
        auto u = net::probe("net_null_lscund");
        ASSERT_TRUE(u.ok()) << u.err().to_string();
        under = *u;
        int b = rte_eth_bond_create("net_bonding_lsc", BONDING_MODE_ACTIVE_BACKUP, 0);
        ASSERT_GE(b, 0);
        bond = static_cast<uint16_t>(b);
        have_bond = true;
        ASSERT_EQ(rte_eth_bond_slave_add(bond, under), 0);
        ASSERT_EQ(rte_eth_bond_link_monitoring_set(bond, 1), 0); // polls its slave every ms
        net::port_setup s;
        s.pool = pool();
        auto r = net::configure_and_start(bond, s);
        ASSERT_TRUE(r.ok()) << r.err().to_string();
    }
    void TearDown() override {
        if (c)
            c->shutdown();
        c.reset();
        if (have_bond) {
            (void)rte_eth_dev_stop(bond);
            (void)rte_eth_bond_slave_remove(bond, under);
            (void)rte_eth_bond_free("net_bonding_lsc");
        }
        net::stop_and_close(under);
        destroy_wire(host);
        destroy_wire(other);
        EXPECT_EQ(pool_in_use(), 0u);
    }
    // Polls control until it saw `n` link changes; a hang guard, not a timing check.
    bool wait_changes(uint64_t n) {
        for (int i = 0; i < 2000 && c->counters().link_changes < n; ++i) {
            c->poll(now += std::chrono::milliseconds(1));
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return c->counters().link_changes >= n;
    }

    uint16_t bond = 0;
    bool have_bond = false;
    wire host{}, other{};
    uint16_t under = 0;
    model::lag_model model;
    std::unique_ptr<ctl::control> c;
    time_point now{};
};

TEST_F(lsc_test, member_link_change_arrives_as_an_lsc_event) {
    ASSERT_TRUE(net::lsc_enabled(bond)) << "the bonding PMD raises LSC interrupts";
    ASSERT_TRUE(model.add_port("m0", model::port_speed::g10).ok());
    ASSERT_TRUE(model.add_port("m1", model::port_speed::g10).ok());
    ASSERT_TRUE(model.create_lag({.name = "lag0", .members = {"m0", "m1"}, .min_links = 1}).ok());
    // Wait for the bond to see its slave up (its own polling), before control starts.
    for (int i = 0; i < 2000 && !dpdk::link_up(bond); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(dpdk::link_up(bond));
    ctl::control_config cfg;
    cfg.lag = "lag0";
    cfg.access_port = host.b;
    cfg.members = {{"m0", bond}, {"m1", other.a}};
    cfg.link_poll_interval = std::chrono::hours(1);
    cfg.name_prefix = "lsc";
    auto cr = ctl::control::create(model, cfg);
    ASSERT_TRUE(cr.ok()) << cr.err().to_string();
    c = std::move(*cr);
    c->poll(now); // the first poll is due and reads every link
    (void)dpdk::take_lsc(bond); // whatever the start-up raised
    ASSERT_TRUE(c->member_link(0));
    EXPECT_TRUE(c->current().distributing_slot(0));
    const uint64_t polls_before = c->counters().polls;

    ASSERT_EQ(rte_eth_dev_stop(under), 0); // net_null: link down while stopped
    ASSERT_TRUE(wait_changes(1)) << "no LSC event reached control";
    EXPECT_FALSE(c->member_link(0));
    EXPECT_FALSE(c->current().distributing_slot(0));
    EXPECT_TRUE(c->current().distributing_slot(1));
    EXPECT_GT(c->counters().polls, polls_before);

    ASSERT_EQ(rte_eth_dev_start(under), 0);
    ASSERT_TRUE(wait_changes(2)) << "no LSC event for link up";
    EXPECT_TRUE(c->member_link(0));
    EXPECT_TRUE(c->current().distributing_slot(0));
}

} // namespace
