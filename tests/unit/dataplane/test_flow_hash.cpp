// Flow hash policies: what each one reads, symmetry, spread (chi-square), and
// Toeplitz against the Microsoft RSS verification suite.
#include "dataplane/flow.hpp"
#include "dataplane/flow_hash.hpp"
#include "frames.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <set>

namespace lag::dp {
namespace {

using namespace lag::dp::test;

constexpr std::array policies{hash_policy::l2, hash_policy::l23, hash_policy::l34, hash_policy::sym_l34};
constexpr std::array algos{hash_algo::crc32, hash_algo::toeplitz};

uint32_t h(hash_policy p, hash_algo a, const frame& f) {
    return hash_function(p, a)(f.data(), static_cast<uint32_t>(f.size()));
}

// A flow described by its fields; to_frame builds it byte by byte.
struct flow {
    mac dst = mac_b, src = mac_a;
    uint16_t vlan = 0; // 0: untagged
    uint16_t inner_vlan = 0;
    bool v6 = false;
    ip6 sip{}, dip{}; // IPv4 in the first 4 bytes
    uint8_t proto = 6;
    uint16_t sport = 0, dport = 0;

    frame to_frame() const {
        std::vector<vlan_tag> tags;
        if (vlan)
            tags.push_back({inner_vlan ? uint16_t{0x88a8} : uint16_t{0x8100}, vlan});
        if (inner_vlan)
            tags.push_back({0x8100, inner_vlan});
        frame l4 = proto == 6 ? tcp(sport, dport) : proto == 17 ? udp(sport, dport) : sctp(sport, dport);
        frame l2 = eth(dst, src, {}, v6 ? 0x86DD : 0x0800);
        l2.resize(12);
        for (auto t : tags) {
            put16(l2, t.tpid);
            put16(l2, t.tci);
        }
        put16(l2, v6 ? 0x86DD : 0x0800);
        if (v6)
            return cat({l2, ipv6(sip, dip, proto, l4.size()), l4});
        ip4 s, d;
        std::memcpy(s.data(), sip.data(), 4);
        std::memcpy(d.data(), dip.data(), 4);
        return cat({l2, ipv4(s, d, proto, l4.size()), l4});
    }
    flow reversed() const {
        flow r = *this;
        std::swap(r.dst, r.src);
        std::swap(r.sip, r.dip);
        std::swap(r.sport, r.dport);
        return r;
    }
};

flow random_flow(std::mt19937& rng) {
    flow f;
    auto byte = [&] { return static_cast<uint8_t>(rng()); };
    for (auto& b : f.dst)
        b = byte();
    for (auto& b : f.src)
        b = byte();
    f.dst[0] &= 0xfe;
    f.src[0] &= 0xfe;
    if (rng() % 2)
        f.vlan = static_cast<uint16_t>(1 + rng() % 4094);
    if (f.vlan && rng() % 4 == 0)
        f.inner_vlan = static_cast<uint16_t>(1 + rng() % 4094);
    f.v6 = rng() % 2;
    for (size_t i = 0; i < (f.v6 ? 16u : 4u); ++i) {
        f.sip[i] = byte();
        f.dip[i] = byte();
    }
    const uint8_t protos[] = {6, 17, 132};
    f.proto = protos[rng() % 3];
    f.sport = static_cast<uint16_t>(rng());
    f.dport = static_cast<uint16_t>(rng());
    return f;
}

flow base_flow() {
    flow f;
    f.vlan = 10;
    f.sip = {10, 1, 2, 3};
    f.dip = {10, 4, 5, 6};
    f.sport = 40000;
    f.dport = 443;
    return f;
}

// ---- what each policy reads ---------------------------------------------------

TEST(flow_hash, l2_reads_macs_and_outer_vlan_only) {
    for (auto a : algos) {
        SCOPED_TRACE(to_string(a));
        const flow b = base_flow();
        const uint32_t base = h(hash_policy::l2, a, b.to_frame());
        flow f = b;
        f.sip[3] = 99;
        f.dport = 80;
        f.proto = 17;
        EXPECT_EQ(h(hash_policy::l2, a, f.to_frame()), base);
        f = b;
        f.inner_vlan = 77; // becomes QinQ with the same outer VID
        EXPECT_EQ(h(hash_policy::l2, a, f.to_frame()), base);
        f = b;
        f.src[5] ^= 1;
        EXPECT_NE(h(hash_policy::l2, a, f.to_frame()), base);
        f = b;
        f.dst[0] ^= 2;
        EXPECT_NE(h(hash_policy::l2, a, f.to_frame()), base);
        f = b;
        f.vlan = 11;
        EXPECT_NE(h(hash_policy::l2, a, f.to_frame()), base);
    }
}

TEST(flow_hash, l23_adds_addresses_not_ports) {
    for (auto a : algos) {
        SCOPED_TRACE(to_string(a));
        const flow b = base_flow();
        const uint32_t base = h(hash_policy::l23, a, b.to_frame());
        EXPECT_NE(base, h(hash_policy::l2, a, b.to_frame()));
        flow f = b;
        f.sport = 1;
        f.proto = 132;
        EXPECT_EQ(h(hash_policy::l23, a, f.to_frame()), base);
        f = b;
        f.dip[0] = 11;
        EXPECT_NE(h(hash_policy::l23, a, f.to_frame()), base);
        f = b;
        f.sip[3] ^= 0x80;
        EXPECT_NE(h(hash_policy::l23, a, f.to_frame()), base);
        f = b;
        f.src[5] ^= 1;
        EXPECT_NE(h(hash_policy::l23, a, f.to_frame()), base);
    }
}

TEST(flow_hash, l34_reads_addresses_ports_and_protocol_not_l2) {
    for (auto a : algos) {
        SCOPED_TRACE(to_string(a));
        for (bool v6 : {false, true}) {
            flow b = base_flow();
            b.v6 = v6;
            const uint32_t base = h(hash_policy::l34, a, b.to_frame());
            flow f = b;
            f.src[1] = 0x33;
            f.dst[2] = 0x44;
            f.vlan = 0;
            EXPECT_EQ(h(hash_policy::l34, a, f.to_frame()), base);
            f = b;
            f.sport ^= 1;
            EXPECT_NE(h(hash_policy::l34, a, f.to_frame()), base);
            f = b;
            f.dport ^= 0x100;
            EXPECT_NE(h(hash_policy::l34, a, f.to_frame()), base);
            f = b;
            f.sip[v6 ? 15 : 3] ^= 1;
            EXPECT_NE(h(hash_policy::l34, a, f.to_frame()), base);
            f = b;
            f.proto = 17;
            // CRC32 hashes the protocol; Toeplitz hashes what RSS does (no protocol).
            if (a == hash_algo::crc32)
                EXPECT_NE(h(hash_policy::l34, a, f.to_frame()), base);
            else
                EXPECT_EQ(h(hash_policy::l34, a, f.to_frame()), base);
        }
    }
}

TEST(flow_hash, sym_l34_is_symmetric_and_l34_is_not) {
    std::mt19937 rng(7);
    for (auto a : algos) {
        SCOPED_TRACE(to_string(a));
        int l34_same = 0;
        std::set<uint32_t> distinct;
        for (int i = 0; i < 5000; ++i) {
            flow f = random_flow(rng);
            if (i % 10 == 0)
                f.dip = f.sip; // same address both ends: ports decide the order
            const frame fwd = f.to_frame();
            const frame rev = f.reversed().to_frame();
            EXPECT_EQ(h(hash_policy::sym_l34, a, fwd), h(hash_policy::sym_l34, a, rev));
            l34_same += h(hash_policy::l34, a, fwd) == h(hash_policy::l34, a, rev);
            distinct.insert(h(hash_policy::sym_l34, a, fwd));
        }
        // A same-address flow with equal ports is its own reverse: allow a few.
        EXPECT_LT(l34_same, 5);
        EXPECT_GT(distinct.size(), 4990u);
    }
}

TEST(flow_hash, crc32_selector_and_key_hash_agree) {
    std::mt19937 rng(11);
    for (int i = 0; i < 1000; ++i) {
        const frame fr = random_flow(rng).to_frame();
        flow_key k;
        parse_flow(fr.data(), static_cast<uint32_t>(fr.size()), k);
        for (auto p : policies) {
            EXPECT_EQ(h(p, hash_algo::crc32, fr), hash_key_crc32(k, p));
            EXPECT_EQ(h(p, hash_algo::crc32, fr),
                      crc32_hash_function(p)(fr.data(), static_cast<uint32_t>(fr.size())));
            EXPECT_EQ(h(p, hash_algo::toeplitz, fr), hash_key_toeplitz(k, p));
        }
    }
}

// ---- spread: chi-square over 256 buckets ------------------------------------------

// Chi-square statistic of `counts` against a uniform expectation.
double chi_square(const std::vector<uint32_t>& counts, double total) {
    const double expected = total / static_cast<double>(counts.size());
    double chi = 0;
    for (uint32_t c : counts)
        chi += (c - expected) * (c - expected) / expected;
    return chi;
}

// With 255 degrees of freedom the statistic has mean 255 and s.d. 22.6; the
// bounds are its 1e-6 and 1 - 1e-6 quantiles (Wilson-Hilferty): a fair hash
// fails them with probability 2e-6, a biased one lands in the thousands.
constexpr double chi_lo = 161.0;
constexpr double chi_hi = 377.0;

// The lower bound applies to random inputs only: over structured inputs (a
// counter in some field) a linear hash such as Toeplitz can be exactly uniform.
void expect_spread(const std::vector<frame>& frames, hash_policy p, hash_algo a,
                   bool random_inputs) {
    std::vector<uint32_t> low(256), high(256);
    for (const frame& f : frames) {
        const uint32_t v = h(p, a, f);
        ++low[v & 0xff];
        ++high[v >> 24];
    }
    const double n = static_cast<double>(frames.size());
    const double chi_low = chi_square(low, n);
    const double chi_high = chi_square(high, n);
    if (random_inputs) {
        EXPECT_GT(chi_low, chi_lo) << to_string(p) << " " << to_string(a) << " low byte";
    }
    EXPECT_LT(chi_low, chi_hi) << to_string(p) << " " << to_string(a) << " low byte";
    if (random_inputs) {
        EXPECT_GT(chi_high, chi_lo) << to_string(p) << " " << to_string(a) << " high byte";
    }
    EXPECT_LT(chi_high, chi_hi) << to_string(p) << " " << to_string(a) << " high byte";
    testing::Test::RecordProperty(std::string(to_string(p)) + "_" + std::string(to_string(a)) + "_chi2_low",
                   std::to_string(chi_low));
}

TEST(flow_hash_spread, random_flows_100k) {
    std::mt19937 rng(2026);
    std::vector<frame> frames;
    frames.reserve(100000);
    for (int i = 0; i < 100000; ++i)
        frames.push_back(random_flow(rng).to_frame());
    for (auto p : policies)
        for (auto a : algos)
            expect_spread(frames, p, a, true);
    // The worker indexes a power-of-two table with the low bits: 1024 buckets.
    // 1023 degrees of freedom: 1e-6 quantiles 822 and 1253.
    for (auto p : policies)
        for (auto a : algos) {
            std::vector<uint32_t> counts(1024);
            for (const frame& f : frames)
                ++counts[h(p, a, f) & 1023];
            const double chi = chi_square(counts, static_cast<double>(frames.size()));
            EXPECT_GT(chi, 822.0) << to_string(p) << " " << to_string(a);
            EXPECT_LT(chi, 1253.0) << to_string(p) << " " << to_string(a);
        }
}

TEST(flow_hash_spread, one_client_many_ports) {
    // One client, one server, only the client port changes (ephemeral range).
    std::vector<frame> frames;
    flow f = base_flow();
    for (uint32_t port = 32768; port < 32768 + 50000; ++port) {
        f.sport = static_cast<uint16_t>(port);
        frames.push_back(f.to_frame());
    }
    for (auto p : {hash_policy::l34, hash_policy::sym_l34})
        for (auto a : algos)
            expect_spread(frames, p, a, false);
}

TEST(flow_hash_spread, sequential_addresses_and_macs) {
    std::vector<frame> frames;
    flow f = base_flow();
    for (uint32_t i = 0; i < 65536; ++i) {
        f.sip[2] = static_cast<uint8_t>(i >> 8);
        f.sip[3] = static_cast<uint8_t>(i);
        f.src[4] = static_cast<uint8_t>(i >> 8);
        f.src[5] = static_cast<uint8_t>(i);
        frames.push_back(f.to_frame());
    }
    for (auto p : policies)
        for (auto a : algos)
            expect_spread(frames, p, a, false);
}

// ---- Toeplitz ---------------------------------------------------------------------------

// Microsoft's RSS verification suite (also the 82599 datasheet's), standard key.
struct rss_v4 {
    ip4 dst, src;
    uint16_t dport, sport;
    uint32_t l3, l4;
};
constexpr rss_v4 rss_v4_vectors[] = {
    {{161, 142, 100, 80}, {66, 9, 149, 187}, 1766, 2794, 0x323e8fc2, 0x51ccc178},
    {{65, 69, 140, 83}, {199, 92, 111, 2}, 4739, 14230, 0xd718262a, 0xc626b0ea},
    {{12, 22, 207, 184}, {24, 19, 198, 95}, 38024, 12898, 0xd2d0a5de, 0x5c2b394a},
    {{209, 142, 163, 6}, {38, 27, 205, 30}, 2217, 48228, 0x82989176, 0xafc7327f},
    {{202, 188, 127, 2}, {153, 39, 163, 191}, 1303, 44251, 0x5d1809c5, 0x10e828a2},
};
struct rss_v6 {
    ip6 dst, src;
    uint16_t dport, sport;
    uint32_t l3, l4;
};
constexpr rss_v6 rss_v6_vectors[] = {
    {{0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0x01},
     {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x07},
     1766, 2794, 0x2cc18cd5, 0x40207d3d},
    {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01},
     {0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0, 0, 0x02, 0x60, 0x97, 0xff, 0xfe, 0x40, 0xef, 0xab},
     4739, 14230, 0x0f0c461c, 0xdde51bbf},
    {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf},
     {0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf},
     38024, 44251, 0x4b61e985, 0x02d1feef},
};

