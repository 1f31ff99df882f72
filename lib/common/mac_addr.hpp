#pragma once
// Ethernet MAC address: a value type, parse and format.

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lag {

struct mac_addr {
    std::array<uint8_t, 6> bytes{};

    constexpr auto operator<=>(const mac_addr&) const = default;

    constexpr bool is_zero() const noexcept {
        for (auto b : bytes)
            if (b != 0)
                return false;
        return true;
    }
    constexpr bool is_multicast() const noexcept { return (bytes[0] & 1) != 0; }

    // "aa:bb:cc:dd:ee:ff" (also accepts '-' separators).
    static std::optional<mac_addr> parse(std::string_view s) noexcept;
    std::string to_string() const;
};

} // namespace lag
