// drivers/net/port on virtual devices (issue 17 §2, §5): every RX queue a
// device made at its probe is configured (net_pcap's rx streams), and the
// RSS key a multi-queue port gets is symmetric (both directions of a flow
// hash alike, so both land on one worker).
#include "dp_env.hpp"
#include "dataplane/dataplane.hpp"
#include "dpdk/dpdk.hpp"
#include "port.hpp"

#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_thash.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace lag;
using namespace lag::test;

namespace {

// An empty capture file (the pcap global header alone).
std::string empty_pcap(const std::string& name) {
    std::string path = "/tmp/lag-test-port-" + std::to_string(getpid()) + "-" + name + ".pcap";
    const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                             0xff, 0xff, 0, 0, 1, 0, 0, 0};
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(hdr), sizeof hdr);
    return path;
}

net::port_setup one_queue() {
    net::port_setup s;
    s.pool = pool();
    s.lsc = false;
    return s;
}

TEST(port, every_rx_stream_of_a_pcap_device_is_configured) {
    const auto a = empty_pcap("a"), b = empty_pcap("b"), o = "/tmp/lag-test-port-" + std::to_string(getpid()) + ".out";
    auto id = net::probe("net_pcap_rxq0,rx_pcap=" + a + ",rx_pcap=" + b + ",tx_pcap=" + o);
    ASSERT_TRUE(id.ok()) << id.err().to_string();
    ASSERT_TRUE(net::configure_and_start(*id, one_queue()).ok()); // one worker asks for one RX queue
    EXPECT_EQ(net::rx_queue_count(*id), 2u) << "the second rx stream is a queue too: polled";
    rte_eth_dev_info info{};
    ASSERT_EQ(rte_eth_dev_info_get(*id, &info), 0);
    EXPECT_EQ(info.nb_rx_queues, 2u);
    net::stop_and_close(*id);
    for (const auto& f : {a, b, o})
        std::remove(f.c_str());
}

TEST(port, a_device_with_queues_on_demand_gets_what_is_asked) {
    auto id = net::probe("net_null_rxq0");
    ASSERT_TRUE(id.ok()) << id.err().to_string();
    ASSERT_TRUE(net::configure_and_start(*id, one_queue()).ok());
    EXPECT_EQ(net::rx_queue_count(*id), 1u) << "net_null has many queues to offer; one was asked for";
    net::stop_and_close(*id);
}

TEST(port, multi_queue_rss_uses_a_symmetric_key) {
    auto id = net::probe("net_null_rss0");
    ASSERT_TRUE(id.ok()) << id.err().to_string();
    net::port_setup s = one_queue();
    s.rx_queues = 2;
    s.tx_queues = 2;
    ASSERT_TRUE(net::configure_and_start(*id, s).ok());
    uint8_t key[128] = {};
    rte_eth_rss_conf rc{};
    rc.rss_key = key;
    rc.rss_key_len = sizeof key;
    ASSERT_EQ(rte_eth_dev_rss_hash_conf_get(*id, &rc), 0);
    ASSERT_GE(rc.rss_key_len, 40u);
    EXPECT_NE(rc.rss_hf, 0u) << "RSS over IP, TCP, UDP";
    // Both directions of a TCP flow: one hash with this key.
    rte_ipv4_tuple fwd{}, rev{};
    fwd.src_addr = 0x0a000001;
    fwd.dst_addr = 0xc0a80102;
    fwd.sport = 12345;
    fwd.dport = 443;
    rev.src_addr = fwd.dst_addr;
    rev.dst_addr = fwd.src_addr;
    rev.sport = fwd.dport;
    rev.dport = fwd.sport;
    const auto h = [&](const rte_ipv4_tuple& t) {
        return rte_softrss(reinterpret_cast<uint32_t*>(const_cast<rte_ipv4_tuple*>(&t)), RTE_THASH_V4_L4_LEN, key);
    };
    EXPECT_EQ(h(fwd), h(rev)) << "a symmetric Toeplitz key";
    EXPECT_EQ(key[0], 0x6d);
    EXPECT_EQ(key[1], 0x5a);
    net::stop_and_close(*id);
}

