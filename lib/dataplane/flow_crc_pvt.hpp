#pragma once
// Internal to lib/dataplane: the CRC32 (SSE4.2) flow hashes, inline, for
// flow.cpp (the per-packet functions crc32_hash_function returns) and for the
// worker's burst loop (no indirect call per packet). Pure: no DPDK. Not for
// direct inclusion; use dataplane/flow.hpp.
//
// crc32_fast<P>() is the common case: an untagged or single 802.1Q-tagged
// IPv4 frame without options (not a fragment) or IPv6 frame without extension
// headers, carrying TCP or UDP, long enough for the ports (and, for l2, any
// frame of 14 bytes or more without a VLAN tag). For those frames it reads
// the fields where they lie and computes exactly what the general path (the
// parser in flow_parse_pvt.hpp) computes; for anything else it returns false
// and the caller takes the general path (crc32_general). The unit tests check
// the per-packet functions against the parsed-key path (parse_flow, then
// hash_key_crc32) on every frame and every truncation of it they hash.

#include "dataplane/flow_parse_pvt.hpp"

#include <nmmintrin.h>

#include <cstring>
#include <utility>

namespace lag::dp::detail {

inline uint64_t ld64(const uint8_t* p) noexcept {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
inline uint32_t ld32(const uint8_t* p) noexcept {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
inline uint32_t crc(uint32_t h, uint64_t v) noexcept {
    return static_cast<uint32_t>(_mm_crc32_u64(h, v));
}
inline uint32_t crc(uint32_t h, uint32_t v) noexcept {
    return _mm_crc32_u32(h, v);
}
// CRC32 is linear; a final avalanche (murmur3's fmix32) makes every output bit
// depend on every input bit, so any bucket count spreads well.
inline uint32_t fmix(uint32_t h) noexcept {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

inline constexpr uint32_t seed_l2 = 0x6c616732;  // "lag2"
inline constexpr uint32_t seed_l34 = 0x6c616734; // "lag4"

// Each hash is CRC32C over a byte sequence; CRC32C does not depend on how the
// sequence is cut into 4- and 8-byte steps, so the key path (fields copied
// into a flow_key) and the frame path (fields read where they lie in the
// frame) give the same value.

// 12 MAC bytes, then the outer VID as 4 bytes.
inline uint32_t crc_l2(const uint8_t* macs, uint16_t vlan) noexcept {
    uint32_t h = crc(seed_l2, ld64(macs));
    h = crc(h, ld32(macs + 8));
    return crc(h, uint32_t{vlan});
}

inline uint32_t crc_addrs(uint32_t h, uint8_t l3, const uint8_t* a, const uint8_t* b) noexcept {
    if (l3 == 4)
        return crc(crc(h, ld32(a)), ld32(b));
    h = crc(crc(h, ld64(a)), ld64(a + 8));
    return crc(crc(h, ld64(b)), ld64(b + 8));
}

// l3 and protocol, the two addresses, the two ports (in canonical order when
// Symmetric). l3 != 0.
template <bool Symmetric>
inline uint32_t crc_l34(uint8_t l3, uint8_t proto, const uint8_t* a, const uint8_t* b, uint32_t pa,
                        uint32_t pb) noexcept {
    if constexpr (Symmetric) {
        const int c = std::memcmp(a, b, l3 == 4 ? 4 : 16);
        if (c > 0 || (c == 0 && pa > pb)) {
            std::swap(a, b);
            std::swap(pa, pb);
        }
    }
    uint32_t h = crc(seed_l34, uint32_t{l3} << 8 | proto);
    h = crc_addrs(h, l3, a, b);
    return fmix(crc(h, pa << 16 | pb));
}

// The general path (flow.cpp): any frame, through the full parser; the same
// value as crc32_hash_function(P). Instantiated for every policy.
template <hash_policy P>
uint32_t crc32_general(const uint8_t* frame, uint32_t len) noexcept;

// The common case (see the top of this file). True: `out` holds the hash.
// Forced inline: it is the body of the worker's per-burst loop.
template <hash_policy P>
[[gnu::always_inline]] inline bool crc32_fast(const uint8_t* f, uint32_t len, uint32_t& out) noexcept {
    if constexpr (P == hash_policy::l2) {
        if (len < 14 || is_vlan_tpid(rd16(f + 12)))
            return false;
        out = fmix(crc_l2(f, 0));
        return true;
    } else {
        // The shortest frame taken here: 14 + IPv4's 20 + the 4 port bytes.
        if (len < 38) [[unlikely]]
            return false;
        uint16_t et = rd16(f + 12);
        uint32_t off = 14;
        uint16_t vlan = 0;
        if (et == ether_type_vlan) {
            vlan = rd16(f + 14) & 0x0fff;
            et = rd16(f + 16);
            off = 18;
        }
        const uint8_t* ip = f + off;
        const uint32_t avail = len - off;
        uint8_t proto;
        const uint8_t* ports;
        uint32_t h; // after the addresses
        if (et == ether_type_ipv4) {
            // Version 4, IHL 5; not a fragment; the total length (0: left to
            // the frame) and the frame both reach past the ports.
            // Bytes 0..7 as one little-endian word: version/IHL in the low
            // byte, flags and fragment offset in the top two (0x3fff of them).
            const uint64_t w = ld64(ip);
            const uint32_t total = rd16(ip + 2);
            if (avail < 24 || (w & 0xff3f0000000000ffull) != 0x45 || total - 1u < 23u)
                return false;
            proto = ip[9];
            ports = ip + 20;
            if constexpr (P == hash_policy::l23)
                h = crc(crc_l2(f, vlan), ld64(ip + 12));
            else if constexpr (P == hash_policy::l34)
                h = crc(crc(seed_l34, uint32_t{4} << 8 | proto), ld64(ip + 12));
        } else if (et == ether_type_ipv6) {
            // Version 6; the payload (0: left to the frame) and the frame
            // both reach past the ports.
            const uint32_t payload = rd16(ip + 4);
            if (avail < 44 || (ip[0] >> 4) != 6 || payload - 1u < 3u)
                return false;
            proto = ip[6];
            ports = ip + 40;
            if constexpr (P == hash_policy::l23)
                h = crc_addrs(crc_l2(f, vlan), 6, ip + 8, ip + 24);
            else if constexpr (P == hash_policy::l34)
                h = crc_addrs(crc(seed_l34, uint32_t{6} << 8 | proto), 6, ip + 8, ip + 24);
        } else {
            return false;
        }
        if (proto != ipproto_tcp && proto != ipproto_udp)
            return false;
        if constexpr (P == hash_policy::l23) {
            out = fmix(h);
        } else if constexpr (P == hash_policy::l34) {
            // src port << 16 | dst port: the 4 port bytes as a big-endian word.
            out = fmix(crc(h, __builtin_bswap32(ld32(ports))));
        } else {
            const bool v4 = et == ether_type_ipv4;
            const uint8_t* a = v4 ? ip + 12 : ip + 8;
            out = crc_l34<true>(v4 ? 4 : 6, proto, a, a + (v4 ? 4 : 16), rd16(ports), rd16(ports + 2));
        }
        return true;
    }
}

} // namespace lag::dp::detail
