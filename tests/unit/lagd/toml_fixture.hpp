#pragma once
// The config the [lag.macsec] unit tests start from: a profile line, an
// access port "acc" and members m0 .. m<n-1> (net_null), LAG "lag0" over
// them, then the "[lag.macsec]" header on line 3 * n + 9 (line 12 for one
// member, 15 for two), which the tests' line numbers count from.
#include <string>

namespace lag::lagd::test {

inline std::string macsec_lag_toml(const std::string& profile, unsigned members) {
    std::string s = "profile = \"" + profile + "\"\n[[port]]\nname = \"acc\"\ndevice = \"net_null0\"\n";
    std::string names;
    for (unsigned i = 0; i < members; ++i) {
        s += "[[port]]\nname = \"m" + std::to_string(i) + "\"\ndevice = \"net_null" + std::to_string(i + 1) + "\"\n";
        names += (i ? ", \"m" : "\"m") + std::to_string(i) + "\"";
    }
    return s + "[[lag]]\nname = \"lag0\"\naccess = \"acc\"\nmembers = [" + names + "]\n[lag.macsec]\n";
}

} // namespace lag::lagd::test