TEST(port, rte_flow_steering_refused_here_leaves_the_port_as_it_was) {
    // net_ring has no rte_flow support (nor has any virtual device here):
    // the refusal names the device and the rule, and the port still
    // carries frames on the queues it had.
    wire w = make_wire("steer", 1);
    net::port_setup s = one_queue();
    auto q = net::steer_control_frames(w.a, s, true);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.err().code, "rte-flow");
    EXPECT_NE(q.err().message.find("0x888E"), std::string::npos) << q.err().message;
    EXPECT_NE(q.err().message.find("net_ring"), std::string::npos) << q.err().message;
    EXPECT_EQ(net::rx_queue_count(w.a), 1u);
    ASSERT_EQ(inject(w.b, {udp_frame(1, 0)}), 1u);
    auto got = drain(w.a);
    EXPECT_EQ(got.size(), 1u) << "the port still receives";
    free_all(got);
    destroy_wire(w);
}

TEST(port_io, a_refusal_is_counted_and_reported_once) {
    dp::port_io io("steer");
    EXPECT_EQ(io.steering_of(3).queue, dp::port_io::no_queue);
    EXPECT_TRUE(io.steer_refused(3)) << "the first time: log it";
    EXPECT_FALSE(io.steer_refused(3));
    EXPECT_EQ(io.steering_of(3).refused, 2u);
    io.set_steered(4, 2);
    EXPECT_EQ(io.steering_of(4).queue, 2u);
}

TEST(socket_pools, the_first_pool_serves_its_socket_and_any) {
    auto p = dpdk::make_pktmbuf_pool("sp_first", 1023, 0, 0);
    ASSERT_TRUE(p.ok());
    const int here = static_cast<int>(rte_socket_id());
    dpdk::socket_pools sp(p->get(), here, 1023, 0, 0);
    EXPECT_EQ(sp.for_socket(-1), p->get());
    EXPECT_EQ(sp.for_socket(here), p->get());
    EXPECT_EQ(sp.extra(), 0u);
}

TEST(socket_pools, a_socket_without_memory_falls_back_to_the_first) {
    auto p = dpdk::make_pktmbuf_pool("sp_fall", 1023, 0, 0);
    ASSERT_TRUE(p.ok());
    dpdk::socket_pools sp(p->get(), static_cast<int>(rte_socket_id()), 1023, 0, 0);
    // --no-huge: all memory is on one socket; a pool on socket 7 cannot be made.
    EXPECT_EQ(sp.for_socket(7), p->get());
    EXPECT_EQ(sp.for_socket(7), p->get()) << "tried once, remembered";
    EXPECT_EQ(sp.extra(), 0u);
}

TEST(socket_pools, a_port_takes_rx_mbufs_from_its_sockets_pool) {
    // The socket's pool is not the setup's pool: the RX queue must use it.
    auto local = dpdk::make_pktmbuf_pool("sp_local", 1023, 0, 0);
    ASSERT_TRUE(local.ok());
    dpdk::socket_pools sp(local->get(), static_cast<int>(rte_socket_id()), 1023, 0, 0);
    auto id = net::probe("net_null_numa0");
    ASSERT_TRUE(id.ok()) << id.err().to_string();
    net::port_setup s = one_queue();
    s.pools = &sp;
    ASSERT_TRUE(net::configure_and_start(*id, s).ok());
    rte_mbuf* m[4] = {};
    const uint16_t n = rte_eth_rx_burst(*id, 0, m, 4);
    ASSERT_GT(n, 0u) << "net_null receives endlessly";
    for (uint16_t i = 0; i < n; ++i)
        EXPECT_EQ(m[i]->pool, local->get()) << "an RX mbuf from the port's socket's pool";
    rte_pktmbuf_free_bulk(m, n);
    net::stop_and_close(*id);
}

} // namespace
