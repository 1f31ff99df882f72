// Flow parse and the CRC32 (SSE4.2) flow hashes. Pure: no DPDK.
#include "dataplane/flow.hpp"

#include "dataplane/flow_parse_pvt.hpp"

#include <nmmintrin.h>

namespace lag::dp {

std::string_view to_string(hash_policy p) noexcept {
    switch (p) {
    case hash_policy::l2: return "l2";
    case hash_policy::l23: return "l23";
    case hash_policy::l34: return "l34";
    case hash_policy::sym_l34: return "sym-l34";
    }
    return "?";
}

std::optional<hash_policy> parse_hash_policy(std::string_view s) noexcept {
    for (hash_policy p : {hash_policy::l2, hash_policy::l23, hash_policy::l34, hash_policy::sym_l34})
        if (s == to_string(p))
            return p;
    return std::nullopt;
}

std::string_view to_string(hash_algo a) noexcept {
    switch (a) {
    case hash_algo::crc32: return "crc32";
    case hash_algo::toeplitz: return "toeplitz";
    }
    return "?";
}

std::optional<hash_algo> parse_hash_algo(std::string_view s) noexcept {
    for (hash_algo a : {hash_algo::crc32, hash_algo::toeplitz})
        if (s == to_string(a))
            return a;
    return std::nullopt;
}

std::string_view to_string(parse_status s) noexcept {
    switch (s) {
    case parse_status::ok: return "ok";
    case parse_status::truncated: return "truncated";
    case parse_status::unsupported_l3: return "unsupported_l3";
    case parse_status::bad_header: return "bad_header";
    }
    return "?";
}

parse_status parse_flow(const uint8_t* frame, uint32_t len, flow_key& out) noexcept {
    detail::key_sink sink{out};
    return detail::parse<detail::depth::l4>(frame, len, sink);
}

uint16_t outer_ether_type(const uint8_t* frame, uint32_t len, bool skip_vlan) noexcept {
    if (len < 14)
        return 0;
    uint16_t et = detail::rd16(frame + 12);
    for (uint32_t off = 14; skip_vlan && is_vlan_tpid(et); off += 4) {
        if (len < off + 4)
            return 0;
        et = detail::rd16(frame + off + 2);
    }
    return et;
}

namespace {

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

constexpr uint32_t seed_l2 = 0x6c616732;  // "lag2"
constexpr uint32_t seed_l34 = 0x6c616734; // "lag4"

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

inline const uint8_t* macs_of(const flow_key& k) noexcept {
    return reinterpret_cast<const uint8_t*>(&k); // dst_mac, src_mac: offsets 0 and 6
}

inline uint32_t key_l2(const flow_key& k) noexcept {
    return fmix(crc_l2(macs_of(k), k.outer_vlan));
}

inline uint32_t key_l23(const flow_key& k) noexcept {
    uint32_t h = crc_l2(macs_of(k), k.outer_vlan);
    if (k.l3 != 0)
        h = crc_addrs(h, k.l3, k.src_ip, k.dst_ip);
    return fmix(h);
}

template <bool Symmetric>
inline uint32_t key_l34(const flow_key& k) noexcept {
    if (k.l3 == 0)
        return key_l2(k);
    return crc_l34<Symmetric>(k.l3, k.l4_proto, k.src_ip, k.dst_ip, k.src_port, k.dst_port);
}

// The per-packet functions: parse to a view, hash from the frame.
template <hash_policy P>
uint32_t hash_frame(const uint8_t* frame, uint32_t len) noexcept {
    constexpr detail::depth d = P == hash_policy::l2    ? detail::depth::l2
                                : P == hash_policy::l23 ? detail::depth::l3
                                                        : detail::depth::l4;
    detail::flow_view v;
    detail::view_sink sink{v};
    detail::parse<d>(frame, len, sink);
    if (v.frame == nullptr) [[unlikely]] { // under 14 bytes: the key holds what there is
        flow_key k;
        parse_flow(frame, len, k);
        return hash_key_crc32(k, P);
    }
    if constexpr (P == hash_policy::l2) {
        return fmix(crc_l2(v.frame, v.vlan));
    } else if constexpr (P == hash_policy::l23) {
        uint32_t h = crc_l2(v.frame, v.vlan);
        if (v.l3 != 0)
            h = crc_addrs(h, v.l3, v.addrs, v.addrs + (v.l3 == 4 ? 4 : 16));
        return fmix(h);
    } else {
        if (v.l3 == 0)
            return fmix(crc_l2(v.frame, v.vlan));
        const uint32_t pa = v.ports ? detail::rd16(v.ports) : 0;
        const uint32_t pb = v.ports ? detail::rd16(v.ports + 2) : 0;
        return crc_l34<P == hash_policy::sym_l34>(v.l3, v.l4_proto, v.addrs,
                                                   v.addrs + (v.l3 == 4 ? 4 : 16), pa, pb);
    }
}

} // namespace

uint32_t hash_key_crc32(const flow_key& k, hash_policy p) noexcept {
    switch (p) {
    case hash_policy::l2: return key_l2(k);
    case hash_policy::l23: return key_l23(k);
    case hash_policy::l34: return key_l34<false>(k);
    case hash_policy::sym_l34: return key_l34<true>(k);
    }
    return key_l2(k);
}

frame_hash_fn crc32_hash_function(hash_policy p) noexcept {
    switch (p) {
    case hash_policy::l2: return &hash_frame<hash_policy::l2>;
    case hash_policy::l23: return &hash_frame<hash_policy::l23>;
    case hash_policy::l34: return &hash_frame<hash_policy::l34>;
    case hash_policy::sym_l34: return &hash_frame<hash_policy::sym_l34>;
    }
    return &hash_frame<hash_policy::l2>;
}

} // namespace lag::dp
