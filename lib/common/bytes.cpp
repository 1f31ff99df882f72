#include "common/bytes.hpp"

namespace lag {

std::string to_hex(byte_view b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(b.size() * 2);
    for (uint8_t v : b) {
        s.push_back(digits[v >> 4]);
        s.push_back(digits[v & 0xf]);
    }
    return s;
}

std::optional<bytes> from_hex(std::string_view s) {
    bytes out;
    out.reserve(s.size() / 2);
    int hi = -1;
    for (char c : s) {
        if (c == ' ' || c == ':' || c == '\n' || c == '\t')
            continue;
        int n = hex_nibble(c);
        if (n < 0)
            return std::nullopt;
        if (hi < 0) {
            hi = n;
        } else {
            out.push_back(static_cast<uint8_t>(hi << 4 | n));
            hi = -1;
        }
    }
    if (hi >= 0)
        return std::nullopt;
    return out;
}

} // namespace lag
