// Fuzz target: an MKPDU as received (lib/mka's decoder). Every input is either
// decoded or refused with a drop reason; views never point outside the input.
#include "mka/mka.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // An exact-size copy, so that ASan sees any read past the end.
    std::unique_ptr<uint8_t[]> buf(new uint8_t[size ? size : 1]);
    if (size)
        std::memcpy(buf.get(), data, size);
    std::span<const uint8_t> frame(buf.get(), size);
    auto r = lag::mka::decode_frame(frame);
    (void)r;
    return 0;
}
