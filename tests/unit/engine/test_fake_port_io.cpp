// lib/engine's fake port_io (issue 16): what the scenario tests lean on.
// It refuses to start when told to, and then stays stopped; reports the link
// and speed a test sets, and no link while stopped; records each control
// frame sent with its queue, and sends nothing while stopped or down.
#include "engine/fake_port_io.hpp"

#include <gtest/gtest.h>

using namespace lag;
using namespace lag::engine;

TEST(fake_port_io, probes_only_devices_it_has) {
    fake_port_io io;
    const uint16_t id = io.add_device("net_fake0,iface=x");
    auto p = io.probe("net_fake0,other=args");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, id);
    EXPECT_EQ(io.name(id), "net_fake0");
    auto none = io.probe("net_fake1");
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.err().code, "probe");
}

TEST(fake_port_io, refuses_to_start_when_told_and_stays_stopped) {
    fake_port_io io;
    const uint16_t id = io.add_device("d0");
    io.at(id).refuse_starts = 1;
    auto r = io.configure_and_start(id, {.rx_queues = 1, .tx_queues = 2});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, "port");
    EXPECT_FALSE(io.started(id));
    EXPECT_EQ(io.at(id).starts, 0u);
    ASSERT_TRUE(io.configure_and_start(id, {.rx_queues = 1, .tx_queues = 2}).ok()); // the next one starts
    EXPECT_TRUE(io.started(id));
    EXPECT_EQ(io.at(id).setup.tx_queues, 2);
    io.at(id).max_tx = 1;
    io.stop(id);
    auto q = io.configure_and_start(id, {.tx_queues = 2});
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.err().code, "port-queues");
    EXPECT_FALSE(io.started(id));
}

TEST(fake_port_io, reports_the_link_and_speed_set_and_none_while_stopped) {
    fake_port_io io;
    const uint16_t id = io.add_device("d0", {.up = true, .speed_mbps = 100'000});
    EXPECT_EQ(io.link(id), link_status{}); // stopped
    ASSERT_TRUE(io.configure_and_start(id, {}).ok());
    EXPECT_EQ(io.link(id), (link_status{.up = true, .speed_mbps = 100'000}));
    io.at(id).link = {.up = false, .speed_mbps = 0};
    EXPECT_FALSE(io.link(id).up);
}

TEST(fake_port_io, records_control_frames_sent) {
    fake_port_io io;
    const uint16_t id = io.add_device("d0");
    const std::vector<uint8_t> f{1, 2, 3};
    EXPECT_FALSE(io.send(id, 1, f)); // stopped
    ASSERT_TRUE(io.configure_and_start(id, {}).ok());
    EXPECT_TRUE(io.send(id, 1, f));
    io.at(id).link.up = false;
    EXPECT_FALSE(io.send(id, 1, f)); // no link
    ASSERT_EQ(io.sent().size(), 1u);
    EXPECT_EQ(io.sent()[0].port, id);
    EXPECT_EQ(io.sent()[0].queue, 1);
    EXPECT_EQ(io.sent()[0].bytes, f);
    EXPECT_EQ(io.take_sent().size(), 1u);
    EXPECT_TRUE(io.sent().empty());
}

TEST(fake_port_io, checks_and_sets_the_mtu) {
    fake_port_io io;
    const uint16_t id = io.add_device("d0");
    io.at(id).max_mtu = 9000;
    EXPECT_EQ(io.check_mtu(id, 9001).err().code, "mtu");
    EXPECT_EQ(io.mtu(id), 1500); // unchanged
    ASSERT_TRUE(io.set_mtu(id, 9000).ok());
    EXPECT_EQ(io.mtu(id), 9000);
    ASSERT_TRUE(io.set_mac(id, *mac_addr::parse("02:00:00:00:00:01")).ok());
    EXPECT_EQ(io.mac(id), mac_addr::parse("02:00:00:00:00:01"));
}

// lib/engine's port_io helpers the daemon uses, on the fake.
TEST(port_io_helpers, member_setup_keeps_the_spare_queue_where_the_device_has_it) {
    fake_port_io io;
    const uint16_t roomy = io.add_device("roomy"), tight = io.add_device("tight");
    io.at(roomy).max_tx = 3;
    io.at(tight).max_tx = 2;
    const port_setup want{.rx_queues = 2, .tx_queues = 3};
    auto r = member_setup(io, roomy, "roomy", want, true);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->first.tx_queues, 3);
    EXPECT_TRUE(r->second);
    auto t = member_setup(io, tight, "tight", want, false); // without LACP/MKA: no spare queue
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->first.tx_queues, 2);
    EXPECT_FALSE(t->second);
    auto n = member_setup(io, tight, "tight", want, true);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.err().code, "port-queues");
    EXPECT_NE(n.err().message.find("'tight'"), std::string::npos) << n.err().message;
}

TEST(port_io_helpers, apply_mtus_is_all_or_none) {
    fake_port_io io;
    const uint16_t a = io.add_device("a"), b = io.add_device("b"), c = io.add_device("c");
    io.at(c).max_mtu = 2000;
    // A port beyond its device's range: refused before anything changes.
    auto r = apply_mtus(io, {{"a", a, 9000}, {"b", b, 9032}, {"c", c, 9032}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, "mtu");
    EXPECT_NE(r.err().message.find("port 'c'"), std::string::npos) << r.err().message;
    EXPECT_EQ(io.mtu(a), 1500);
    EXPECT_EQ(io.mtu(b), 1500);
    EXPECT_EQ(io.at(a).mtu_sets, 0u); // never touched, not set and put back
    // A device that takes the check and refuses after: those changed go back.
    io.at(c).max_mtu = 9600;
    io.at(c).refuse_set_mtu = true;
    r = apply_mtus(io, {{"a", a, 9000}, {"b", b, 9032}, {"c", c, 9032}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(io.mtu(a), 1500);
    EXPECT_EQ(io.mtu(b), 1500);
    EXPECT_EQ(io.at(a).mtu_sets, 2u); // set, then put back
    io.at(c).refuse_set_mtu = false;
    ASSERT_TRUE(apply_mtus(io, {{"a", a, 9000}, {"b", b, 9032}, {"c", c, 9032}}).ok());
    EXPECT_EQ(io.mtu(a), 9000);
    EXPECT_EQ(io.mtu(c), 9032);
}
