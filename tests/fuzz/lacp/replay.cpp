// Runs the libFuzzer target under g++ without libFuzzer: the seed frames,
// then a fixed number of seeded random mutations of them (suite 'fuzz').
// Any property broken aborts the process.
#include "lacp/lacp.hpp"

#include <cstdio>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
    using namespace lag;
    using namespace lag::lacp;
    long iterations = argc > 1 ? std::atol(argv[1]) : 20'000;
    lacpdu l;
    l.source = *mac_addr::parse("02:00:00:00:0b:01");
    l.actor = {0x8000, *mac_addr::parse("02:00:00:00:0b:00"), 1, 0x80, 1, 0x3f};
    l.partner = {0x8000, *mac_addr::parse("02:00:00:00:0a:00"), 1, 0x8000, 1, 0x3d};
    marker_pdu m;
    m.source = l.source;
    std::vector<bytes> seeds;
    for (const frame& f : {encode(l), encode(m)}) {
        seeds.emplace_back(f.data.begin(), f.data.end());
        // As a machine record: len, port 0, +200 ms, frame.
        bytes rec{static_cast<uint8_t>(f.data.size()), 0, 200};
        rec.insert(rec.end(), f.data.begin(), f.data.end());
        bytes twice = rec;
        twice.insert(twice.end(), rec.begin(), rec.end());
        seeds.push_back(twice);
    }
    std::mt19937_64 rng(7);
    long runs = 0;
    for (const auto& s : seeds) {
        LLVMFuzzerTestOneInput(s.data(), s.size());
        ++runs;
    }
    for (long i = 0; i < iterations; ++i) {
        bytes b = seeds[rng() % seeds.size()];
        for (int e = 0, n = 1 + static_cast<int>(rng() % 8); e < n && !b.empty(); ++e) {
            switch (rng() % 4) {
            case 0: b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
            case 1: b[rng() % b.size()] = static_cast<uint8_t>(rng()); break;
            case 2: b.resize(rng() % (b.size() + 1)); break;
            case 3: b.insert(b.begin() + static_cast<long>(rng() % (b.size() + 1)), static_cast<uint8_t>(rng())); break;
            }
        }
        LLVMFuzzerTestOneInput(b.data(), b.size());
        ++runs;
    }
    std::printf("lacp fuzz replay: %ld inputs, no property broken\n", runs);
    return 0;
}
