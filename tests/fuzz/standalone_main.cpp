// Drives a libFuzzer target without libFuzzer, so g++ builds and the test
// suite can run every fuzz target for a short, fixed, reproducible number of
// iterations: each corpus file as is, then seeded random mutations of them
// (bit flips, byte sets, truncation, splices, insertions).
//
//   fuzz_<name> [--iterations N] [--seed S] CORPUS_DIR_OR_FILE...
//
// scripts/fuzz.sh builds the same targets with clang's -fsanitize=fuzzer for
// real coverage-guided runs.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<uint8_t> read_file(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void mutate(std::vector<uint8_t>& d, const std::vector<std::vector<uint8_t>>& corpus,
            std::mt19937_64& rng) {
    auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
    int rounds = 1 + static_cast<int>(pick(4));
    for (int r = 0; r < rounds; ++r) {
        switch (pick(7)) {
        case 0:
            if (!d.empty())
                d[pick(d.size())] ^= static_cast<uint8_t>(1u << pick(8));
            break;
        case 1:
            if (!d.empty())
                d[pick(d.size())] = static_cast<uint8_t>(rng());
            break;
        case 2:
            if (!d.empty())
                d.resize(pick(d.size()));
            break;
        case 3: {
            const auto& o = corpus[pick(corpus.size())];
            if (!o.empty() && !d.empty()) {
                size_t at = pick(d.size());
                size_t from = pick(o.size());
                size_t n = std::min(o.size() - from, d.size() - at);
                std::memcpy(d.data() + at, o.data() + from, n);
            }
            break;
        }
        case 4:
            d.insert(d.begin() + static_cast<std::ptrdiff_t>(pick(d.size() + 1)),
                     static_cast<uint8_t>(rng()));
            break;
        case 5: // interesting values
            if (d.size() >= 2) {
                static const uint8_t v[] = {0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe};
                d[pick(d.size())] = v[pick(sizeof v)];
            }
            break;
        case 6:
            if (d.size() < 4096) {
                size_t n = pick(16);
                for (size_t i = 0; i < n; ++i)
                    d.push_back(static_cast<uint8_t>(rng()));
            }
            break;
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    long iterations = 10000;
    uint64_t seed = 1;
    std::vector<std::vector<uint8_t>> corpus;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = std::strtol(argv[++i], nullptr, 10);
        } else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = std::strtoull(argv[++i], nullptr, 10);
        } else {
            std::filesystem::path p(argv[i]);
            if (std::filesystem::is_directory(p)) {
                for (const auto& e : std::filesystem::directory_iterator(p))
                    if (e.is_regular_file())
                        corpus.push_back(read_file(e.path()));
            } else if (std::filesystem::exists(p)) {
                corpus.push_back(read_file(p));
            } else {
                std::fprintf(stderr, "no such corpus: %s\n", argv[i]);
                return 2;
            }
        }
    }
    if (corpus.empty()) {
        std::fprintf(stderr, "empty corpus: a fuzz run needs seed inputs\n");
        return 2;
    }
    for (const auto& c : corpus)
        LLVMFuzzerTestOneInput(c.data(), c.size());
    std::mt19937_64 rng(seed);
    std::vector<uint8_t> d;
    for (long i = 0; i < iterations; ++i) {
        d = corpus[static_cast<size_t>(rng() % corpus.size())];
        mutate(d, corpus, rng);
        LLVMFuzzerTestOneInput(d.data(), d.size());
    }
    std::printf("%zu corpus inputs, %ld mutations: no crash\n", corpus.size(), iterations);
    return 0;
}
