#pragma once
// Slow Protocols PDUs of IEEE 802.1AX: the LACPDU (subtype 1, 6.4.2) and the
// Marker PDU (subtype 2, 6.5.3), as whole Ethernet frames (destination
// 01-80-C2-00-00-02, source, EtherType 0x8809, subtype, ...).
//
// Decoding is strict: every wrong length, version, TLV type or TLV length is
// a named parse_error that the caller counts, never an assertion. Version 1
// is decoded field by field; a higher version must carry the version 1 TLVs
// in place, and any TLVs it adds after them (802.1AX-2014 version 2: Port
// Algorithm, Conversation ID Digest, masks, ...) are walked, checked for
// sane lengths and ignored.
//
// Not for direct inclusion: use "lacp/lacp.hpp".

#include "common/bytes.hpp"
#include "common/mac_addr.hpp"
#include "lacp/types.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

namespace lag::lacp {

inline constexpr mac_addr slow_protocols_multicast{{0x01, 0x80, 0xC2, 0x00, 0x00, 0x02}};
inline constexpr uint16_t slow_protocols_ethertype = 0x8809;
inline constexpr uint8_t subtype_lacp = 0x01;
inline constexpr uint8_t subtype_marker = 0x02;

inline constexpr size_t ether_header_len = 14;
// Both PDUs are 110 octets from the subtype to the end of the reserved field.
inline constexpr size_t pdu_len = 110;
inline constexpr size_t frame_len = ether_header_len + pdu_len; // 124
// Largest frame accepted (untagged, no FCS).
inline constexpr size_t max_frame_len = 1514;

// TLV types and lengths (6.4.2.3, 6.5.3.3).
inline constexpr uint8_t tlv_terminator = 0x00;
inline constexpr uint8_t tlv_actor = 0x01;
inline constexpr uint8_t tlv_partner = 0x02;
inline constexpr uint8_t tlv_collector = 0x03;
inline constexpr uint8_t tlv_marker_information = 0x01;
inline constexpr uint8_t tlv_marker_response = 0x02;
inline constexpr uint8_t port_info_tlv_len = 20;
inline constexpr uint8_t collector_tlv_len = 16;
inline constexpr uint8_t marker_tlv_len = 16;

// Every reason a received slow-protocols frame is dropped, one counter each
// (the style of VPP's foreach_lacp_error).
#define LAG_LACP_FOREACH_PARSE_ERROR(_)                                                            \
    _(too_short, "frame shorter than a whole PDU")                                                 \
    _(too_long, "frame longer than an untagged Ethernet frame")                                    \
    _(bad_destination, "destination is not the Slow Protocols multicast address")                  \
    _(bad_source, "source address is multicast or zero")                                           \
    _(not_slow_protocols, "EtherType is not 0x8809")                                               \
    _(unknown_subtype, "Slow Protocols subtype is neither LACP (1) nor Marker (2)")                \
    _(bad_version, "version number 0")                                                             \
    _(bad_actor_tlv_type, "first TLV is not Actor Information (1)")                                \
    _(bad_actor_tlv_length, "Actor Information length is not 20")                                  \
    _(bad_partner_tlv_type, "second TLV is not Partner Information (2)")                           \
    _(bad_partner_tlv_length, "Partner Information length is not 20")                              \
    _(bad_collector_tlv_type, "third TLV is not Collector Information (3)")                        \
    _(bad_collector_tlv_length, "Collector Information length is not 16")                          \
    _(bad_terminator, "version 1 PDU without a Terminator (0, 0) in place")                        \
    _(bad_tlv_length, "a further TLV has length below 2 or runs past the frame")                   \
    _(missing_terminator, "TLV list ends without a Terminator")                                    \
    _(bad_marker_tlv_type, "Marker TLV is neither Information (1) nor Response (2)")               \
    _(bad_marker_tlv_length, "Marker TLV length is not 16")

enum class parse_error : uint8_t {
#define LAG_LACP_ENUM(name, text) name,
    LAG_LACP_FOREACH_PARSE_ERROR(LAG_LACP_ENUM)
#undef LAG_LACP_ENUM
};
inline constexpr size_t parse_error_count = 0
#define LAG_LACP_COUNT(name, text) +1
    LAG_LACP_FOREACH_PARSE_ERROR(LAG_LACP_COUNT)
#undef LAG_LACP_COUNT
    ;

constexpr std::string_view to_string(parse_error e) {
    switch (e) {
#define LAG_LACP_NAME(name, text)                                                                  \
    case parse_error::name: return #name;
        LAG_LACP_FOREACH_PARSE_ERROR(LAG_LACP_NAME)
#undef LAG_LACP_NAME
    }
    return "?";
}
constexpr std::string_view describe(parse_error e) {
    switch (e) {
#define LAG_LACP_TEXT(name, text)                                                                  \
    case parse_error::name: return text;
        LAG_LACP_FOREACH_PARSE_ERROR(LAG_LACP_TEXT)
#undef LAG_LACP_TEXT
    }
    return "?";
}

struct lacpdu {
    mac_addr source;
    uint8_t version = 1;
    port_info actor;
    port_info partner;
    uint16_t collector_max_delay = 0;

    constexpr bool operator==(const lacpdu&) const = default;
};

struct marker_pdu {
    mac_addr source;
    uint8_t version = 1;
    bool response = false; // Marker Response (TLV 2) rather than Information (TLV 1)
    uint16_t requester_port = 0;
    mac_addr requester_system;
    uint32_t requester_transaction_id = 0;

    constexpr bool operator==(const marker_pdu&) const = default;
};

using decoded = std::variant<lacpdu, marker_pdu, parse_error>;

// Decodes one whole Ethernet frame. Never reads outside `frame`.
decoded decode(byte_view frame) noexcept;

// An encoded frame: fixed size, no allocation.
struct frame {
    std::array<uint8_t, frame_len> data{};
    byte_view view() const noexcept { return {data.data(), data.size()}; }
    bool operator==(const frame&) const = default;
};

// Version 1 encodings: TLVs in order, terminator, reserved octets zero.
frame encode(const lacpdu& pdu) noexcept;
frame encode(const marker_pdu& pdu) noexcept;

} // namespace lag::lacp
