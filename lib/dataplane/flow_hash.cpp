// Toeplitz flow hashes with DPDK's header-only rte_softrss, and the
// hash_function() selector.
#include "dataplane/flow_hash.hpp"

#include "dataplane/flow_parse_pvt.hpp"

#include <rte_thash.h>

namespace lag::dp {

namespace {
constexpr std::array<uint8_t, rss_key_len> rss_key_bytes = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, //
    0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, //
    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, //
    0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa, //
    // extension for inputs longer than 36 bytes (l2/l23 over IPv6)
    0x3c, 0x1e, 0x9a, 0x67, 0xd5, 0x08, 0x4f, 0xb2, 0x71, 0x93, 0xe6, 0x2d,
};
} // namespace

alignas(4) const std::array<uint8_t, rss_key_len> rss_key = rss_key_bytes;

namespace {

using detail::rd16;

// rss_key as host-order 32-bit words (what rte_convert_rss_key makes), for the
// faster rte_softrss_be.
struct converted_key {
    uint32_t w[rss_key_len / 4];
    constexpr converted_key() : w{} {
        for (size_t i = 0; i < rss_key_len / 4; ++i)
            w[i] = uint32_t{rss_key_bytes[4 * i]} << 24 | uint32_t{rss_key_bytes[4 * i + 1]} << 16 |
                   uint32_t{rss_key_bytes[4 * i + 2]} << 8 | rss_key_bytes[4 * i + 3];
    }
};
constexpr converted_key rss_key_be{};

inline uint32_t be32(const uint8_t* p) noexcept {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// Input words for rte_softrss: host-order 32-bit words of the big-endian byte
// string (as rte_ipv4_tuple holds them). At most 12 words (48 bytes).
struct tuple {
    uint32_t w[12];
    uint32_t n = 0;
    void add_bytes(const uint8_t* p, uint32_t len) noexcept { // len % 4 == 0
        for (uint32_t i = 0; i < len; i += 4)
            w[n++] = be32(p + i);
    }
    void add(uint32_t v) noexcept { w[n++] = v; }
    uint32_t hash() noexcept {
        return rte_softrss_be(w, n, reinterpret_cast<const uint8_t*>(rss_key_be.w));
    }
};

inline void add_l2(tuple& t, const flow_key& k) noexcept {
    t.add_bytes(k.dst_mac, 4);
    t.add(uint32_t{rd16(k.dst_mac + 4)} << 16 | rd16(k.src_mac));
    t.add_bytes(k.src_mac + 2, 4);
    t.add(uint32_t{k.outer_vlan} << 16);
}

inline uint32_t toeplitz_l2(const flow_key& k) noexcept {
    tuple t;
    add_l2(t, k);
    return t.hash();
}

inline uint32_t toeplitz_l23(const flow_key& k) noexcept {
    tuple t;
    add_l2(t, k);
    if (k.l3 != 0) {
        const uint32_t n = k.l3 == 4 ? 4 : 16;
        t.add_bytes(k.src_ip, n);
        t.add_bytes(k.dst_ip, n);
    }
    return t.hash();
}

template <bool Symmetric>
inline uint32_t toeplitz_l34(const flow_key& k) noexcept {
    if (k.l3 == 0)
        return toeplitz_l2(k);
    const uint8_t* a = k.src_ip;
    const uint8_t* b = k.dst_ip;
    uint32_t pa = k.src_port;
    uint32_t pb = k.dst_port;
    if constexpr (Symmetric) {
        if (detail::swap_ends(k)) {
            std::swap(a, b);
            std::swap(pa, pb);
        }
    }
    tuple t;
    const uint32_t n = k.l3 == 4 ? 4 : 16;
    t.add_bytes(a, n);
    t.add_bytes(b, n);
    const bool ports = !k.fragment && (k.l4_proto == detail::ipproto_tcp ||
                                       k.l4_proto == detail::ipproto_udp ||
                                       k.l4_proto == detail::ipproto_sctp);
    if (ports)
        t.add(pa << 16 | pb);
    return t.hash();
}

template <hash_policy P>
uint32_t toeplitz_frame(const uint8_t* frame, uint32_t len) noexcept {
    flow_key k;
    detail::key_sink sink{k};
    if constexpr (P == hash_policy::l2) {
        detail::parse<detail::depth::l2>(frame, len, sink);
        return toeplitz_l2(k);
    } else if constexpr (P == hash_policy::l23) {
        detail::parse<detail::depth::l3>(frame, len, sink);
        return toeplitz_l23(k);
    } else {
        detail::parse<detail::depth::l4>(frame, len, sink);
        return toeplitz_l34<P == hash_policy::sym_l34>(k);
    }
}

} // namespace

uint32_t hash_key_toeplitz(const flow_key& k, hash_policy p) noexcept {
    switch (p) {
    case hash_policy::l2: return toeplitz_l2(k);
    case hash_policy::l23: return toeplitz_l23(k);
    case hash_policy::l34: return toeplitz_l34<false>(k);
    case hash_policy::sym_l34: return toeplitz_l34<true>(k);
    }
    return toeplitz_l2(k);
}

frame_hash_fn toeplitz_hash_function(hash_policy p) noexcept {
    switch (p) {
    case hash_policy::l2: return &toeplitz_frame<hash_policy::l2>;
    case hash_policy::l23: return &toeplitz_frame<hash_policy::l23>;
    case hash_policy::l34: return &toeplitz_frame<hash_policy::l34>;
    case hash_policy::sym_l34: return &toeplitz_frame<hash_policy::sym_l34>;
    }
    return &toeplitz_frame<hash_policy::l2>;
}

frame_hash_fn hash_function(hash_policy p, hash_algo a) noexcept {
    return a == hash_algo::toeplitz ? toeplitz_hash_function(p) : crc32_hash_function(p);
}

} // namespace lag::dp
