// Fuzz target: a control-socket / CLI line.
#include "cli/cli.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view line(reinterpret_cast<const char*>(data), size);
    auto r = lag::cli::parse_line(line);
    if (!r && r.err().message.empty())
        std::abort(); // every refusal says why
    (void)lag::cli::complete(line);
    return 0;
}
