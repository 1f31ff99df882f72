// Fuzz target: a received frame's SecTAG (lib/macsec). A parse either fails
// with a named error or describes secure data that lies inside the frame.
#include "macsec/macsec.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::unique_ptr<uint8_t[]> buf(new uint8_t[size ? size : 1]);
    if (size)
        std::memcpy(buf.get(), data, size);
    lag::macsec::parsed_frame out{};
    auto e = lag::macsec::parse_frame(lag::byte_view(buf.get(), size), out);
    if (e == lag::macsec::sectag_error::none && out.secure_len > size)
        std::abort();
    (void)lag::macsec::to_string(e);
    return 0;
}
