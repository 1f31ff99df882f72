#pragma once
// The rules a LAG must follow, in one object. The default is the provider's
// dedicated-connection profile; ieee_profile() is what IEEE 802.1AX and
// 802.1AE alone allow, for partners that use more. Changing a limit is a
// one-line change here.
//
// Not for direct inclusion: use "lag/lag.hpp".

#include "common/cipher_suite.hpp"
#include "common/result.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lag::model {

enum class port_speed : uint8_t { g1, g10, g100 };
inline constexpr size_t port_speed_count = 3;

constexpr std::string_view to_string(port_speed s) {
    switch (s) {
    case port_speed::g1: return "1G";
    case port_speed::g10: return "10G";
    case port_speed::g100: return "100G";
    }
    return "?";
}
std::optional<port_speed> parse_port_speed(std::string_view s);
constexpr uint32_t speed_mbps(port_speed s) {
    switch (s) {
    case port_speed::g1: return 1'000;
    case port_speed::g10: return 10'000;
    case port_speed::g100: return 100'000;
    }
    return 0;
}
constexpr size_t index(port_speed s) { return static_cast<size_t>(s); }

// Bit mask over cipher_suite.
constexpr uint8_t suite_bit(cipher_suite c) { return static_cast<uint8_t>(1u << static_cast<unsigned>(c)); }

struct profile {
    std::string_view name;
    // Members allowed per LAG, by member speed; 0 means the speed is not allowed.
    std::array<unsigned, port_speed_count> max_members;
    // MACsec: which CAK lengths (bytes) are accepted.
    bool cak_128_allowed;
    bool cak_256_allowed;
    // The SecTAG always carries the SCI.
    bool sci_required;
    // Cipher suites allowed, by member speed.
    std::array<uint8_t, port_speed_count> suites;
};

// The provider's rules: 1, 10 or 100 Gbps dedicated ports, at most two 100G
// or four slower members; 256-bit CAKs only, SCI always in the SecTAG;
// GCM-AES-256 or GCM-AES-XPN-256 on 10G, only GCM-AES-XPN-256 on 100G.
const profile& provider_profile();
// IEEE 802.1AX/802.1AE: eight members at any speed, every suite, 128-bit keys.
const profile& ieee_profile();
const profile* find_profile(std::string_view name);

// Checks a MACsec configuration against a profile for members of this speed.
result<void> check_macsec(const profile& p, port_speed speed, cipher_suite suite,
                          size_t cak_len, bool include_sci);

} // namespace lag::model
