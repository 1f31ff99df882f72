#include "mka/types.hpp"

#include <cstdio>

namespace lag::mka {

std::string sci::to_string() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "/%u", static_cast<unsigned>(port));
    return addr.to_string() + buf;
}

bool ckn::assign(std::span<const uint8_t> b) noexcept {
    if (b.empty() || b.size() > bytes.size())
        return false;
    bytes = {};
    for (size_t i = 0; i < b.size(); ++i)
        bytes[i] = b[i];
    len = b.size();
    return true;
}

bool ckn::operator==(const ckn& o) const noexcept {
    if (len != o.len)
        return false;
    for (size_t i = 0; i < len; ++i)
        if (bytes[i] != o.bytes[i])
            return false;
    return true;
}

} // namespace lag::mka
