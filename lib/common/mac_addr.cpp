#include "common/mac_addr.hpp"

#include "common/bytes.hpp"

#include <fmt/format.h>

namespace lag {

std::optional<mac_addr> mac_addr::parse(std::string_view s) noexcept {
    if (s.size() != 17)
        return std::nullopt;
    mac_addr m;
    for (size_t i = 0; i < 6; ++i) {
        int hi = hex_nibble(s[i * 3]);
        int lo = hex_nibble(s[i * 3 + 1]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        if (i < 5 && s[i * 3 + 2] != ':' && s[i * 3 + 2] != '-')
            return std::nullopt;
        m.bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return m;
}

std::string mac_addr::to_string() const {
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes[0], bytes[1], bytes[2],
                       bytes[3], bytes[4], bytes[5]);
}

} // namespace lag
