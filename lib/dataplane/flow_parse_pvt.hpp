#pragma once
// Internal to lib/dataplane: the inline parser behind parse_flow() and the
// per-policy hash functions. Not for direct inclusion; use dataplane/flow.hpp.
//
// One parser, two sinks: key_sink fills a flow_key (parse_flow, Toeplitz);
// view_sink only records where the fields are in the frame, so that the CRC32
// hashes read them straight from the frame without copying them first.

#include "dataplane/flow.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace lag::dp::detail {

inline uint16_t rd16(const uint8_t* p) noexcept {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

// How deep a hash needs the parse to go.
enum class depth : uint8_t { l2, l3, l4 };

// IP protocol numbers.
inline constexpr uint8_t ipproto_hopopts = 0;
inline constexpr uint8_t ipproto_tcp = 6;
inline constexpr uint8_t ipproto_udp = 17;
inline constexpr uint8_t ipproto_routing = 43;
inline constexpr uint8_t ipproto_fragment = 44;
inline constexpr uint8_t ipproto_ah = 51;
inline constexpr uint8_t ipproto_dstopts = 60;
inline constexpr uint8_t ipproto_mobility = 135;
inline constexpr uint8_t ipproto_hip = 139;
inline constexpr uint8_t ipproto_shim6 = 140;
inline constexpr uint8_t ipproto_sctp = 132;

static_assert(offsetof(flow_key, dst_mac) == 0 && offsetof(flow_key, src_mac) == 6);

// Fills a flow_key.
struct key_sink {
    flow_key& k;
    void begin() noexcept { std::memset(&k, 0, sizeof k); }
    void short_frame(const uint8_t* f, uint32_t len) noexcept {
        if (len >= 6)
            std::memcpy(k.dst_mac, f, 6);
        if (len >= 12)
            std::memcpy(k.src_mac, f + 6, 6);
    }
    // Both MACs in one 12-byte copy (8 + 4 byte stores), so that 8- and
    // 4-byte loads of them forward from single stores.
    void macs(const uint8_t* f) noexcept { std::memcpy(&k, f, 12); }
    void vlan(uint16_t vid) noexcept { k.outer_vlan = vid; }
    void ether_type(uint16_t et) noexcept { k.ether_type = et; }
    void ipv4(const uint8_t* addrs, uint8_t proto, bool fragment) noexcept {
        k.l3 = 4;
        std::memcpy(k.src_ip, addrs, 4);
        std::memcpy(k.dst_ip, addrs + 4, 4);
        k.l4_proto = proto;
        k.fragment = fragment;
    }
    void ipv6(const uint8_t* addrs) noexcept {
        k.l3 = 6;
        std::memcpy(k.src_ip, addrs, 16);
        std::memcpy(k.dst_ip, addrs + 16, 16);
    }
    void l4_proto(uint8_t p, bool fragment) noexcept {
        k.l4_proto = p;
        k.fragment = fragment;
    }
    void ports(const uint8_t* p) noexcept {
        k.src_port = rd16(p);
        k.dst_port = rd16(p + 2);
    }
};

// Where the fields are: pointers into the frame.
struct flow_view {
    const uint8_t* frame = nullptr; // MACs at 0..11; null for a frame under 14 bytes
    const uint8_t* addrs = nullptr; // src then dst address (4 + 4 or 16 + 16 bytes)
    const uint8_t* ports = nullptr; // src then dst port, null if none
    uint16_t vlan = 0;
    uint8_t l3 = 0;
    uint8_t l4_proto = 0;
};

struct view_sink {
    flow_view& v;
    void begin() noexcept { v = flow_view{}; }
    void short_frame(const uint8_t*, uint32_t) noexcept {}
    void macs(const uint8_t* f) noexcept { v.frame = f; }
    void vlan(uint16_t vid) noexcept { v.vlan = vid; }
    void ether_type(uint16_t) noexcept {}
    void ipv4(const uint8_t* addrs, uint8_t proto, bool) noexcept {
        v.l3 = 4;
        v.addrs = addrs;
        v.l4_proto = proto;
    }
    void ipv6(const uint8_t* addrs) noexcept {
        v.l3 = 6;
        v.addrs = addrs;
    }
    void l4_proto(uint8_t p, bool) noexcept { v.l4_proto = p; }
    void ports(const uint8_t* p) noexcept { v.ports = p; }
};

// Ports of TCP, UDP, SCTP (all start with src port, dst port).
template <class Sink>
inline parse_status parse_l4(uint8_t proto, const uint8_t* p, uint32_t avail, Sink& s) noexcept {
    uint32_t need;
    switch (proto) {
    case ipproto_tcp: need = 20; break;
    case ipproto_udp: need = 8; break;
    case ipproto_sctp: need = 12; break;
    default: return parse_status::ok;
    }
    if (avail < 4)
        return parse_status::truncated;
    s.ports(p);
    return avail < need ? parse_status::truncated : parse_status::ok;
}

template <depth D, class Sink>
inline parse_status parse_ipv4(const uint8_t* ip, uint32_t avail, Sink& s) noexcept {
    if (avail < 20)
        return parse_status::truncated;
    const uint32_t ihl = (ip[0] & 0x0fu) * 4u;
    const uint32_t total = rd16(ip + 2);
    // total == 0 is left to the frame length (seen with segmentation offload).
    if ((ip[0] >> 4) != 4 || ihl < 20 || (total != 0 && total < ihl))
        return parse_status::bad_header;
    const bool fragment = (rd16(ip + 6) & 0x3fff) != 0; // MF or a fragment offset
    s.ipv4(ip + 12, ip[9], fragment);
    if (avail < ihl)
        return parse_status::truncated;
    if constexpr (D == depth::l4) {
        if (fragment)
            return parse_status::ok;
        const uint32_t bound = total != 0 ? std::min(avail, total) : avail;
        return parse_l4(ip[9], ip + ihl, bound - ihl, s);
    }
    return parse_status::ok;
}

template <depth D, class Sink>
inline parse_status parse_ipv6(const uint8_t* ip, uint32_t avail, Sink& s) noexcept {
    if (avail < 40)
        return parse_status::truncated;
    if ((ip[0] >> 4) != 6)
        return parse_status::bad_header;
    s.ipv6(ip + 8);
    if constexpr (D != depth::l4)
        return parse_status::ok;
    const uint32_t payload = rd16(ip + 4);
    // payload == 0: a jumbogram (or offload); bounded by the frame instead.
    const uint32_t bound = payload != 0 ? std::min(avail, 40 + payload) : avail;
    uint8_t nh = ip[6];
    uint32_t off = 40;
    // Every extension header is at least 8 bytes, so this ends.
    for (;;) {
        switch (nh) {
        case ipproto_hopopts:
        case ipproto_routing:
        case ipproto_dstopts:
        case ipproto_mobility:
        case ipproto_hip:
        case ipproto_shim6:
        case ipproto_ah: {
            if (bound < off + 2)
                return parse_status::truncated;
            const uint32_t hl = nh == ipproto_ah ? (ip[off + 1] + 2u) * 4u : (ip[off + 1] + 1u) * 8u;
            if (bound < off + hl)
                return parse_status::truncated;
            nh = ip[off];
            off += hl;
            break;
        }
        case ipproto_fragment: {
            if (bound < off + 8)
                return parse_status::truncated;
            const uint16_t fo = rd16(ip + off + 2); // offset << 3 | res | M
            nh = ip[off];
            off += 8;
            if ((fo & 0xfff9) != 0) { // a real fragment (not an atomic one):
                s.l4_proto(nh, true); // the same in every fragment of the datagram
                return parse_status::ok;
            }
            break;
        }
        default:
            s.l4_proto(nh, false);
            return parse_l4(nh, ip + off, bound - off, s);
        }
    }
}

template <depth D, class Sink>
inline parse_status parse(const uint8_t* f, uint32_t len, Sink& s) noexcept {
    s.begin();
    if (len < 14) {
        s.short_frame(f, len);
        return parse_status::truncated;
    }
    s.macs(f);
    uint16_t et = rd16(f + 12);
    uint32_t off = 14;
    if (is_vlan_tpid(et)) {
        s.ether_type(et);
        if (len < 18)
            return parse_status::truncated;
        s.vlan(rd16(f + 14) & 0x0fff);
        et = rd16(f + 16);
        off = 18;
        while (is_vlan_tpid(et)) {
            s.ether_type(et);
            if (len < off + 4)
                return parse_status::truncated;
            et = rd16(f + off + 2);
            off += 4;
        }
    }
    s.ether_type(et);
    if constexpr (D == depth::l2)
        return parse_status::ok;
    if (et == ether_type_ipv4)
        return parse_ipv4<D>(f + off, len - off, s);
    if (et == ether_type_ipv6)
        return parse_ipv6<D>(f + off, len - off, s);
    return parse_status::unsupported_l3;
}

// Canonical order of the two ends for the symmetric hash: the smaller
// (address, port) first. Returns true when src and dst must swap.
inline bool swap_ends(const flow_key& k) noexcept {
    const int c = std::memcmp(k.src_ip, k.dst_ip, k.l3 == 4 ? 4 : 16);
    return c > 0 || (c == 0 && k.src_port > k.dst_port);
}

} // namespace lag::dp::detail
