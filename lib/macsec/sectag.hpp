#pragma once
// SecTAG codec (IEEE 802.1AE-2018 clause 9). Internal to lib/macsec: include
// "macsec/macsec.hpp".
//
//   octets 1-2  MACsec EtherType 0x88E5
//   octet  3    TCI/AN: V(0x80) ES(0x40) SC(0x20) SCB(0x10) E(0x08) C(0x04) AN(0x03)
//   octet  4    SL: 2 reserved bits, 6-bit short length (0 when >= 48 octets)
//   octets 5-8  PN (the low 32 bits of the PN for the XPN suites)
//   octets 9-16 SCI, present only when SC is set
//
// Parsing is strict and total: any input yields a sectag or exactly one
// sectag_error, never a read past the view.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/bytes.hpp"
#include "common/mac_addr.hpp"

namespace lag::macsec {

inline constexpr uint16_t macsec_ethertype = 0x88E5;
inline constexpr size_t mac_addrs_len = 12; // DA + SA
inline constexpr size_t icv_len = 16;
inline constexpr size_t sectag_len_no_sci = 8;
inline constexpr size_t sectag_len_sci = 16;
inline constexpr size_t max_short_length = 47; // SL is used below 48 octets

// Secure Channel Identifier: 48-bit system MAC address then 16-bit port.
using sci_t = uint64_t;
constexpr sci_t make_sci(const mac_addr& m, uint16_t port) noexcept {
    sci_t s = 0;
    for (auto b : m.bytes)
        s = s << 8 | b;
    return s << 16 | port;
}
// The SCI a frame with ES set and SC clear implies (9.9): source MAC, port 1.
inline constexpr uint16_t es_port_id = 1;

namespace tci {
inline constexpr uint8_t v = 0x80;
inline constexpr uint8_t es = 0x40;
inline constexpr uint8_t sc = 0x20;
inline constexpr uint8_t scb = 0x10;
inline constexpr uint8_t e = 0x08;
inline constexpr uint8_t c = 0x04;
inline constexpr uint8_t an_mask = 0x03;
} // namespace tci

struct sectag {
    bool es = false;
    bool sc = false;
    bool scb = false;
    bool e = false;
    bool c = false;
    uint8_t an = 0;  // 0..3
    uint8_t sl = 0;  // 0..47
    uint32_t pn = 0; // as carried (low 32 bits for XPN)
    sci_t sci = 0;   // meaningful when sc

    constexpr size_t size() const noexcept { return sc ? sectag_len_sci : sectag_len_no_sci; }
    constexpr uint8_t tci_an() const noexcept {
        return static_cast<uint8_t>((es ? tci::es : 0) | (sc ? tci::sc : 0) | (scb ? tci::scb : 0) |
                                    (e ? tci::e : 0) | (c ? tci::c : 0) | (an & tci::an_mask));
    }
    constexpr bool operator==(const sectag&) const = default;
};

// Why a frame's SecTAG is not acceptable (802.1AE-2018 9.12, 10.6.1 a-g).
enum class sectag_error : uint8_t {
    none,
    too_short,         // not even DA, SA, EtherType and the 6 fixed SecTAG octets
    not_macsec,        // EtherType is not 0x88E5 (an untagged frame)
    version,           // V bit set
    es_and_sc,         // ES set together with SC
    scb_and_sc,        // SCB set together with SC
    e_without_c,       // E set, C clear (reserved for the KaY)
    reserved_sl_bits,  // the two high bits of the SL octet are not zero
    no_room_for_sci,   // SC set but the frame ends inside the SCI
    no_room_for_icv,   // fewer octets than SecTAG + 1 + ICV
    short_length,      // SL nonzero but larger than the secure data, or >= 48
    long_without_sl,   // SL zero but fewer than 48 octets of secure data
};

constexpr std::string_view to_string(sectag_error e) {
    switch (e) {
    case sectag_error::none: return "none";
    case sectag_error::too_short: return "too_short";
    case sectag_error::not_macsec: return "not_macsec";
    case sectag_error::version: return "version";
    case sectag_error::es_and_sc: return "es_and_sc";
    case sectag_error::scb_and_sc: return "scb_and_sc";
    case sectag_error::e_without_c: return "e_without_c";
    case sectag_error::reserved_sl_bits: return "reserved_sl_bits";
    case sectag_error::no_room_for_sci: return "no_room_for_sci";
    case sectag_error::no_room_for_icv: return "no_room_for_icv";
    case sectag_error::short_length: return "short_length";
    case sectag_error::long_without_sl: return "long_without_sl";
    }
    return "?";
}

struct parsed_frame {
    sectag tag;
    size_t secure_len = 0; // octets between the SecTAG and the ICV (SL when set)
};

// Parses a whole Ethernet frame (DA, SA, SecTAG, secure data, ICV, and any
// padding after the ICV when SL is set).
sectag_error parse_frame(byte_view frame, parsed_frame& out) noexcept;

// Writes EtherType + SecTAG (8 or 16 octets) at p. Returns octets written.
inline size_t write_sectag(uint8_t* p, const sectag& t) noexcept {
    store_be16(p, macsec_ethertype);
    p[2] = t.tci_an();
    p[3] = t.sl & 0x3F;
    store_be32(p + 4, t.pn);
    if (t.sc)
        store_be64(p + 8, t.sci);
    return t.size();
}

} // namespace lag::macsec