TEST(flow_hash_toeplitz, microsoft_rss_ipv4_vectors) {
    const auto l34 = hash_function(hash_policy::l34, hash_algo::toeplitz);
    for (const auto& v : rss_v4_vectors) {
        for (auto tags : {std::initializer_list<vlan_tag>{}, {{0x8100, 5}}, {{0x88a8, 5}, {0x8100, 6}}}) {
            frame f = ipv4_l4(v.src, v.dst, 6, tcp(v.sport, v.dport), tags, {}, 10);
            EXPECT_EQ(l34(f.data(), static_cast<uint32_t>(f.size())), v.l4);
            frame u = ipv4_l4(v.src, v.dst, 17, udp(v.sport, v.dport), tags);
            EXPECT_EQ(l34(u.data(), static_cast<uint32_t>(u.size())), v.l4);
            frame icmp = ipv4_l4(v.src, v.dst, 1, payload(8), tags);
            EXPECT_EQ(l34(icmp.data(), static_cast<uint32_t>(icmp.size())), v.l3);
        }
    }
}

TEST(flow_hash_toeplitz, microsoft_rss_ipv6_vectors) {
    const auto l34 = hash_function(hash_policy::l34, hash_algo::toeplitz);
    for (const auto& v : rss_v6_vectors) {
        frame f = ipv6_l4(v.src, v.dst, 6, tcp(v.sport, v.dport));
        EXPECT_EQ(l34(f.data(), static_cast<uint32_t>(f.size())), v.l4);
        // Through an extension header chain the input is the same.
        frame ext = cat({ipv6_opts(60), ipv6_opts(6)});
        frame l4 = tcp(v.sport, v.dport);
        frame g = cat({eth(mac_b, mac_a, {}, 0x86DD), ipv6(v.src, v.dst, 0, ext.size() + l4.size()), ext, l4});
        EXPECT_EQ(l34(g.data(), static_cast<uint32_t>(g.size())), v.l4);
        frame icmp6 = ipv6_l4(v.src, v.dst, 58, payload(8));
        EXPECT_EQ(l34(icmp6.data(), static_cast<uint32_t>(icmp6.size())), v.l3);
    }
}

