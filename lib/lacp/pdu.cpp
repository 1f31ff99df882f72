#include "lacp/pdu.hpp"

namespace lag::lacp {

namespace {

mac_addr load_mac(const uint8_t* p) noexcept {
    mac_addr m;
    for (size_t i = 0; i < 6; ++i)
        m.bytes[i] = p[i];
    return m;
}

void store_mac(uint8_t* p, const mac_addr& m) noexcept {
    for (size_t i = 0; i < 6; ++i)
        p[i] = m.bytes[i];
}

// Actor/Partner Information value: 18 octets after type and length.
port_info load_port_info(const uint8_t* p) noexcept {
    port_info i;
    i.system_priority = load_be16(p);
    i.system = load_mac(p + 2);
    i.key = load_be16(p + 8);
    i.port_priority = load_be16(p + 10);
    i.port = load_be16(p + 12);
    i.state = p[14];
    return i; // p[15..17] reserved, ignored on receipt
}

void store_port_info(uint8_t* p, uint8_t type, const port_info& i) noexcept {
    p[0] = type;
    p[1] = port_info_tlv_len;
    store_be16(p + 2, i.system_priority);
    store_mac(p + 4, i.system);
    store_be16(p + 10, i.key);
    store_be16(p + 12, i.port_priority);
    store_be16(p + 14, i.port);
    p[16] = i.state;
}

void store_header(uint8_t* p, const mac_addr& src, uint8_t subtype) noexcept {
    store_mac(p, slow_protocols_multicast);
    store_mac(p + 6, src);
    store_be16(p + 12, slow_protocols_ethertype);
    p[14] = subtype;
    p[15] = 1; // version
}

decoded decode_lacp(const uint8_t* f, size_t n, const mac_addr& src) noexcept {
    // Offsets from the start of the frame.
    constexpr size_t actor_at = 16, partner_at = 36, collector_at = 56, terminator_at = 72;
    lacpdu pdu;
    pdu.source = src;
    pdu.version = f[15];
    if (pdu.version == 0)
        return parse_error::bad_version;
    if (f[actor_at] != tlv_actor)
        return parse_error::bad_actor_tlv_type;
    if (f[actor_at + 1] != port_info_tlv_len)
        return parse_error::bad_actor_tlv_length;
    if (f[partner_at] != tlv_partner)
        return parse_error::bad_partner_tlv_type;
    if (f[partner_at + 1] != port_info_tlv_len)
        return parse_error::bad_partner_tlv_length;
    if (f[collector_at] != tlv_collector)
        return parse_error::bad_collector_tlv_type;
    if (f[collector_at + 1] != collector_tlv_len)
        return parse_error::bad_collector_tlv_length;
    pdu.actor = load_port_info(f + actor_at + 2);
    pdu.partner = load_port_info(f + partner_at + 2);
    pdu.collector_max_delay = load_be16(f + collector_at + 2);

    if (pdu.version == 1) {
        if (f[terminator_at] != tlv_terminator || f[terminator_at + 1] != 0)
            return parse_error::bad_terminator;
        return pdu;
    }
    // Version 2 or later: walk the TLVs that follow, up to the Terminator.
    size_t at = terminator_at;
    for (;;) {
        if (at + 2 > n)
            return parse_error::missing_terminator;
        uint8_t type = f[at], len = f[at + 1];
        if (type == tlv_terminator && len == 0)
            return pdu;
        if (len < 2 || at + len > n)
            return parse_error::bad_tlv_length;
        at += len;
    }
}

decoded decode_marker(const uint8_t* f, const mac_addr& src) noexcept {
    marker_pdu pdu;
    pdu.source = src;
    pdu.version = f[15];
    if (pdu.version == 0)
        return parse_error::bad_version;
    const uint8_t* t = f + 16;
    if (t[0] != tlv_marker_information && t[0] != tlv_marker_response)
        return parse_error::bad_marker_tlv_type;
    if (t[1] != marker_tlv_len)
        return parse_error::bad_marker_tlv_length;
    pdu.response = t[0] == tlv_marker_response;
    pdu.requester_port = load_be16(t + 2);
    pdu.requester_system = load_mac(t + 4);
    pdu.requester_transaction_id = load_be32(t + 10);
    // t[14..15] pad. Later versions may append TLVs: only version 1 insists on
    // the Terminator being in place.
    if (pdu.version == 1 && (t[16] != tlv_terminator || t[17] != 0))
        return parse_error::bad_terminator;
    return pdu;
}

} // namespace

decoded decode(byte_view frame) noexcept {
    const uint8_t* f = frame.data();
    const size_t n = frame.size();
    if (n < ether_header_len + 2)
        return parse_error::too_short;
    if (n > max_frame_len)
        return parse_error::too_long;
    if (load_be16(f + 12) != slow_protocols_ethertype)
        return parse_error::not_slow_protocols;
    if (load_mac(f) != slow_protocols_multicast)
        return parse_error::bad_destination;
    mac_addr src = load_mac(f + 6);
    if (src.is_multicast() || src.is_zero())
        return parse_error::bad_source;
    uint8_t subtype = f[14];
    if (subtype != subtype_lacp && subtype != subtype_marker)
        return parse_error::unknown_subtype;
    if (n < frame_len)
        return parse_error::too_short;
    return subtype == subtype_lacp ? decode_lacp(f, n, src) : decode_marker(f, src);
}

frame encode(const lacpdu& pdu) noexcept {
    frame out;
    uint8_t* p = out.data.data();
    store_header(p, pdu.source, subtype_lacp);
    store_port_info(p + 16, tlv_actor, pdu.actor);
    store_port_info(p + 36, tlv_partner, pdu.partner);
    p[56] = tlv_collector;
    p[57] = collector_tlv_len;
    store_be16(p + 58, pdu.collector_max_delay);
    // p[72], p[73]: Terminator (0, 0); then 50 reserved octets, all zero.
    return out;
}

frame encode(const marker_pdu& pdu) noexcept {
    frame out;
    uint8_t* p = out.data.data();
    store_header(p, pdu.source, subtype_marker);
    p[16] = pdu.response ? tlv_marker_response : tlv_marker_information;
    p[17] = marker_tlv_len;
    store_be16(p + 18, pdu.requester_port);
    store_mac(p + 20, pdu.requester_system);
    store_be32(p + 26, pdu.requester_transaction_id);
    // p[30..31] pad, p[32..33] Terminator, then 90 reserved octets: all zero.
    return out;
}

} // namespace lag::lacp
