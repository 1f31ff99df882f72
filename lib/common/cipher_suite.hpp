#pragma once
// MACsec cipher suites (IEEE 802.1AE-2018 clause 14) and their 64-bit
// identifiers as carried in MKPDUs. Shared by the LAG profile, the SecY
// model and MKA.

#include <cstdint>
#include <optional>
#include <string_view>

namespace lag {

enum class cipher_suite : uint8_t {
    gcm_aes_128,
    gcm_aes_256,
    gcm_aes_xpn_128,
    gcm_aes_xpn_256,
};

inline constexpr cipher_suite all_cipher_suites[] = {
    cipher_suite::gcm_aes_128, cipher_suite::gcm_aes_256, cipher_suite::gcm_aes_xpn_128,
    cipher_suite::gcm_aes_xpn_256};

constexpr std::string_view to_string(cipher_suite c) {
    switch (c) {
    case cipher_suite::gcm_aes_128: return "gcm-aes-128";
    case cipher_suite::gcm_aes_256: return "gcm-aes-256";
    case cipher_suite::gcm_aes_xpn_128: return "gcm-aes-xpn-128";
    case cipher_suite::gcm_aes_xpn_256: return "gcm-aes-xpn-256";
    }
    return "?";
}

constexpr std::optional<cipher_suite> parse_cipher_suite(std::string_view s) {
    for (auto c : all_cipher_suites)
        if (to_string(c) == s)
            return c;
    return std::nullopt;
}

constexpr uint64_t cipher_suite_id(cipher_suite c) {
    switch (c) {
    case cipher_suite::gcm_aes_128: return 0x0080C20001000001ull;
    case cipher_suite::gcm_aes_256: return 0x0080C20001000002ull;
    case cipher_suite::gcm_aes_xpn_128: return 0x0080C20001000003ull;
    case cipher_suite::gcm_aes_xpn_256: return 0x0080C20001000004ull;
    }
    return 0;
}

constexpr size_t key_length(cipher_suite c) {
    return (c == cipher_suite::gcm_aes_128 || c == cipher_suite::gcm_aes_xpn_128) ? 16 : 32;
}

constexpr bool is_xpn(cipher_suite c) {
    return c == cipher_suite::gcm_aes_xpn_128 || c == cipher_suite::gcm_aes_xpn_256;
}

} // namespace lag
