#include "lag/profile.hpp"

#include <fmt/format.h>

namespace lag::model {

std::optional<port_speed> parse_port_speed(std::string_view s) {
    for (auto sp : {port_speed::g1, port_speed::g10, port_speed::g100})
        if (to_string(sp) == s)
            return sp;
    // Accept the lower-case spelling too ("10g").
    if (s == "1g")
        return port_speed::g1;
    if (s == "10g")
        return port_speed::g10;
    if (s == "100g")
        return port_speed::g100;
    return std::nullopt;
}

namespace {
constexpr uint8_t all_suites = suite_bit(cipher_suite::gcm_aes_128) |
                               suite_bit(cipher_suite::gcm_aes_256) |
                               suite_bit(cipher_suite::gcm_aes_xpn_128) |
                               suite_bit(cipher_suite::gcm_aes_xpn_256);

constexpr profile provider{
    .name = "provider",
    .max_members = {4, 4, 2},
    .cak_128_allowed = false,
    .cak_256_allowed = true,
    .sci_required = true,
    .suites = {suite_bit(cipher_suite::gcm_aes_256) | suite_bit(cipher_suite::gcm_aes_xpn_256),
               suite_bit(cipher_suite::gcm_aes_256) | suite_bit(cipher_suite::gcm_aes_xpn_256),
               suite_bit(cipher_suite::gcm_aes_xpn_256)},
};

constexpr profile ieee{
    .name = "ieee",
    .max_members = {8, 8, 8},
    .cak_128_allowed = true,
    .cak_256_allowed = true,
    .sci_required = false,
    .suites = {all_suites, all_suites, all_suites},
};
} // namespace

const profile& provider_profile() { return provider; }
const profile& ieee_profile() { return ieee; }

const profile* find_profile(std::string_view name) {
    if (name == provider.name)
        return &provider;
    if (name == ieee.name)
        return &ieee;
    return nullptr;
}

result<void> check_macsec(const profile& p, port_speed speed, cipher_suite suite, size_t cak_len,
                          bool include_sci) {
    if (cak_len == 16 && !p.cak_128_allowed)
        return make_error("cak-length",
                          fmt::format("profile {} accepts only 256-bit CAKs", p.name));
    if (cak_len == 32 && !p.cak_256_allowed)
        return make_error("cak-length",
                          fmt::format("profile {} does not accept 256-bit CAKs", p.name));
    if (cak_len != 16 && cak_len != 32)
        return make_error("cak-length", fmt::format("a CAK is 16 or 32 bytes, not {}", cak_len));
    if ((p.suites[index(speed)] & suite_bit(suite)) == 0)
        return make_error("cipher-suite",
                          fmt::format("profile {} does not allow {} on {} members", p.name,
                                      to_string(suite), to_string(speed)));
    if (p.sci_required && !include_sci)
        return make_error("sci-required",
                          fmt::format("profile {} requires the SCI in every SecTAG", p.name));
    return ok_v;
}

} // namespace lag::model
