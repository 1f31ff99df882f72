#pragma once
// lib/mka internal: identifiers and constants of IEEE 802.1X-2020 clause 9
// and 11.11. Not for direct inclusion: include "mka/mka.hpp".

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/bytes.hpp"
#include "common/mac_addr.hpp"
#include "common/time.hpp"

namespace lag::mka {

// 96-bit Member Identifier (9.4.2), chosen at random by each participant.
using member_id = std::array<uint8_t, 12>;

// Secure Channel Identifier (802.1AE 8.2.1): a MAC address and a port number.
// Ordered numerically, as the key server election compares them (9.5.1).
struct sci {
    mac_addr addr{};
    uint16_t port = 1;

    constexpr uint64_t value() const noexcept {
        uint64_t v = 0;
        for (auto b : addr.bytes)
            v = v << 8 | b;
        return v << 16 | port;
    }
    constexpr bool operator==(const sci& o) const noexcept { return value() == o.value(); }
    constexpr auto operator<=>(const sci& o) const noexcept { return value() <=> o.value(); }
    std::string to_string() const; // "02:00:00:00:00:01/1"
};

// Key Identifier (9.8.1): the key server's MI and a Key Number.
struct key_identifier {
    member_id mi{};
    uint32_t kn = 0;
    constexpr bool operator==(const key_identifier&) const = default;
};

// A CAK Name: 1 to 32 octets, public (it travels in the clear in every MKPDU).
struct ckn {
    std::array<uint8_t, 32> bytes{};
    size_t len = 0;

    std::span<const uint8_t> view() const noexcept { return {bytes.data(), len}; }
    bool assign(std::span<const uint8_t> b) noexcept;
    bool operator==(const ckn& o) const noexcept;
};

// Fixed values of the protocol.
inline constexpr uint16_t eapol_ethertype = 0x888E;
inline constexpr uint8_t eapol_version = 3;       // 802.1X-2010 and later
inline constexpr uint8_t eapol_type_mka = 5;      // EAPOL-MKA (Table 11-3)
inline constexpr uint8_t mka_version = 3;         // 802.1X-2020 (XPN, KS SSCI)
inline constexpr uint32_t algorithm_agility = 0x0080C201; // AES-CMAC-128/256 (Table 9-1)
inline constexpr mac_addr pae_group_address{{0x01, 0x80, 0xC2, 0x00, 0x00, 0x03}};
inline constexpr size_t icv_len = 16;
inline constexpr size_t max_ckn_len = 32;

// Timers (Table 9-3).
inline constexpr duration mka_hello_time = milliseconds(2000);
inline constexpr duration mka_life_time = milliseconds(6000);

// Key server priority 0xFF means "never the key server" (9.5.1).
inline constexpr uint8_t not_key_server_priority = 0xFF;

// MACsec capability (Table 11-6) and confidentiality offset (Figure 11-11).
enum class macsec_capability : uint8_t {
    not_implemented = 0,
    integrity_only = 1,
    integrity_and_confidentiality = 2,
    integrity_and_confidentiality_offsets = 3,
};

enum class confidentiality_offset : uint8_t {
    none = 0,      // integrity only
    offset_0 = 1,
    offset_30 = 2,
    offset_50 = 3,
};

constexpr unsigned offset_bytes(confidentiality_offset c) {
    switch (c) {
    case confidentiality_offset::offset_30: return 30;
    case confidentiality_offset::offset_50: return 50;
    default: return 0;
    }
}

} // namespace lag::mka
