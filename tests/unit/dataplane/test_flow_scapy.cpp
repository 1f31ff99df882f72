// The parser against frames that scapy encoded (data/scapy_frames.txt, made by
// gen_scapy_frames.py): VLAN/QinQ, IPv4 options and fragments, IPv6 extension
// chains with AH and fragments, TCP with options, UDP, SCTP, ICMP, ARP, padding.
#include "common/bytes.hpp"
#include "dataplane/flow.hpp"
#include "dataplane/flow_hash.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#ifndef SCAPY_FRAMES
#error "SCAPY_FRAMES (path of data/scapy_frames.txt) is set by meson"
#endif

namespace lag::dp {
namespace {

TEST(flow_scapy, parser_agrees_with_scapy_frames) {
    std::ifstream in(SCAPY_FRAMES);
    ASSERT_TRUE(in) << "cannot open " << SCAPY_FRAMES;
    std::string line;
    int frames = 0, fragments = 0, v6 = 0, tagged = 0, ported = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        std::istringstream ss(line);
        std::string hex, status, dst, src, et, sip, dip;
        unsigned vlan, l3, proto, frag, sport, dport;
        ASSERT_TRUE(ss >> hex >> status >> dst >> src >> vlan >> et >> l3 >> proto >> frag >> sip >> dip >>
                    sport >> dport)
            << line;
        auto f = from_hex(hex);
        ASSERT_TRUE(f) << line;
        SCOPED_TRACE(hex);
        flow_key k;
        const parse_status st = parse_flow(f->data(), static_cast<uint32_t>(f->size()), k);
        EXPECT_EQ(to_string(st), status);
        EXPECT_EQ(to_hex({k.dst_mac, 6}), dst);
        EXPECT_EQ(to_hex({k.src_mac, 6}), src);
        EXPECT_EQ(k.outer_vlan, vlan);
        EXPECT_EQ(k.ether_type, std::stoul(et, nullptr, 16));
        EXPECT_EQ(k.l3, l3);
        EXPECT_EQ(k.l4_proto, proto);
        EXPECT_EQ(k.fragment, frag != 0);
        EXPECT_EQ(to_hex({k.src_ip, 16}), sip);
        EXPECT_EQ(to_hex({k.dst_ip, 16}), dip);
        EXPECT_EQ(k.src_port, sport);
        EXPECT_EQ(k.dst_port, dport);
        for (auto p : {hash_policy::l2, hash_policy::l23, hash_policy::l34, hash_policy::sym_l34}) {
            EXPECT_EQ(hash_function(p)(f->data(), static_cast<uint32_t>(f->size())), hash_key_crc32(k, p));
            EXPECT_EQ(hash_function(p, hash_algo::toeplitz)(f->data(), static_cast<uint32_t>(f->size())),
                      hash_key_toeplitz(k, p));
        }
        ++frames;
        fragments += frag != 0;
        v6 += l3 == 6;
        tagged += vlan != 0;
        ported += sport != 0 || dport != 0;
    }
    // The file covers what it claims to.
    EXPECT_GE(frames, 500);
    EXPECT_GE(fragments, 50);
    EXPECT_GE(v6, 150);
    EXPECT_GE(tagged, 150);
    EXPECT_GE(ported, 200);
}

} // namespace
} // namespace lag::dp
