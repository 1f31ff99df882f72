// Flow parse and the CRC32 (SSE4.2) flow hashes. Pure: no DPDK.
#include "dataplane/flow.hpp"

#include "dataplane/flow_crc_pvt.hpp"

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

using detail::crc_addrs;
using detail::crc_l2;
using detail::crc_l34;
using detail::fmix;

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

// The per-packet functions: the common case inline (crc32_fast), else the
// general path.
template <hash_policy P>
uint32_t hash_frame(const uint8_t* frame, uint32_t len) noexcept {
    if (uint32_t h; detail::crc32_fast<P>(frame, len, h)) [[likely]]
        return h;
    return detail::crc32_general<P>(frame, len);
}

} // namespace

// The general path: parse to a view, hash from the frame.
template <hash_policy P>
uint32_t detail::crc32_general(const uint8_t* frame, uint32_t len) noexcept {
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

template uint32_t detail::crc32_general<hash_policy::l2>(const uint8_t*, uint32_t) noexcept;
template uint32_t detail::crc32_general<hash_policy::l23>(const uint8_t*, uint32_t) noexcept;
template uint32_t detail::crc32_general<hash_policy::l34>(const uint8_t*, uint32_t) noexcept;
template uint32_t detail::crc32_general<hash_policy::sym_l34>(const uint8_t*, uint32_t) noexcept;

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
