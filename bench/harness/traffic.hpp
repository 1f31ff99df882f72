#pragma once
// Synthetic traffic for dpdk-lag-bench: many flows, IPv4 and IPv6, TCP and
// UDP, some 802.1Q-tagged, frame sizes from 64 to 1518 bytes on the wire.
// Pure C++ (no DPDK): frames are byte vectors the harness copies into mbufs
// once, before anything is measured. Deterministic for a given seed (the
// generator uses std::mt19937_64's raw output, which the standard fixes, and
// no std:: distributions, which it does not).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lag::bench {

struct traffic_config {
    uint32_t flows = 1024;        // distinct 5-tuples
    uint32_t frames = 8192;       // egress frames (ingress: the same number)
    uint64_t seed = 1;
    uint32_t ipv6_percent = 30;   // of flows
    uint32_t udp_percent = 25;    // of flows
    uint32_t vlan_percent = 12;   // of flows, one 802.1Q tag
    // Ingress frames all have this length in the mbuf (net_null stamps one
    // length on every frame it receives): 124 = 128 bytes on the wire.
    uint16_t ingress_len = 124;
    // Every egress frame this long on the wire (with FCS), or its headers'
    // length where they are longer; 0: the IMIX-like egress_size_mix.
    uint16_t wire_size = 0;
};

// One frame as it sits in an mbuf: from the destination MAC, without FCS
// (a 64-byte frame on the wire is 60 bytes here).
using frame = std::vector<uint8_t>;

struct flow_tuple {
    bool ipv6 = false;
    bool udp = false;
    uint16_t vlan = 0;            // 0: untagged
    uint8_t host_mac[6] = {};
    uint8_t src_ip[16] = {};      // IPv4 in the first 4 bytes
    uint8_t dst_ip[16] = {};
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
};

struct traffic {
    std::vector<flow_tuple> flows;
    std::vector<frame> egress;            // access -> LAG, mixed sizes
    std::vector<uint32_t> egress_flow;    // flow index of each egress frame
    std::vector<frame> ingress;           // LAG -> access, reversed flows
    // Summary, for the report.
    uint32_t ipv4_frames = 0, ipv6_frames = 0, tcp_frames = 0, udp_frames = 0,
             vlan_frames = 0;
    uint64_t egress_bytes = 0;            // sum of mbuf lengths
    uint16_t min_len = 0, max_len = 0;    // mbuf lengths of egress frames

    double mean_wire_size() const;        // egress, including 4-byte FCS
    std::string describe() const;         // one line for the report
};

// Wire sizes (with FCS) and their weights: an IMIX-like spread from 64 to
// 1518. Exposed for the report and tests.
struct size_weight {
    uint16_t wire_size;
    uint16_t weight;
};
extern const size_weight egress_size_mix[8];

traffic make_traffic(const traffic_config& cfg);

// The MAC address egress frames are sent to (the LAG partner) and the one
// ingress frames come back to (the host behind the access port is
// flow_tuple::host_mac).
inline constexpr uint8_t partner_mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};

} // namespace lag::bench
