#pragma once
// Test support: Ethernet frames built byte by byte (no library code involved),
// for the flow parser and hash tests and the micro-benchmarks.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

namespace lag::dp::test {

using frame = std::vector<uint8_t>;
using mac = std::array<uint8_t, 6>;
using ip4 = std::array<uint8_t, 4>;
using ip6 = std::array<uint8_t, 16>;

struct vlan_tag {
    uint16_t tpid;
    uint16_t tci;
};

inline void put16(frame& f, uint16_t v) {
    f.push_back(static_cast<uint8_t>(v >> 8));
    f.push_back(static_cast<uint8_t>(v));
}
inline void put32(frame& f, uint32_t v) {
    put16(f, static_cast<uint16_t>(v >> 16));
    put16(f, static_cast<uint16_t>(v));
}
inline void append(frame& f, std::span<const uint8_t> b) {
    f.insert(f.end(), b.begin(), b.end());
}
inline frame cat(std::initializer_list<frame> parts) {
    frame f;
    for (const frame& p : parts)
        append(f, p);
    return f;
}

inline frame eth(const mac& dst, const mac& src, std::initializer_list<vlan_tag> tags,
                 uint16_t ether_type) {
    frame f;
    append(f, dst);
    append(f, src);
    for (const vlan_tag& t : tags) {
        put16(f, t.tpid);
        put16(f, t.tci);
    }
    put16(f, ether_type);
    return f;
}

// IPv4 header with `options` (padded to 4 bytes), total length over `payload`.
// frag_field is the 16-bit flags + fragment offset word.
inline frame ipv4(const ip4& src, const ip4& dst, uint8_t proto, size_t payload_len,
                  uint16_t frag_field = 0, frame options = {}) {
    while (options.size() % 4)
        options.push_back(0); // EOL padding
    const size_t hl = 20 + options.size();
    frame f;
    f.push_back(static_cast<uint8_t>(0x40 | hl / 4));
    f.push_back(0);
    put16(f, static_cast<uint16_t>(hl + payload_len));
    put16(f, 0x1234); // id
    put16(f, frag_field);
    f.push_back(64);
    f.push_back(proto);
    put16(f, 0); // checksum, filled below
    append(f, src);
    append(f, dst);
    append(f, options);
    uint32_t sum = 0;
    for (size_t i = 0; i < f.size(); i += 2)
        sum += static_cast<uint32_t>(f[i] << 8 | f[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    f[10] = static_cast<uint8_t>(~sum >> 8);
    f[11] = static_cast<uint8_t>(~sum);
    return f;
}

inline frame ipv6(const ip6& src, const ip6& dst, uint8_t next_header, size_t payload_len) {
    frame f;
    put32(f, 0x60000000);
    put16(f, static_cast<uint16_t>(payload_len));
    f.push_back(next_header);
    f.push_back(64);
    append(f, src);
    append(f, dst);
    return f;
}

// Hop-by-hop (0), routing (43), destination options (60): 8 * (1 + units) bytes.
inline frame ipv6_opts(uint8_t next_header, uint8_t units = 0) {
    frame f{next_header, units};
    f.resize(8u * (1u + units), 0);
    if (f.size() >= 8) {
        f[2] = 1; // PadN over the rest
        f[3] = static_cast<uint8_t>(f.size() - 4);
    }
    return f;
}
inline frame ipv6_routing(uint8_t next_header, uint8_t segments_left = 0) {
    frame f{next_header, 2, 4 /* type 4: segment routing */, segments_left, 0, 0, 0, 0};
    f.resize(24, 0x20); // one 16-byte segment
    return f;
}
inline frame ipv6_frag(uint8_t next_header, uint16_t offset8, bool more, uint32_t id = 0xabcd) {
    frame f{next_header, 0};
    put16(f, static_cast<uint16_t>(offset8 << 3 | (more ? 1 : 0)));
    put32(f, id);
    return f;
}
// AH with a 12-byte ICV: length field (24 / 4) - 2 = 4.
inline frame ah(uint8_t next_header) {
    frame f{next_header, 4, 0, 0};
    put32(f, 0x100);  // SPI
    put32(f, 1);      // sequence
    f.resize(24, 0xaa);
    return f;
}

inline frame tcp(uint16_t sport, uint16_t dport) {
    frame f;
    put16(f, sport);
    put16(f, dport);
    put32(f, 1);
    put32(f, 0);
    put16(f, 0x5002); // doff 5, SYN
    put16(f, 0xffff);
    put32(f, 0);
    return f;
}
inline frame udp(uint16_t sport, uint16_t dport, size_t payload_len = 0) {
    frame f;
    put16(f, sport);
    put16(f, dport);
    put16(f, static_cast<uint16_t>(8 + payload_len));
    put16(f, 0);
    return f;
}
inline frame sctp(uint16_t sport, uint16_t dport) {
    frame f;
    put16(f, sport);
    put16(f, dport);
    put32(f, 0xdeadbeef); // verification tag
    put32(f, 0);          // checksum
    return f;
}
inline frame payload(size_t n, uint8_t fill = 0x5a) {
    return frame(n, fill);
}

inline constexpr mac mac_a{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
inline constexpr mac mac_b{0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};

// Common whole frames.
inline frame ipv4_l4(const ip4& s, const ip4& d, uint8_t proto, const frame& l4,
                     std::initializer_list<vlan_tag> tags = {}, frame options = {},
                     size_t payload_len = 0) {
    return cat({eth(mac_b, mac_a, tags, 0x0800),
                ipv4(s, d, proto, l4.size() + payload_len, 0, std::move(options)), l4,
                payload(payload_len)});
}
inline frame ipv6_l4(const ip6& s, const ip6& d, uint8_t proto, const frame& l4,
                     std::initializer_list<vlan_tag> tags = {}, size_t payload_len = 0) {
    return cat({eth(mac_b, mac_a, tags, 0x86DD), ipv6(s, d, proto, l4.size() + payload_len), l4,
                payload(payload_len)});
}

} // namespace lag::dp::test
