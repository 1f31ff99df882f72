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
    return detail::parse<detail::depth::l4>(frame, len, out);
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

inline uint32_t crc_l2(const flow_key& k) noexcept {
    uint32_t h = crc(seed_l2, ld64(k.dst_mac));     // dst MAC + 2 bytes of src
    h = crc(h, ld32(k.src_mac + 2));                // rest of src MAC
    return crc(h, uint32_t{k.outer_vlan});
}

inline uint32_t crc_addr(uint32_t h, const uint8_t* a, uint8_t l3) noexcept {
    if (l3 == 4)
        return crc(h, ld32(a));
    return crc(crc(h, ld64(a)), ld64(a + 8));
}

inline uint32_t hash_l2(const flow_key& k) noexcept {
    return fmix(crc_l2(k));
}

inline uint32_t hash_l23(const flow_key& k) noexcept {
    uint32_t h = crc_l2(k);
    if (k.l3 != 0)
        h = crc_addr(crc_addr(h, k.src_ip, k.l3), k.dst_ip, k.l3);
    return fmix(h);
}

template <bool Symmetric>
inline uint32_t hash_l34(const flow_key& k) noexcept {
    if (k.l3 == 0)
        return hash_l2(k);
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
    uint32_t h = crc(seed_l34, uint32_t{k.l3} << 8 | k.l4_proto);
    h = crc_addr(crc_addr(h, a, k.l3), b, k.l3);
    h = crc(h, pa << 16 | pb);
    return fmix(h);
}

template <hash_policy P>
uint32_t hash_frame(const uint8_t* frame, uint32_t len) noexcept {
    flow_key k;
    if constexpr (P == hash_policy::l2) {
        detail::parse<detail::depth::l2>(frame, len, k);
        return hash_l2(k);
    } else if constexpr (P == hash_policy::l23) {
        detail::parse<detail::depth::l3>(frame, len, k);
        return hash_l23(k);
    } else {
        detail::parse<detail::depth::l4>(frame, len, k);
        return hash_l34<P == hash_policy::sym_l34>(k);
    }
}

} // namespace

uint32_t hash_key_crc32(const flow_key& k, hash_policy p) noexcept {
    switch (p) {
    case hash_policy::l2: return hash_l2(k);
    case hash_policy::l23: return hash_l23(k);
    case hash_policy::l34: return hash_l34<false>(k);
    case hash_policy::sym_l34: return hash_l34<true>(k);
    }
    return hash_l2(k);
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
