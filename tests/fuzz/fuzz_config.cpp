// Fuzz target: a dpdk-lagd configuration file. Every input is accepted or
// refused with a rule code and a message; an accepted one is checked against
// the LAG model, which must keep its invariants.
#include "config.hpp"

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto c = lag::lagd::parse_config(text, "<fuzz>");
    if (!c) {
        if (c.err().code.empty() || c.err().message.empty())
            std::abort();
        return 0;
    }
    lag::model::lag_model m;
    auto ok = lag::lagd::check_config(*c, m);
    if (!ok && ok.err().code.empty())
        std::abort();
    if (!m.check_invariants())
        std::abort();
    return 0;
}
