#include "mka/mkpdu.hpp"

#include <algorithm>

namespace lag::mka {

namespace {

constexpr size_t eth_hdr_len = 14;
constexpr size_t eapol_hdr_len = 4;
constexpr size_t set_hdr_len = 4;
constexpr size_t basic_fixed_len = 8 + 12 + 4 + 4; // SCI, MI, MN, agility
constexpr uint16_t cipher_suites_tlv = 112;

constexpr size_t pad4(size_t n) { return (n + 3) & ~size_t{3}; }

void put(bytes& f, std::span<const uint8_t> b) { f.insert(f.end(), b.begin(), b.end()); }
void put8(bytes& f, uint8_t v) { f.push_back(v); }
void put16(bytes& f, uint16_t v) {
    f.push_back(static_cast<uint8_t>(v >> 8));
    f.push_back(static_cast<uint8_t>(v));
}
void put32(bytes& f, uint32_t v) {
    put16(f, static_cast<uint16_t>(v >> 16));
    put16(f, static_cast<uint16_t>(v));
}
void put64(bytes& f, uint64_t v) {
    put32(f, static_cast<uint32_t>(v >> 32));
    put32(f, static_cast<uint32_t>(v));
}
void put_sci(bytes& f, const sci& s) {
    put(f, s.addr.bytes);
    put16(f, s.port);
}
void pad(bytes& f) {
    while ((f.size() - eth_hdr_len - eapol_hdr_len) % 4 != 0)
        f.push_back(0);
}
// Header of a (non-basic) parameter set: type, type-specific octet, 4 flag
// bits and the 12-bit body length.
void put_set_hdr(bytes& f, param_set_type t, uint8_t o2, uint8_t flags_hi, size_t len) {
    put8(f, static_cast<uint8_t>(t));
    put8(f, o2);
    put8(f, static_cast<uint8_t>((flags_hi & 0xF0) | ((len >> 8) & 0x0F)));
    put8(f, static_cast<uint8_t>(len));
}

void put_peer_list(bytes& f, param_set_type t, const peer_list& l) {
    put_set_hdr(f, t, l.ks_ssci, 0, l.peers.size() * 16);
    for (const auto& p : l.peers) {
        put(f, p.mi);
        put32(f, p.mn);
    }
}

void put_ki(bytes& f, const key_identifier& ki) {
    put(f, ki.mi);
    put32(f, ki.kn);
}

sci get_sci(const uint8_t* p) {
    sci s;
    std::copy(p, p + 6, s.addr.bytes.begin());
    s.port = load_be16(p + 6);
    return s;
}
member_id get_mi(const uint8_t* p) {
    member_id m;
    std::copy(p, p + 12, m.begin());
    return m;
}

size_t wrapped_len_for(cipher_suite s) { return key_length(s) + 8; }

} // namespace

std::string_view to_string(drop_reason r) {
    switch (r) {
    case drop_reason::frame_too_short: return "frame_too_short";
    case drop_reason::not_eapol: return "not_eapol";
    case drop_reason::bad_destination: return "bad_destination";
    case drop_reason::bad_eapol_version: return "bad_eapol_version";
    case drop_reason::not_mka: return "not_mka";
    case drop_reason::truncated: return "truncated";
    case drop_reason::bad_body_length: return "bad_body_length";
    case drop_reason::bad_mka_version: return "bad_mka_version";
    case drop_reason::bad_basic_length: return "bad_basic_length";
    case drop_reason::bad_ckn_length: return "bad_ckn_length";
    case drop_reason::bad_algorithm_agility: return "bad_algorithm_agility";
    case drop_reason::bad_param_set_length: return "bad_param_set_length";
    case drop_reason::duplicate_param_set: return "duplicate_param_set";
    case drop_reason::unknown_param_set: return "unknown_param_set";
    case drop_reason::bad_peer_list_length: return "bad_peer_list_length";
    case drop_reason::bad_sak_use_length: return "bad_sak_use_length";
    case drop_reason::bad_distributed_sak: return "bad_distributed_sak";
    case drop_reason::bad_announcement: return "bad_announcement";
    case drop_reason::bad_xpn_length: return "bad_xpn_length";
    case drop_reason::bad_icv_indicator: return "bad_icv_indicator";
    case drop_reason::unknown_ckn: return "unknown_ckn";
    case drop_reason::bad_icv: return "bad_icv";
    case drop_reason::own_member_id: return "own_member_id";
    case drop_reason::own_sci: return "own_sci";
    case drop_reason::stale_message_number: return "stale_message_number";
    case drop_reason::bad_wrapped_sak: return "bad_wrapped_sak";
    case drop_reason::sak_from_non_key_server: return "sak_from_non_key_server";
    case drop_reason::unsupported_cipher_suite: return "unsupported_cipher_suite";
    case drop_reason::peer_table_full: return "peer_table_full";
    case drop_reason::count_: break;
    }
    return "?";
}

std::optional<cipher_suite> suite_from_id(uint64_t id) noexcept {
    for (auto s : all_cipher_suites)
        if (cipher_suite_id(s) == id)
            return s;
    return std::nullopt;
}

bytes encode_frame_unsigned(const mkpdu& pdu, const mac_addr& src, const mac_addr& dst) {
    const auto& b = pdu.basic;
    if (b.ckn.len < 1 || b.ckn.len > max_ckn_len)
        return {};
    bytes f;
    f.reserve(256);
    put(f, dst.bytes);
    put(f, src.bytes);
    put16(f, eapol_ethertype);
    put8(f, eapol_version);
    put8(f, eapol_type_mka);
    put16(f, 0); // Packet Body Length, set below

    // Basic Parameter Set (Figure 11-8)
    const size_t blen = basic_fixed_len + b.ckn.len;
    put8(f, b.version);
    put8(f, b.key_server_priority);
    put8(f, static_cast<uint8_t>((b.key_server ? 0x80 : 0) | (b.macsec_desired ? 0x40 : 0) |
                                 (static_cast<uint8_t>(b.capability) & 3) << 4 |
                                 ((blen >> 8) & 0x0F)));
    put8(f, static_cast<uint8_t>(blen));
    put_sci(f, b.actor_sci);
    put(f, b.actor_mi);
    put32(f, b.actor_mn);
    put32(f, b.algorithm_agility);
    put(f, b.ckn.view());
    pad(f);

    if (pdu.live)
        put_peer_list(f, param_set_type::live_peer_list, *pdu.live);
    if (pdu.potential)
        put_peer_list(f, param_set_type::potential_peer_list, *pdu.potential);
    if (pdu.sak_use) {
        const auto& u = *pdu.sak_use;
        uint8_t o2 = static_cast<uint8_t>((u.latest_an & 3) << 6 | (u.latest_tx ? 0x20 : 0) |
                                          (u.latest_rx ? 0x10 : 0) | (u.old_an & 3) << 2 |
                                          (u.old_tx ? 0x02 : 0) | (u.old_rx ? 0x01 : 0));
        uint8_t fl = static_cast<uint8_t>((u.plain_tx ? 0x80 : 0) | (u.plain_rx ? 0x40 : 0) |
                                          (u.delay_protect ? 0x10 : 0));
        put_set_hdr(f, param_set_type::sak_use, o2, fl, u.has_keys ? 40 : 0);
        if (u.has_keys) {
            put_ki(f, u.latest_ki);
            put32(f, u.latest_lowest_pn);
            put_ki(f, u.old_ki);
            put32(f, u.old_lowest_pn);
        }
    }
    if (pdu.distributed_sak) {
        const auto& d = *pdu.distributed_sak;
        uint8_t o2 = static_cast<uint8_t>((d.an & 3) << 6 | (static_cast<uint8_t>(d.offset) & 3) << 4);
        if (d.plain) {
            put_set_hdr(f, param_set_type::distributed_sak, o2, 0, 0);
        } else {
            if (d.wrapped_len != wrapped_len_for(d.suite))
                return {};
            const bool default_suite = d.suite == cipher_suite::gcm_aes_128;
            put_set_hdr(f, param_set_type::distributed_sak, o2, 0,
                        4 + (default_suite ? 0 : 8) + d.wrapped_len);
            put32(f, d.kn);
            if (!default_suite)
                put64(f, cipher_suite_id(d.suite));
            put(f, d.wrapped_view());
        }
        pad(f);
    }
    if (pdu.announcement) {
        const auto& a = *pdu.announcement;
        const size_t tlv_len = a.cipher_suites.size() * 10;
        if (tlv_len > 0x1FF)
            return {};
        put_set_hdr(f, param_set_type::announcement, 0, 0, a.cipher_suites.empty() ? 0 : 2 + tlv_len);
        if (!a.cipher_suites.empty()) {
            put16(f, static_cast<uint16_t>(cipher_suites_tlv << 9 | tlv_len));
            for (const auto& s : a.cipher_suites) {
                put16(f, s.capability & 3);
                put64(f, s.id);
            }
        }
        pad(f);
    }
    if (pdu.xpn) {
        put_set_hdr(f, param_set_type::xpn, pdu.xpn->suspension_time, 0, 8);
        put32(f, pdu.xpn->latest_lowest_pn_msb);
        put32(f, pdu.xpn->old_lowest_pn_msb);
    }
    // ICV Indicator (Figure 11-13), then the ICV
    put_set_hdr(f, param_set_type::icv_indicator, 0, 0, icv_len);
    f.resize(f.size() + icv_len, 0);
    store_be16(&f[16], static_cast<uint16_t>(f.size() - eth_hdr_len - eapol_hdr_len));
    return f;
}

bytes encode_frame(const mkpdu& pdu, const mac_addr& src, const mac_addr& dst, crypto_provider& c,
                   const key_secret& ick) {
    bytes f = encode_frame_unsigned(pdu, src, dst);
    if (f.empty())
        return f;
    std::array<uint8_t, icv_len> icv{};
    if (!compute_icv(c, ick, {f.data(), f.size() - icv_len}, icv))
        return {};
    std::copy(icv.begin(), icv.end(), f.end() - icv_len);
    return f;
}

bool verify_icv(crypto_provider& c, const key_secret& ick, const decoded_frame& f) noexcept {
    std::array<uint8_t, icv_len> icv{};
    if (!compute_icv(c, ick, f.icv_covered, icv))
        return false;
    uint8_t d = 0;
    for (size_t i = 0; i < icv_len; ++i)
        d |= static_cast<uint8_t>(icv[i] ^ f.icv[i]);
    return d == 0;
}

outcome<decoded_frame> decode_frame(std::span<const uint8_t> frame, const mac_addr& expected_dst) {
    if (frame.size() < eth_hdr_len + eapol_hdr_len)
        return drop_reason::frame_too_short;
    const uint8_t* p = frame.data();
    if (load_be16(p + 12) != eapol_ethertype)
        return drop_reason::not_eapol;
    decoded_frame out;
    std::copy(p, p + 6, out.dst.bytes.begin());
    std::copy(p + 6, p + 12, out.src.bytes.begin());
    if (out.dst != expected_dst)
        return drop_reason::bad_destination;
    if (p[14] < eapol_version)
        return drop_reason::bad_eapol_version;
    if (p[15] != eapol_type_mka)
        return drop_reason::not_mka;
    const size_t body_len = load_be16(p + 16);
    if (eth_hdr_len + eapol_hdr_len + body_len > frame.size())
        return drop_reason::truncated;
    if (body_len < 32 || body_len % 4 != 0)
        return drop_reason::bad_body_length;
    const uint8_t* body = p + eth_hdr_len + eapol_hdr_len;
    const size_t sets_end = body_len - icv_len; // where the ICV starts

    // Basic Parameter Set: always first.
    auto& b = out.pdu.basic;
    b.version = body[0];
    if (b.version == 0)
        return drop_reason::bad_mka_version;
    b.key_server_priority = body[1];
    b.key_server = (body[2] & 0x80) != 0;
    b.macsec_desired = (body[2] & 0x40) != 0;
    b.capability = static_cast<macsec_capability>((body[2] >> 4) & 3);
    const size_t blen = static_cast<size_t>(body[2] & 0x0F) << 8 | body[3];
    if (blen < basic_fixed_len + 1 || set_hdr_len + pad4(blen) > sets_end)
        return drop_reason::bad_basic_length;
    const size_t ckn_len = blen - basic_fixed_len;
    if (ckn_len > max_ckn_len)
        return drop_reason::bad_ckn_length;
    b.actor_sci = get_sci(body + 4);
    b.actor_mi = get_mi(body + 12);
    b.actor_mn = load_be32(body + 24);
    b.algorithm_agility = load_be32(body + 28);
    if (b.algorithm_agility != algorithm_agility)
        return drop_reason::bad_algorithm_agility;
    b.ckn.assign({body + 32, ckn_len});

    size_t off = set_hdr_len + pad4(blen);
    bool seen[256] = {};
    bool icv_indicator = false;
    while (off < sets_end) {
        if (sets_end - off < set_hdr_len)
            return drop_reason::bad_param_set_length;
        const uint8_t* s = body + off;
        const uint8_t type = s[0];
        const size_t len = static_cast<size_t>(s[2] & 0x0F) << 8 | s[3];
        if (type == static_cast<uint8_t>(param_set_type::icv_indicator)) {
            // The indicator's length is the ICV's; the ICV follows it at once.
            if (len != icv_len || off + set_hdr_len != sets_end)
                return drop_reason::bad_icv_indicator;
            icv_indicator = true;
            off = sets_end;
            break;
        }
        if (set_hdr_len + pad4(len) > sets_end - off)
            return drop_reason::bad_param_set_length;
        if (seen[type])
            return drop_reason::duplicate_param_set;
        seen[type] = true;
        const uint8_t* v = s + set_hdr_len;
        switch (static_cast<param_set_type>(type)) {
        case param_set_type::live_peer_list:
        case param_set_type::potential_peer_list: {
            if (len % 16 != 0)
                return drop_reason::bad_peer_list_length;
            peer_list l;
            l.ks_ssci = type == 1 ? s[1] : 0;
            for (size_t i = 0; i < len; i += 16)
                l.peers.push_back({get_mi(v + i), load_be32(v + i + 12)});
            (type == 1 ? out.pdu.live : out.pdu.potential) = std::move(l);
            break;
        }
        case param_set_type::sak_use: {
            if (len != 0 && len != 40)
                return drop_reason::bad_sak_use_length;
            sak_use u;
            u.latest_an = s[1] >> 6;
            u.latest_tx = (s[1] & 0x20) != 0;
            u.latest_rx = (s[1] & 0x10) != 0;
            u.old_an = (s[1] >> 2) & 3;
            u.old_tx = (s[1] & 0x02) != 0;
            u.old_rx = (s[1] & 0x01) != 0;
            u.plain_tx = (s[2] & 0x80) != 0;
            u.plain_rx = (s[2] & 0x40) != 0;
            u.delay_protect = (s[2] & 0x10) != 0;
            u.has_keys = len == 40;
            if (u.has_keys) {
                u.latest_ki = {get_mi(v), load_be32(v + 12)};
                u.latest_lowest_pn = load_be32(v + 16);
                u.old_ki = {get_mi(v + 20), load_be32(v + 32)};
                u.old_lowest_pn = load_be32(v + 36);
            }
            out.pdu.sak_use = u;
            break;
        }
        case param_set_type::distributed_sak: {
            distributed_sak d;
            d.an = s[1] >> 6;
            d.offset = static_cast<confidentiality_offset>((s[1] >> 4) & 3);
            if (len == 0) {
                d.plain = true;
            } else if (len == 28) {
                d.suite = cipher_suite::gcm_aes_128;
            } else if (len == 36 || len == 52) {
                auto suite = suite_from_id(load_be64(v + 4));
                if (!suite || wrapped_len_for(*suite) != len - 12)
                    return drop_reason::bad_distributed_sak;
                d.suite = *suite;
            } else {
                return drop_reason::bad_distributed_sak;
            }
            if (!d.plain) {
                d.kn = load_be32(v);
                d.wrapped_len = wrapped_len_for(d.suite);
                std::copy(v + len - d.wrapped_len, v + len, d.wrapped.begin());
            }
            out.pdu.distributed_sak = d;
            break;
        }
        case param_set_type::announcement: {
            announcement a;
            size_t t = 0;
            while (t < len) {
                if (len - t < 2)
                    return drop_reason::bad_announcement;
                const uint16_t th = load_be16(v + t);
                const uint16_t ttype = th >> 9;
                const size_t tlen = th & 0x1FF;
                if (tlen > len - t - 2)
                    return drop_reason::bad_announcement;
                if (ttype == cipher_suites_tlv) {
                    if (tlen % 10 != 0)
                        return drop_reason::bad_announcement;
                    for (size_t i = 0; i < tlen; i += 10)
                        a.cipher_suites.push_back(
                            {static_cast<uint8_t>(load_be16(v + t + 2 + i) & 3),
                             load_be64(v + t + 2 + i + 2)});
                }
                // other TLVs (access information, KMD, NID) are not used here
                t += 2 + tlen;
            }
            out.pdu.announcement = std::move(a);
            break;
        }
        case param_set_type::xpn:
            if (len != 8)
                return drop_reason::bad_xpn_length;
            out.pdu.xpn = xpn_parameter_set{s[1], load_be32(v), load_be32(v + 4)};
            break;
        case param_set_type::distributed_cak:
        case param_set_type::kmd:
            break; // well-formed but not used by a pre-shared-key participant
        default:
            // A type no version up to ours defines: only a peer of a later
            // MKA version may send one, and then we ignore it.
            if (b.version <= mka_version)
                return drop_reason::unknown_param_set;
            break;
        }
        off += set_hdr_len + pad4(len);
    }
    if (off != sets_end)
        return drop_reason::bad_param_set_length;
    if (!icv_indicator && off != sets_end)
        return drop_reason::bad_param_set_length;
    const size_t covered = eth_hdr_len + eapol_hdr_len + sets_end;
    out.icv_covered = frame.subspan(0, covered);
    std::copy(p + covered, p + covered + icv_len, out.icv.begin());
    return out;
}

} // namespace lag::mka
