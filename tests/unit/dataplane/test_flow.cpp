// Flow parser on real frames built byte by byte: every layer, every
// truncation point, malformed headers.
#include "dataplane/flow.hpp"
#include "dataplane/flow_hash.hpp"
#include "frames.hpp"
#include "common/bytes.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <ostream>
#include <string>

namespace lag::dp {

// gtest prints statuses by name.
void PrintTo(parse_status s, std::ostream* os) {
    *os << to_string(s);
}

namespace {

using namespace lag::dp::test;

constexpr ip4 ip4_a{10, 0, 0, 1};
constexpr ip4 ip4_b{192, 168, 7, 200};
constexpr ip6 ip6_a{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr ip6 ip6_b{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0xca, 0xfe, 0, 2};

uint32_t len_of(const frame& f) {
    return static_cast<uint32_t>(f.size());
}

flow_key parse_ok(const frame& f, parse_status expect = parse_status::ok) {
    flow_key k;
    EXPECT_EQ(parse_flow(f.data(), len_of(f), k), expect);
    return k;
}

bool ip_eq(const uint8_t* got, std::span<const uint8_t> want) {
    return std::memcmp(got, want.data(), want.size()) == 0;
}

// ---- one case per layer ---------------------------------------------------

TEST(flow_parse, untagged_ipv4_tcp) {
    auto k = parse_ok(ipv4_l4(ip4_a, ip4_b, 6, tcp(12345, 80), {}, {}, 100));
    EXPECT_EQ(std::memcmp(k.dst_mac, mac_b.data(), 6), 0);
    EXPECT_EQ(std::memcmp(k.src_mac, mac_a.data(), 6), 0);
    EXPECT_EQ(k.outer_vlan, 0);
    EXPECT_EQ(k.ether_type, 0x0800);
    EXPECT_EQ(k.l3, 4);
    EXPECT_EQ(k.l4_proto, 6);
    EXPECT_FALSE(k.fragment);
    EXPECT_TRUE(ip_eq(k.src_ip, ip4_a));
    EXPECT_TRUE(ip_eq(k.dst_ip, ip4_b));
    EXPECT_EQ(k.src_port, 12345);
    EXPECT_EQ(k.dst_port, 80);
    // The rest of the address fields stay zero for IPv4.
    for (int i = 4; i < 16; ++i)
        EXPECT_EQ(k.src_ip[i] | k.dst_ip[i], 0);
}

TEST(flow_parse, vlan_8021q_takes_vid_without_priority) {
    auto k = parse_ok(ipv4_l4(ip4_a, ip4_b, 17, udp(53, 5353), {{0x8100, 0xe064}}));
    EXPECT_EQ(k.outer_vlan, 100); // PCP 7, DEI 0, VID 100
    EXPECT_EQ(k.ether_type, 0x0800);
    EXPECT_EQ(k.l4_proto, 17);
    EXPECT_EQ(k.src_port, 53);
    EXPECT_EQ(k.dst_port, 5353);
}

TEST(flow_parse, qinq_outer_vid_and_inner_ethertype) {
    auto k = parse_ok(ipv6_l4(ip6_a, ip6_b, 6, tcp(40000, 443), {{0x88a8, 200}, {0x8100, 300}}));
    EXPECT_EQ(k.outer_vlan, 200);
    EXPECT_EQ(k.ether_type, 0x86DD);
    EXPECT_EQ(k.l3, 6);
    EXPECT_TRUE(ip_eq(k.src_ip, ip6_a));
    EXPECT_TRUE(ip_eq(k.dst_ip, ip6_b));
    EXPECT_EQ(k.src_port, 40000);
    EXPECT_EQ(k.dst_port, 443);
}

TEST(flow_parse, old_qinq_tpid_9100) {
    auto k = parse_ok(ipv4_l4(ip4_a, ip4_b, 6, tcp(1, 2), {{0x9100, 7}, {0x8100, 8}}));
    EXPECT_EQ(k.outer_vlan, 7);
    EXPECT_EQ(k.src_port, 1);
}

TEST(flow_parse, ipv4_with_options) {
    // Record Route (7) with room for 2 addresses, then NOP: IHL 8.
    frame opts{7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    auto f = ipv4_l4(ip4_a, ip4_b, 17, udp(1000, 2000), {}, opts);
    EXPECT_EQ(f[14] & 0x0f, 8);
    auto k = parse_ok(f);
    EXPECT_EQ(k.src_port, 1000);
    EXPECT_EQ(k.dst_port, 2000);
}

TEST(flow_parse, ipv4_max_ihl) {
    frame opts(40, 1); // 40 bytes of NOP: IHL 15
    auto k = parse_ok(ipv4_l4(ip4_a, ip4_b, 132, sctp(7, 9), {}, opts));
    EXPECT_EQ(k.l4_proto, 132);
    EXPECT_EQ(k.src_port, 7);
    EXPECT_EQ(k.dst_port, 9);
}

TEST(flow_parse, ipv4_sctp_and_udp) {
    auto k = parse_ok(ipv4_l4(ip4_a, ip4_b, 132, sctp(2905, 2906)));
    EXPECT_EQ(k.src_port, 2905);
    EXPECT_EQ(k.dst_port, 2906);
    k = parse_ok(ipv4_l4(ip4_a, ip4_b, 17, udp(4789, 4790, 50), {}, {}, 50));
    EXPECT_EQ(k.src_port, 4789);
}

TEST(flow_parse, ipv4_other_protocols_have_no_ports) {
    frame icmp{8, 0, 0, 0, 0, 1, 0, 1};
    auto k = parse_ok(ipv4_l4(ip4_a, ip4_b, 1, icmp));
    EXPECT_EQ(k.l4_proto, 1);
    EXPECT_EQ(k.src_port, 0);
    EXPECT_EQ(k.dst_port, 0);
}

TEST(flow_parse, ipv4_padding_after_total_length_is_ignored) {
    // 42-byte UDP frame padded to the 60-byte minimum: ports come from the
    // datagram; a datagram whose total length ends inside the UDP header is
    // truncated even though padding follows.
    auto f = ipv4_l4(ip4_a, ip4_b, 17, udp(5, 6));
    f.resize(60, 0);
    auto k = parse_ok(f);
    EXPECT_EQ(k.src_port, 5);
    f[16] = 0;
    f[17] = 24; // total length: IP header + 4 bytes
    k = parse_ok(f, parse_status::truncated);
    EXPECT_EQ(k.src_port, 5);
    EXPECT_EQ(k.dst_port, 6);
    f[17] = 22; // only 2 bytes of UDP: no ports
    k = parse_ok(f, parse_status::truncated);
    EXPECT_EQ(k.l3, 4);
    EXPECT_EQ(k.src_port, 0);
}

TEST(flow_parse, ipv4_first_and_later_fragments_have_no_ports) {
    // First fragment: MF set, offset 0, carries the TCP header.
    auto first = cat({eth(mac_b, mac_a, {}, 0x0800), ipv4(ip4_a, ip4_b, 6, 1480, 0x2000),
                      tcp(12345, 80), payload(1460)});
    auto k = parse_ok(first);
    EXPECT_TRUE(k.fragment);
    EXPECT_EQ(k.l4_proto, 6);
    EXPECT_EQ(k.src_port, 0);
    EXPECT_EQ(k.dst_port, 0);
    // Middle fragment: MF, offset 185 (1480 bytes); its payload looks like ports.
    auto middle = cat({eth(mac_b, mac_a, {}, 0x0800), ipv4(ip4_a, ip4_b, 6, 1480, 0x2000 | 185),
                       tcp(999, 998), payload(1460)});
    k = parse_ok(middle);
    EXPECT_TRUE(k.fragment);
    EXPECT_EQ(k.src_port, 0);
    // Last fragment: no MF, offset 370.
    auto last = cat({eth(mac_b, mac_a, {}, 0x0800), ipv4(ip4_a, ip4_b, 6, 100, 370),
                     payload(100, 0x77)});
    k = parse_ok(last);
    EXPECT_TRUE(k.fragment);
    EXPECT_EQ(k.src_port, 0);
    // DF alone is not a fragment.
    k = parse_ok(ipv4_l4(ip4_a, ip4_b, 6, tcp(1, 2)));
    EXPECT_FALSE(k.fragment);
    auto df = cat({eth(mac_b, mac_a, {}, 0x0800), ipv4(ip4_a, ip4_b, 6, 20, 0x4000), tcp(1, 2)});
    k = parse_ok(df);
    EXPECT_FALSE(k.fragment);
    EXPECT_EQ(k.src_port, 1);

    // Every fragment of the datagram hashes alike, under every policy and algo.
    for (auto p : {hash_policy::l2, hash_policy::l23, hash_policy::l34, hash_policy::sym_l34})
        for (auto a : {hash_algo::crc32, hash_algo::toeplitz}) {
            auto h = hash_function(p, a);
            EXPECT_EQ(h(first.data(), len_of(first)), h(middle.data(), len_of(middle)))
                << to_string(p) << " " << to_string(a);
            EXPECT_EQ(h(first.data(), len_of(first)), h(last.data(), len_of(last)))
                << to_string(p) << " " << to_string(a);
        }
}

TEST(flow_parse, ipv6_udp_and_sctp) {
    auto k = parse_ok(ipv6_l4(ip6_a, ip6_b, 17, udp(546, 547, 10), {}, 10));
    EXPECT_EQ(k.l4_proto, 17);
    EXPECT_EQ(k.src_port, 546);
    EXPECT_EQ(k.dst_port, 547);
    k = parse_ok(ipv6_l4(ip6_a, ip6_b, 132, sctp(36412, 36412)));
    EXPECT_EQ(k.l4_proto, 132);
    EXPECT_EQ(k.src_port, 36412);
}

TEST(flow_parse, ipv6_extension_header_chain) {
    // Hop-by-hop -> routing -> destination options -> TCP.
    frame ext = cat({ipv6_opts(43, 1), ipv6_routing(60), ipv6_opts(6)});
    frame l4 = tcp(5000, 22);
    auto f = cat({eth(mac_b, mac_a, {}, 0x86DD), ipv6(ip6_a, ip6_b, 0, ext.size() + l4.size()), ext, l4});
    auto k = parse_ok(f);
    EXPECT_EQ(k.l3, 6);
    EXPECT_EQ(k.l4_proto, 6);
    EXPECT_FALSE(k.fragment);
    EXPECT_EQ(k.src_port, 5000);
    EXPECT_EQ(k.dst_port, 22);
}

TEST(flow_parse, ipv6_authentication_header) {
    frame ext = cat({ipv6_opts(51), ah(17)});
    frame l4 = udp(500, 4500);
    auto f = cat({eth(mac_b, mac_a, {}, 0x86DD), ipv6(ip6_a, ip6_b, 0, ext.size() + l4.size()), ext, l4});
    auto k = parse_ok(f);
    EXPECT_EQ(k.l4_proto, 17);
    EXPECT_EQ(k.src_port, 500);
    EXPECT_EQ(k.dst_port, 4500);
}

TEST(flow_parse, ipv6_esp_and_no_next_header_stop) {
    frame esp{0, 0, 1, 0, 0, 0, 0, 1, 0xaa, 0xbb};
    auto k = parse_ok(ipv6_l4(ip6_a, ip6_b, 50, esp));
    EXPECT_EQ(k.l4_proto, 50);
    EXPECT_EQ(k.src_port, 0);
    k = parse_ok(ipv6_l4(ip6_a, ip6_b, 59, {}));
    EXPECT_EQ(k.l4_proto, 59);
}

frame ipv6_fragment(uint16_t offset8, bool more, const frame& rest, uint8_t nh = 6) {
    frame ext = cat({ipv6_opts(44), ipv6_frag(nh, offset8, more)});
    return cat({eth(mac_b, mac_a, {{0x8100, 5}}, 0x86DD),
                ipv6(ip6_a, ip6_b, 0, ext.size() + rest.size()), ext, rest});
}

TEST(flow_parse, ipv6_fragments_hash_on_l3) {
    auto first = ipv6_fragment(0, true, cat({tcp(33000, 443), payload(1000)}));
    auto later = ipv6_fragment(127, true, payload(1016, 0x11));
    auto last = ipv6_fragment(254, false, payload(300, 0x22));
    for (const frame* f : {&first, &later, &last}) {
        auto k = parse_ok(*f);
        EXPECT_TRUE(k.fragment);
        EXPECT_EQ(k.l4_proto, 6);
        EXPECT_EQ(k.src_port, 0);
        EXPECT_EQ(k.dst_port, 0);
        EXPECT_EQ(k.outer_vlan, 5);
    }
    for (auto p : {hash_policy::l2, hash_policy::l23, hash_policy::l34, hash_policy::sym_l34})
        for (auto a : {hash_algo::crc32, hash_algo::toeplitz}) {
            auto h = hash_function(p, a);
            EXPECT_EQ(h(first.data(), len_of(first)), h(later.data(), len_of(later)));
            EXPECT_EQ(h(first.data(), len_of(first)), h(last.data(), len_of(last)));
        }
}

TEST(flow_parse, ipv6_atomic_fragment_is_not_a_fragment) {
    auto f = ipv6_fragment(0, false, tcp(1234, 4321));
    auto k = parse_ok(f);
    EXPECT_FALSE(k.fragment);
    EXPECT_EQ(k.src_port, 1234);
    EXPECT_EQ(k.dst_port, 4321);
}

TEST(flow_parse, ipv6_fragment_then_destination_options) {
    // Destination options in the fragmentable part: l4_proto is the fragment
    // header's next header (60) in every fragment.
    auto first = ipv6_fragment(0, true, cat({ipv6_opts(17), udp(1, 2), payload(64)}), 60);
    auto k = parse_ok(first);
    EXPECT_TRUE(k.fragment);
    EXPECT_EQ(k.l4_proto, 60);
}

constexpr mac broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr mac slow_protocols{0x01, 0x80, 0xc2, 0x00, 0x00, 0x02};

TEST(flow_parse, non_ip_frames_stop_at_l2) {
    auto arp = cat({eth(broadcast, mac_a, {{0x8100, 12}}, 0x0806), payload(28)});
    auto k = parse_ok(arp, parse_status::unsupported_l3);
    EXPECT_EQ(k.ether_type, 0x0806);
    EXPECT_EQ(k.outer_vlan, 12);
    EXPECT_EQ(k.l3, 0);
    EXPECT_EQ(std::memcmp(k.dst_mac, broadcast.data(), 6), 0);
    auto lacp = cat({eth(slow_protocols, mac_a, {}, ether_type_slow), payload(110, 1)});
    k = parse_ok(lacp, parse_status::unsupported_l3);
    EXPECT_EQ(k.ether_type, ether_type_slow);
    // l34 of a non-IP frame is its l2 hash.
    for (auto a : {hash_algo::crc32, hash_algo::toeplitz})
        EXPECT_EQ(hash_function(hash_policy::l34, a)(arp.data(), len_of(arp)),
                  hash_function(hash_policy::l2, a)(arp.data(), len_of(arp)));
}

TEST(flow_parse, bad_ip_headers_fall_back_to_l2) {
    auto good = ipv4_l4(ip4_a, ip4_b, 6, tcp(1, 2));
    auto bad_version = good;
    bad_version[14] = 0x55;
    auto bad_ihl = good;
    bad_ihl[14] = 0x44;
    auto bad_total = good;
    bad_total[16] = 0;
    bad_total[17] = 19; // shorter than the header
    for (const frame* f : {&bad_version, &bad_ihl, &bad_total}) {
        auto k = parse_ok(*f, parse_status::bad_header);
        EXPECT_EQ(k.l3, 0);
        EXPECT_EQ(k.ether_type, 0x0800);
        EXPECT_EQ(hash_function(hash_policy::l34)(f->data(), len_of(*f)),
                  hash_function(hash_policy::l2)(f->data(), len_of(*f)));
    }
    auto v6 = ipv6_l4(ip6_a, ip6_b, 6, tcp(1, 2));
    v6[14] = 0x40;
    auto k = parse_ok(v6, parse_status::bad_header);
    EXPECT_EQ(k.l3, 0);
    // IPv4 in an IPv6 EtherType and the reverse are bad headers too.
    auto swapped = good;
    swapped[12] = 0x86;
    swapped[13] = 0xdd;
    parse_ok(swapped, parse_status::bad_header);
    swapped.resize(14 + 39);
    parse_ok(swapped, parse_status::truncated); // 40 bytes needed, 39 there
}

TEST(flow_parse, ipv4_total_length_zero_uses_the_frame) {
    auto f = ipv4_l4(ip4_a, ip4_b, 6, tcp(7, 8));
    f[16] = f[17] = 0;
    auto k = parse_ok(f);
    EXPECT_EQ(k.src_port, 7);
}

TEST(flow_parse, ipv6_payload_length_bounds_the_headers) {
    // Payload length says 8 bytes (the hop-by-hop header only) though a TCP
    // header follows in the frame: the parse stops at the datagram's end.
    frame ext = ipv6_opts(6);
    auto f = cat({eth(mac_b, mac_a, {}, 0x86DD), ipv6(ip6_a, ip6_b, 0, ext.size()), ext, tcp(1, 2)});
    auto k = parse_ok(f, parse_status::truncated);
    EXPECT_EQ(k.l4_proto, 6);
    EXPECT_EQ(k.src_port, 0);
}

TEST(flow_parse, deep_vlan_stack) {
    auto f = ipv4_l4(ip4_a, ip4_b, 6, tcp(1, 2), {{0x88a8, 1}, {0x8100, 2}, {0x8100, 3}, {0x8100, 4}});
    auto k = parse_ok(f);
    EXPECT_EQ(k.outer_vlan, 1);
    EXPECT_EQ(k.src_port, 1);
    // A frame that is nothing but VLAN tags ends truncated.
    frame tags = eth(mac_b, mac_a, {}, 0x8100);
    for (int i = 0; i < 30; ++i) {
        put16(tags, 0x0001);
        put16(tags, 0x8100);
    }
    k = parse_ok(tags, parse_status::truncated);
    EXPECT_EQ(k.outer_vlan, 1);
}

TEST(flow_parse, outer_ether_type) {
    auto lacp = cat({eth(slow_protocols, mac_a, {}, ether_type_slow), payload(110, 1)});
    EXPECT_EQ(outer_ether_type(lacp.data(), len_of(lacp)), ether_type_slow);
    auto tagged = cat({eth(mac_b, mac_a, {{0x88a8, 1}, {0x8100, 2}}, ether_type_eapol), payload(50)});
    EXPECT_EQ(outer_ether_type(tagged.data(), len_of(tagged)), 0x88a8);
    EXPECT_EQ(outer_ether_type(tagged.data(), len_of(tagged), true), ether_type_eapol);
    EXPECT_EQ(outer_ether_type(tagged.data(), 13), 0);
    EXPECT_EQ(outer_ether_type(tagged.data(), 14), 0x88a8);
    EXPECT_EQ(outer_ether_type(tagged.data(), 21, true), 0);
    EXPECT_EQ(outer_ether_type(tagged.data(), 22, true), ether_type_eapol);
    EXPECT_EQ(outer_ether_type(nullptr, 0), 0);
}

TEST(flow_names, round_trip) {
    for (auto p : {hash_policy::l2, hash_policy::l23, hash_policy::l34, hash_policy::sym_l34})
        EXPECT_EQ(parse_hash_policy(to_string(p)), p);
    EXPECT_EQ(to_string(hash_policy::sym_l34), "sym-l34");
    EXPECT_FALSE(parse_hash_policy("l3"));
    EXPECT_FALSE(parse_hash_policy(""));
    EXPECT_FALSE(parse_hash_policy("L2"));
    for (auto a : {hash_algo::crc32, hash_algo::toeplitz})
        EXPECT_EQ(parse_hash_algo(to_string(a)), a);
    EXPECT_FALSE(parse_hash_algo("xor"));
    EXPECT_EQ(to_string(parse_status::bad_header), "bad_header");
}

// ---- every truncation point of every frame ---------------------------------

struct truncation_case {
    std::string name;
    frame f;
    uint32_t header_len; // the parse is complete from this length on
};

std::vector<truncation_case> truncation_cases() {
    std::vector<truncation_case> c;
    frame rr{7, 7, 4, 0, 0, 0, 0};
    c.push_back({"ipv4_tcp", ipv4_l4(ip4_a, ip4_b, 6, tcp(1, 2), {}, {}, 30), 14 + 20 + 20});
    c.push_back({"vlan_ipv4_udp", ipv4_l4(ip4_a, ip4_b, 17, udp(1, 2, 9), {{0x8100, 9}}, {}, 9),
                 18 + 20 + 8});
    c.push_back({"qinq_ipv4_opts_sctp",
                 ipv4_l4(ip4_a, ip4_b, 132, sctp(1, 2), {{0x88a8, 1}, {0x8100, 2}}, rr, 4),
                 22 + 28 + 12});
    c.push_back({"ipv4_icmp", ipv4_l4(ip4_a, ip4_b, 1, payload(8)), 14 + 20});
    c.push_back({"ipv4_first_fragment",
                 cat({eth(mac_b, mac_a, {}, 0x0800), ipv4(ip4_a, ip4_b, 17, 48, 0x2000), udp(9, 9, 40),
                      payload(40)}),
                 14 + 20});
    c.push_back({"ipv4_later_fragment",
                 cat({eth(mac_b, mac_a, {}, 0x0800), ipv4(ip4_a, ip4_b, 17, 40, 6), payload(40)}),
                 14 + 20});
    c.push_back({"ipv6_tcp", ipv6_l4(ip6_a, ip6_b, 6, tcp(1, 2), {}, 20), 14 + 40 + 20});
    c.push_back({"qinq_ipv6_udp", ipv6_l4(ip6_a, ip6_b, 17, udp(1, 2), {{0x88a8, 1}, {0x8100, 2}}),
                 22 + 40 + 8});
    {
        frame ext = cat({ipv6_opts(43, 1), ipv6_routing(60), ipv6_opts(51), ah(132)});
        frame l4 = sctp(3, 4);
        c.push_back({"ipv6_ext_chain_sctp",
                     cat({eth(mac_b, mac_a, {}, 0x86DD), ipv6(ip6_a, ip6_b, 0, ext.size() + l4.size() + 16),
                          ext, l4, payload(16)}),
                     static_cast<uint32_t>(14 + 40 + ext.size() + 12)});
    }
    {
        auto first = ipv6_fragment(0, true, cat({tcp(33000, 443), payload(10)}));
        c.push_back({"ipv6_first_fragment", first, 18 + 40 + 8 + 8});
        c.push_back({"ipv6_later_fragment", ipv6_fragment(100, false, payload(30)), 18 + 40 + 8 + 8});
        c.push_back({"ipv6_atomic_fragment_tcp", ipv6_fragment(0, false, tcp(1, 2)),
                     18 + 40 + 8 + 8 + 20});
    }
    c.push_back({"arp", cat({eth(broadcast, mac_a, {{0x8100, 3}}, 0x0806), payload(28)}), 18});
    return c;
}

// Same fields as the complete parse, or zero where the prefix did not reach.
void expect_prefix_of(const flow_key& part, const flow_key& full, uint32_t n) {
    auto bytes_ok = [](const uint8_t* p, const uint8_t* f, size_t len) {
        bool all_zero = true;
        for (size_t i = 0; i < len; ++i)
            all_zero &= p[i] == 0;
        return all_zero || std::memcmp(p, f, len) == 0;
    };
    EXPECT_TRUE(bytes_ok(part.dst_mac, full.dst_mac, 6)) << n;
    EXPECT_TRUE(bytes_ok(part.src_mac, full.src_mac, 6)) << n;
    EXPECT_TRUE(part.outer_vlan == 0 || part.outer_vlan == full.outer_vlan) << n;
    EXPECT_TRUE(part.l3 == 0 || part.l3 == full.l3) << n;
    EXPECT_TRUE(part.l4_proto == 0 || part.l4_proto == full.l4_proto) << n;
    EXPECT_TRUE(!part.fragment || full.fragment) << n;
    EXPECT_TRUE(bytes_ok(part.src_ip, full.src_ip, 16)) << n;
    EXPECT_TRUE(bytes_ok(part.dst_ip, full.dst_ip, 16)) << n;
    EXPECT_TRUE(part.src_port == 0 || part.src_port == full.src_port) << n;
    EXPECT_TRUE(part.dst_port == 0 || part.dst_port == full.dst_port) << n;
}

TEST(flow_truncation, every_prefix_of_every_frame) {
    for (const auto& tc : truncation_cases()) {
        SCOPED_TRACE(tc.name);
        flow_key full;
        const parse_status full_status = parse_flow(tc.f.data(), len_of(tc.f), full);
        ASSERT_NE(full_status, parse_status::truncated);
        ASSERT_LE(tc.header_len, tc.f.size());
        for (uint32_t n = 0; n <= tc.f.size(); ++n) {
            // An exact-size heap copy, so that ASan sees any read past n.
            std::unique_ptr<uint8_t[]> buf(new uint8_t[n]);
            if (n)
                std::memcpy(buf.get(), tc.f.data(), n);
            flow_key k;
            const parse_status st = parse_flow(buf.get(), n, k);
            if (n < tc.header_len)
                EXPECT_EQ(st, parse_status::truncated) << "length " << n;
            else
                EXPECT_EQ(st, full_status) << "length " << n;
            expect_prefix_of(k, full, n);
            if (n >= tc.header_len) {
                EXPECT_EQ(std::memcmp(&k, &full, sizeof k), 0) << "length " << n;
            }
            for (auto p : {hash_policy::l2, hash_policy::l23, hash_policy::l34, hash_policy::sym_l34}) {
                EXPECT_EQ(hash_function(p, hash_algo::crc32)(buf.get(), n), hash_key_crc32(k, p));
                EXPECT_EQ(hash_function(p, hash_algo::toeplitz)(buf.get(), n), hash_key_toeplitz(k, p));
            }
            EXPECT_EQ(outer_ether_type(buf.get(), n), n >= 14 ? load_be16(tc.f.data() + 12) : 0);
        }
        // With 12 bytes the MACs are known, so l2 already hashes as the full frame.
        EXPECT_EQ(hash_function(hash_policy::l2)(tc.f.data(), 12) == hash_function(hash_policy::l2)(tc.f.data(), len_of(tc.f)),
                  full.outer_vlan == 0);
    }
}

// The per-packet CRC32 functions take a fast path for plain IPv4/IPv6 TCP/UDP
// frames and the full parser for the rest; the key path (parse_flow, then
// hash_key_crc32) is the reference. Every value of each field the fast path
// tests (IPv4 version/IHL, total length, flags and fragment offset, IPv6
// version and payload length, the protocol or next header, the TPID) must
// hash alike on both paths.
TEST(flow_hash_paths, every_value_of_the_fields_the_fast_path_checks) {
    struct field {
        size_t off;   // of the first byte, from the IP header
        unsigned bytes;
    };
    struct base_case {
        std::string name;
        frame f;
        size_t ip;    // offset of the IP header
        std::vector<field> fields;
    };
    const std::vector<base_case> bases = {
        {"ipv4_tcp", ipv4_l4(ip4_a, ip4_b, 6, tcp(1000, 80), {}, {}, 30), 14, {{0, 1}, {2, 2}, {6, 2}, {9, 1}}},
        {"vlan_ipv4_udp", ipv4_l4(ip4_a, ip4_b, 17, udp(53, 5353, 9), {{0x8100, 9}}, {}, 9), 18,
         {{0, 1}, {2, 2}, {6, 1}, {9, 1}}},
        {"ipv6_tcp", ipv6_l4(ip6_a, ip6_b, 6, tcp(1, 2), {}, 20), 14, {{0, 1}, {4, 2}, {6, 1}}},
        {"vlan_ipv6_udp", ipv6_l4(ip6_a, ip6_b, 17, udp(7, 8), {{0x8100, 4000}}), 18, {{0, 1}, {4, 2}, {6, 1}}},
    };
    auto check = [](const frame& f, const std::string& what) {
        flow_key k;
        (void)parse_flow(f.data(), len_of(f), k);
        for (auto p : {hash_policy::l2, hash_policy::l23, hash_policy::l34, hash_policy::sym_l34})
            EXPECT_EQ(crc32_hash_function(p)(f.data(), len_of(f)), hash_key_crc32(k, p))
                << what << " policy " << to_string(p);
    };
    for (const auto& b : bases) {
        check(b.f, b.name);
        for (const auto& fd : b.fields) {
            // One byte: all 256 values. Two bytes: every value up to the frame
            // length and past it, then each high byte.
            std::vector<unsigned> values;
            if (fd.bytes == 1) {
                for (unsigned v = 0; v < 256; ++v) values.push_back(v);
            } else {
                for (unsigned v = 0; v < b.f.size() + 8; ++v) values.push_back(v);
                for (unsigned hi = 1; hi < 256; ++hi) values.push_back(hi << 8 | 0x11);
            }
            for (unsigned v : values) {
                frame f = b.f;
                if (fd.bytes == 1) {
                    f[b.ip + fd.off] = static_cast<uint8_t>(v);
                } else {
                    f[b.ip + fd.off] = static_cast<uint8_t>(v >> 8);
                    f[b.ip + fd.off + 1] = static_cast<uint8_t>(v);
                }
                check(f, b.name + " offset " + std::to_string(fd.off) + " = " + std::to_string(v));
            }
        }
        // The TPID or EtherType in front of the IP header.
        for (uint16_t et : {0x0800, 0x86DD, 0x8100, 0x88A8, 0x9100, 0x0806}) {
            frame f = b.f;
            f[b.ip - 2] = static_cast<uint8_t>(et >> 8);
            f[b.ip - 1] = static_cast<uint8_t>(et);
            check(f, b.name + " ethertype " + std::to_string(et));
        }
    }
}

} // namespace
} // namespace lag::dp