// Bit-by-bit Toeplitz from its definition: for every set bit i of the input
// (most significant first), XOR in the 32 key bits starting at bit i.
uint32_t toeplitz_reference(const std::vector<uint8_t>& in, std::span<const uint8_t> key) {
    auto key_bit = [&](size_t i) { return (key[i / 8] >> (7 - i % 8)) & 1u; };
    uint32_t r = 0;
    for (size_t i = 0; i < in.size() * 8; ++i) {
        if (!((in[i / 8] >> (7 - i % 8)) & 1))
            continue;
        uint32_t window = 0;
        for (size_t j = 0; j < 32; ++j)
            window = window << 1 | key_bit(i + j);
        r ^= window;
    }
    return r;
}

TEST(flow_hash_toeplitz, long_inputs_match_the_definition) {
    // l2 input: dst MAC, src MAC, outer VID (16 bits), 16 zero bits; l23 adds
    // src and dst addresses (48 bytes for IPv6: the key's 12 extra bytes).
    std::mt19937 rng(5);
    for (int i = 0; i < 300; ++i) {
        const flow f = random_flow(rng);
        const frame fr = f.to_frame();
        std::vector<uint8_t> in(f.dst.begin(), f.dst.end());
        in.insert(in.end(), f.src.begin(), f.src.end());
        in.push_back(static_cast<uint8_t>(f.vlan >> 8));
        in.push_back(static_cast<uint8_t>(f.vlan));
        in.push_back(0);
        in.push_back(0);
        EXPECT_EQ(h(hash_policy::l2, hash_algo::toeplitz, fr), toeplitz_reference(in, rss_key));
        const size_t n = f.v6 ? 16 : 4;
        in.insert(in.end(), f.sip.begin(), f.sip.begin() + static_cast<long>(n));
        in.insert(in.end(), f.dip.begin(), f.dip.begin() + static_cast<long>(n));
        EXPECT_EQ(h(hash_policy::l23, hash_algo::toeplitz, fr), toeplitz_reference(in, rss_key));
    }
}

} // namespace
} // namespace lag::dp
