// Flow parse and hash on real frames.
#include "dataplane/flow.hpp"
#include "dataplane/flow_hash.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace lag::dp {
namespace {

std::vector<uint8_t> ipv4_tcp_frame() {
    return {
        0x02, 0, 0, 0, 0, 0x02,  0x02, 0, 0, 0, 0, 0x01,  0x08, 0x00, // Ethernet
        0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0,                  // IPv4, TCP
        10, 0, 0, 1,  10, 0, 0, 2,
        0x30, 0x39, 0x00, 0x50,  0, 0, 0, 0,  0, 0, 0, 0,  0x50, 0x02, 0x20, 0, 0, 0, 0, 0,
    };
}

TEST(flow, parses_ipv4_tcp) {
    auto f = ipv4_tcp_frame();
    flow_key k;
    ASSERT_EQ(parse_flow(f.data(), static_cast<uint32_t>(f.size()), k), parse_status::ok);
    EXPECT_EQ(k.ether_type, 0x0800);
    EXPECT_EQ(k.l3, 4);
    EXPECT_EQ(k.l4_proto, 6);
    EXPECT_EQ(k.src_port, 12345);
    EXPECT_EQ(k.dst_port, 80);
    EXPECT_EQ(k.src_ip[3], 1);
    EXPECT_EQ(k.dst_ip[3], 2);
    EXPECT_FALSE(k.fragment);
}

TEST(flow, hash_function_matches_key_hash) {
    auto f = ipv4_tcp_frame();
    flow_key k;
    parse_flow(f.data(), static_cast<uint32_t>(f.size()), k);
    for (auto p : {hash_policy::l2, hash_policy::l23, hash_policy::l34, hash_policy::sym_l34})
        EXPECT_EQ(hash_function(p)(f.data(), static_cast<uint32_t>(f.size())), hash_key_crc32(k, p));
}

} // namespace
} // namespace lag::dp

namespace lag::dp {
namespace {

TEST(flow, toeplitz_matches_microsoft_rss_vector) {
    // 66.9.149.187:2794 -> 161.142.100.80:1766, TCP. RSS: 0x51ccc178 (with
    // ports), 0x323e8fc2 (addresses only).
    std::vector<uint8_t> f = {
        0x02, 0, 0, 0, 0, 0x02,  0x02, 0, 0, 0, 0, 0x01,  0x08, 0x00,
        0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0,
        66, 9, 149, 187,  161, 142, 100, 80,
        0x0a, 0xea, 0x06, 0xe6,  0, 0, 0, 0,  0, 0, 0, 0,  0x50, 0x02, 0x20, 0, 0, 0, 0, 0,
    };
    const auto n = static_cast<uint32_t>(f.size());
    EXPECT_EQ(hash_function(hash_policy::l34, hash_algo::toeplitz)(f.data(), n), 0x51ccc178u);
    f[20] = 0x20; // MF: a first fragment hashes on addresses only
    EXPECT_EQ(hash_function(hash_policy::l34, hash_algo::toeplitz)(f.data(), n), 0x323e8fc2u);
}

} // namespace
} // namespace lag::dp
