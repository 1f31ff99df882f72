// drivers/net's ethdev port_io (issue 16) on virtual devices: probe, start
// and stop as port.cpp does them, which ports it started, link and speed,
// MAC, the MTU checks, and one control frame sent on a given TX queue
// arriving whole on the far end of a net_ring wire.
#include "dp_env.hpp"
#include "port_io_ethdev.hpp"

#include <gtest/gtest.h>

using namespace lag;
using namespace lag::test;

TEST(port_io_ethdev, probes_starts_reports_and_stops_a_device) {
    net::ethdev_port_io io(pool());
    auto id = io.probe("net_null_pio0");
    ASSERT_TRUE(id.ok()) << id.err().to_string();
    auto again = io.probe("net_null_pio0");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *id); // an existing port is not probed twice
    EXPECT_EQ(io.name(*id), "net_null_pio0");
    auto none = io.probe("net_nosuchpmd0");
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.err().code, "probe");

    EXPECT_FALSE(io.started(*id));
    const uint16_t room = io.max_tx_queues(*id);
    ASSERT_GE(room, 2);
    auto too_many = io.configure_and_start(*id, {.tx_queues = static_cast<uint16_t>(room + 1)});
    ASSERT_FALSE(too_many.ok());
    EXPECT_EQ(too_many.err().code, "port-queues");
    EXPECT_FALSE(io.started(*id));

    ASSERT_TRUE(io.configure_and_start(*id, {.rx_queues = 1, .tx_queues = 2, .rx_desc = 128, .tx_desc = 128}).ok());
    EXPECT_TRUE(io.started(*id));
    const auto link = io.link(*id);
    EXPECT_TRUE(link.up);
    EXPECT_EQ(link.speed_mbps, 10'000u); // net_null says 10G
    EXPECT_EQ(io.check_mtu(*id, 65000).err().code, "mtu"); // beyond the pool's mbufs
    EXPECT_TRUE(io.check_mtu(*id, 1500).ok());
    const mac_addr m = *mac_addr::parse("02:00:00:00:99:01");
    ASSERT_TRUE(io.set_mac(*id, m).ok());
    EXPECT_EQ(io.mac(*id), m);

    io.stop(*id);
    EXPECT_FALSE(io.started(*id));
    io.stop_and_close(*id);
    EXPECT_EQ(pool_in_use(), 0u);
}

TEST(port_io_ethdev, sends_one_control_frame_on_the_queue_given) {
    net::ethdev_port_io io(pool());
    wire w = make_wire("pio", 2); // two queues each way
    const auto frame = ether_frame(0x8809);
    EXPECT_TRUE(io.send(w.a, 1, frame));
    auto on0 = drain(w.b, 0);
    auto on1 = drain(w.b, 1);
    EXPECT_TRUE(on0.empty());
    ASSERT_EQ(on1.size(), 1u);
    EXPECT_EQ(frame_bytes(on1[0]), frame);
    free_all(on1);
    free_all(on0);
    EXPECT_EQ(io.link(w.a).up, true);
    destroy_wire(w);
    EXPECT_EQ(pool_in_use(), 0u);
}
