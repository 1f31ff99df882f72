// Fuzz target: a control-socket reply as lagctl reads it (lib/sock). A frame
// is consumed whole or not at all, never past the buffer; a malformed header
// is an error, not a crash.
#include "sock/sock.hpp"

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view buf(reinterpret_cast<const char*>(data), size);
    lag::sock::reply r;
    auto used = lag::sock::parse_frame(buf, r);
    if (used && *used > size)
        std::abort();
    if (used && *used > 0 && lag::sock::frame(r).size() != *used)
        std::abort(); // what was read re-frames to the same bytes
    return 0;
}
