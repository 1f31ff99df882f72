#pragma once
// Byte views and big-endian (network order) access for codecs. Readers never
// read past the view: callers check sizes first and codecs return parse
// errors instead of asserting.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lag {

using byte_view = std::span<const uint8_t>;
using byte_span = std::span<uint8_t>;
using bytes = std::vector<uint8_t>;

constexpr uint16_t load_be16(const uint8_t* p) noexcept {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
constexpr uint32_t load_be32(const uint8_t* p) noexcept {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}
constexpr uint64_t load_be64(const uint8_t* p) noexcept {
    return uint64_t{load_be32(p)} << 32 | load_be32(p + 4);
}
constexpr void store_be16(uint8_t* p, uint16_t v) noexcept {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
constexpr void store_be32(uint8_t* p, uint32_t v) noexcept {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}
constexpr void store_be64(uint8_t* p, uint64_t v) noexcept {
    store_be32(p, static_cast<uint32_t>(v >> 32));
    store_be32(p + 4, static_cast<uint32_t>(v));
}

// The value of one hex digit, or -1.
constexpr int hex_nibble(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Hex for tests and diagnostics. Never used on key material (see
// common/secret.hpp, which has no accessor that formats).
std::string to_hex(byte_view b);
std::optional<bytes> from_hex(std::string_view s);

} // namespace lag
