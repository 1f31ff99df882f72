// The benchmark's traffic must be what it claims: well-formed frames of many
// flows, IPv4 and IPv6, TCP and UDP, some VLAN-tagged, 64..1518 bytes on the
// wire, with valid checksums, the ingress frames the exact reverse of their
// flows, and the same frames for the same seed.
#include "traffic.hpp"

#include "dataplane/flow.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <set>

namespace lag::bench {
namespace {

uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n & 1) acc += static_cast<uint32_t>(p[n - 1] << 8);
    return acc;
}
uint16_t fold(uint32_t acc) {
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<uint16_t>(acc);
}

// Verifies the IPv4 header checksum and the TCP/UDP checksum of a frame.
void expect_checksums(const frame& f, const dp::flow_key& k, size_t l3) {
    size_t l4 = 0;
    uint32_t acc = 0;
    const uint8_t* p = f.data();
    if (k.l3 == 4) {
        EXPECT_EQ(fold(sum16(p + l3, 20)), 0xffff) << "IPv4 header checksum";
        l4 = l3 + 20;
        const size_t l4_len = f.size() - l4;
        acc = sum16(p + l3 + 12, 8) + static_cast<uint32_t>(l4_len);
    } else {
        l4 = l3 + 40;
        const size_t l4_len = f.size() - l4;
        acc = sum16(p + l3 + 8, 32) + static_cast<uint32_t>(l4_len);
    }
    acc += k.l4_proto;
    acc = sum16(p + l4, f.size() - l4, acc);
    EXPECT_EQ(fold(acc), 0xffff) << "L4 checksum, proto " << int(k.l4_proto);
}

TEST(bench_traffic, frames_parse_as_their_flows_with_valid_checksums) {
    traffic_config cfg;
    cfg.flows = 512;
    cfg.frames = 4096;
    const traffic t = make_traffic(cfg);
    ASSERT_EQ(t.egress.size(), cfg.frames);
    ASSERT_EQ(t.ingress.size(), cfg.frames);
    ASSERT_EQ(t.flows.size(), cfg.flows);

    std::set<uint32_t> flows_seen;
    std::set<size_t> wire_sizes;
    for (size_t i = 0; i < t.egress.size(); ++i) {
        const flow_tuple& fl = t.flows[t.egress_flow[i]];
        flows_seen.insert(t.egress_flow[i]);
        const frame& e = t.egress[i];
        wire_sizes.insert(e.size() + 4);
        ASSERT_GE(e.size() + 4, 64u);
        ASSERT_LE(e.size() + 4, 1518u);

        dp::flow_key k{};
        ASSERT_EQ(dp::parse_flow(e.data(), static_cast<uint32_t>(e.size()), k), dp::parse_status::ok) << i;
        EXPECT_EQ(k.l3, fl.ipv6 ? 6 : 4);
        EXPECT_EQ(k.l4_proto, fl.udp ? 17 : 6);
        EXPECT_EQ(k.outer_vlan, fl.vlan);
        EXPECT_FALSE(k.fragment);
        EXPECT_EQ(k.src_port, fl.src_port);
        EXPECT_EQ(k.dst_port, fl.dst_port);
        EXPECT_EQ(std::memcmp(k.src_ip, fl.src_ip, fl.ipv6 ? 16 : 4), 0);
        EXPECT_EQ(std::memcmp(k.dst_ip, fl.dst_ip, fl.ipv6 ? 16 : 4), 0);
        EXPECT_EQ(std::memcmp(k.dst_mac, partner_mac, 6), 0);
        EXPECT_EQ(std::memcmp(k.src_mac, fl.host_mac, 6), 0);
        expect_checksums(e, k, fl.vlan ? 18 : 14);

        // The ingress frame is the same flow, reversed, of the ingress length.
        const frame& in = t.ingress[i];
        EXPECT_EQ(in.size(), cfg.ingress_len);
        dp::flow_key r{};
        ASSERT_EQ(dp::parse_flow(in.data(), static_cast<uint32_t>(in.size()), r), dp::parse_status::ok) << i;
        EXPECT_EQ(r.src_port, fl.dst_port);
        EXPECT_EQ(r.dst_port, fl.src_port);
        EXPECT_EQ(std::memcmp(r.src_ip, fl.dst_ip, fl.ipv6 ? 16 : 4), 0);
        EXPECT_EQ(std::memcmp(r.dst_mac, fl.host_mac, 6), 0);
        expect_checksums(in, r, fl.vlan ? 18 : 14);
    }
    EXPECT_EQ(flows_seen.size(), cfg.flows) << "every flow is sent";
    for (const auto& s : egress_size_mix) {
        // Sizes too small for a flow's headers are raised, so look for the
        // sizes the headers always fit in.
        if (s.wire_size >= 128) {
            EXPECT_TRUE(wire_sizes.count(s.wire_size)) << s.wire_size;
        }
    }
    EXPECT_TRUE(wire_sizes.count(64)) << "minimum-size frames";
    EXPECT_TRUE(wire_sizes.count(1518)) << "full-size frames";
}

TEST(bench_traffic, mix_has_every_kind) {
    const traffic t = make_traffic(traffic_config{});
    const double n = static_cast<double>(t.egress.size());
    EXPECT_EQ(t.ipv4_frames + t.ipv6_frames, t.egress.size());
    EXPECT_EQ(t.tcp_frames + t.udp_frames, t.egress.size());
    // Shares within a few points of the configured percentages.
    EXPECT_NEAR(100.0 * t.ipv6_frames / n, 30, 6);
    EXPECT_NEAR(100.0 * t.udp_frames / n, 25, 6);
    EXPECT_NEAR(100.0 * t.vlan_frames / n, 12, 5);
    EXPECT_GT(t.mean_wire_size(), 64.0);
    EXPECT_LT(t.mean_wire_size(), 1518.0);
}

// The bench matrix's fixed-size cells: every egress frame exactly that long
// on the wire; at 64 octets only IPv4 flows fit (an IPv6 header is 40).
TEST(bench_traffic, fixed_wire_size) {
    for (uint16_t size : {64, 512, 1518}) {
        traffic_config cfg;
        cfg.frames = 1024;
        cfg.wire_size = size;
        cfg.ipv6_percent = size < 100 ? 0 : 30;
        cfg.ingress_len = static_cast<uint16_t>(size - 4);
        const traffic t = make_traffic(cfg);
        ASSERT_EQ(t.egress.size(), cfg.frames);
        EXPECT_EQ(t.min_len + 4, size);
        EXPECT_EQ(t.max_len + 4, size);
        EXPECT_DOUBLE_EQ(t.mean_wire_size(), size);
        for (const auto& in : t.ingress)
            ASSERT_EQ(in.size() + 4, size);
        if (size == 512) {
            EXPECT_GT(t.ipv6_frames, 0u);
        }
    }
}

TEST(bench_traffic, deterministic_per_seed) {
    traffic_config cfg;
    cfg.frames = 1024;
    const traffic a = make_traffic(cfg);
    const traffic b = make_traffic(cfg);
    EXPECT_EQ(a.egress, b.egress);
    EXPECT_EQ(a.ingress, b.ingress);
    cfg.seed = 2;
    const traffic c = make_traffic(cfg);
    EXPECT_NE(a.egress, c.egress);
}

} // namespace
} // namespace lag::bench
