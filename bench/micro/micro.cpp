// dpdk-lag-micro: Google Benchmark micro-benchmarks of the data-plane pieces:
// flow parse, each hash policy and algorithm, bucket lookup, bucket rebuild.
// At the end it prints each result as a ratio to anchors measured in the same
// run: DPDK's rte_softrss over an IPv4 4-tuple (what a DPDK application would
// call) and raw SSE4.2 CRC32 over the frame's first 64 bytes.
#include "dataplane/flow.hpp"
#include "dataplane/flow_hash.hpp"
#include "frames.hpp"
#include "lag/buckets.hpp"

#include <benchmark/benchmark.h>
#include <nmmintrin.h>
#include <rte_thash.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>

namespace {

using namespace lag::dp;
using namespace lag::dp::test;

// A pool of realistic frames: many flows, IPv4 and IPv6, TCP and UDP, some
// VLAN-tagged, some IPv6 with an extension header, a few fragments.
struct pool {
    std::vector<frame> frames;
    pool() {
        std::mt19937 rng(42);
        for (int i = 0; i < 4096; ++i) {
            auto b = [&] { return static_cast<uint8_t>(rng()); };
            const uint16_t sp = static_cast<uint16_t>(rng()), dp = static_cast<uint16_t>(rng());
            const bool udp_ = rng() % 3 == 0;
            const uint8_t proto = udp_ ? 17 : 6;
            const frame l4 = udp_ ? udp(sp, dp) : tcp(sp, dp);
            std::initializer_list<vlan_tag> tags = {};
            static const std::initializer_list<vlan_tag> q = {{0x8100, 100}};
            if (rng() % 4 == 0)
                tags = q;
            const size_t pay = rng() % 4 == 0 ? 1400 : 18;
            if (rng() % 2) {
                ip4 s{10, b(), b(), b()}, d{172, 16, b(), b()};
                frames.push_back(ipv4_l4(s, d, proto, l4, tags, {}, pay));
            } else {
                ip6 s{0x20, 0x01, 0x0d, 0xb8, b(), b(), b(), b(), 0, 0, 0, 0, b(), b(), b(), b()};
                ip6 d = s;
                d[15] ^= 0x5a;
                if (rng() % 8 == 0) {
                    frame ext = ipv6_opts(proto);
                    frames.push_back(cat({eth(mac_b, mac_a, tags, 0x86DD),
                                          ipv6(s, d, 0, ext.size() + l4.size() + pay), ext, l4, payload(pay)}));
                } else {
                    frames.push_back(ipv6_l4(s, d, proto, l4, tags, pay));
                }
            }
        }
    }
};

const pool& frames() {
    static const pool p;
    return p;
}

constexpr size_t mask = 4096 - 1;

void BM_parse_flow(benchmark::State& state) {
    const auto& f = frames().frames;
    size_t i = 0;
    flow_key k;
    for (auto _ : state) {
        const frame& fr = f[i++ & mask];
        benchmark::DoNotOptimize(parse_flow(fr.data(), static_cast<uint32_t>(fr.size()), k));
        benchmark::DoNotOptimize(k);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_parse_flow);

void BM_hash(benchmark::State& state, hash_policy p, hash_algo a) {
    const auto& f = frames().frames;
    const frame_hash_fn h = hash_function(p, a);
    size_t i = 0;
    for (auto _ : state) {
        const frame& fr = f[i++ & mask];
        benchmark::DoNotOptimize(h(fr.data(), static_cast<uint32_t>(fr.size())));
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_hash, l2_crc32, hash_policy::l2, hash_algo::crc32);
BENCHMARK_CAPTURE(BM_hash, l23_crc32, hash_policy::l23, hash_algo::crc32);
BENCHMARK_CAPTURE(BM_hash, l34_crc32, hash_policy::l34, hash_algo::crc32);
BENCHMARK_CAPTURE(BM_hash, sym_l34_crc32, hash_policy::sym_l34, hash_algo::crc32);
BENCHMARK_CAPTURE(BM_hash, l2_toeplitz, hash_policy::l2, hash_algo::toeplitz);
BENCHMARK_CAPTURE(BM_hash, l23_toeplitz, hash_policy::l23, hash_algo::toeplitz);
BENCHMARK_CAPTURE(BM_hash, l34_toeplitz, hash_policy::l34, hash_algo::toeplitz);
BENCHMARK_CAPTURE(BM_hash, sym_l34_toeplitz, hash_policy::sym_l34, hash_algo::toeplitz);

// What the worker does per burst: hash 32 frames, look each bucket up.
void BM_hash_and_lookup_burst32(benchmark::State& state) {
    const auto& f = frames().frames;
    const size_t nbuckets = static_cast<size_t>(state.range(0));
    const std::vector<uint16_t> members{0, 1, 2, 3};
    const auto table = lag::model::rebuild_buckets({}, members, nbuckets);
    const frame_hash_fn h = hash_function(hash_policy::l34);
    size_t i = 0;
    uint16_t out[32];
    for (auto _ : state) {
        for (unsigned j = 0; j < 32; ++j) {
            const frame& fr = f[i++ & mask];
            out[j] = table[h(fr.data(), static_cast<uint32_t>(fr.size())) % nbuckets];
        }
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 32);
}
BENCHMARK(BM_hash_and_lookup_burst32)->Arg(256)->Arg(1024);

// The lookup alone, over precomputed hashes.
void BM_bucket_lookup(benchmark::State& state) {
    const size_t nbuckets = static_cast<size_t>(state.range(0));
    const auto table = lag::model::rebuild_buckets({}, std::vector<uint16_t>{0, 1, 2, 3}, nbuckets);
    std::vector<uint32_t> hashes(4096);
    std::mt19937 rng(1);
    for (auto& x : hashes)
        x = static_cast<uint32_t>(rng());
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(table[hashes[i++ & mask] % nbuckets]);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_bucket_lookup)->Arg(256)->Arg(1024);

// A leave then a join (two rebuilds) with `members` members.
void BM_bucket_rebuild(benchmark::State& state) {
    const size_t nbuckets = static_cast<size_t>(state.range(0));
    std::vector<uint16_t> all;
    for (uint16_t m = 0; m < state.range(1); ++m)
        all.push_back(m);
    std::vector<uint16_t> fewer(all.begin() + 1, all.end());
    auto table = lag::model::rebuild_buckets({}, all, nbuckets);
    for (auto _ : state) {
        auto left = lag::model::rebuild_buckets(table, fewer, nbuckets);
        table = lag::model::rebuild_buckets(left, all, nbuckets);
        benchmark::DoNotOptimize(table.data());
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 2);
}
BENCHMARK(BM_bucket_rebuild)->Args({256, 2})->Args({256, 4})->Args({1024, 8});

// ---- anchors ----------------------------------------------------------------

// DPDK's own software Toeplitz over a prepared IPv4 4-tuple (no parse).
void BM_anchor_rte_softrss_ipv4_l4(benchmark::State& state) {
    std::vector<rte_ipv4_tuple> tuples(4096);
    std::mt19937 rng(3);
    for (auto& t : tuples) {
        t.src_addr = static_cast<uint32_t>(rng());
        t.dst_addr = static_cast<uint32_t>(rng());
        t.sport = static_cast<uint16_t>(rng());
        t.dport = static_cast<uint16_t>(rng());
    }
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(rte_softrss(reinterpret_cast<uint32_t*>(&tuples[i++ & mask]),
                                             RTE_THASH_V4_L4_LEN, rss_key.data()));
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_anchor_rte_softrss_ipv4_l4);

// Raw SSE4.2 CRC32 over the first 64 bytes of each frame (no parse).
void BM_anchor_crc32_64B(benchmark::State& state) {
    const auto& f = frames().frames;
    size_t i = 0;
    for (auto _ : state) {
        const uint8_t* p = f[i++ & mask].data();
        uint64_t c = 0;
        for (int j = 0; j < 64; j += 8) {
            uint64_t v;
            std::memcpy(&v, p + j, 8);
            c = _mm_crc32_u64(c, v);
        }
        benchmark::DoNotOptimize(c);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_anchor_crc32_64B);

// Collects ns per item of every run to print ratios to the anchors at the end.
class ratio_reporter : public benchmark::ConsoleReporter {
public:
    std::map<std::string, double> ns_per_item;
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& r : runs) {
            if (r.run_type != Run::RT_Iteration || r.iterations == 0)
                continue;
            const double items = r.counters.count("items_per_second")
                                     ? r.counters.at("items_per_second").value
                                     : 0;
            if (items > 0)
                ns_per_item[r.benchmark_name()] = 1e9 / items;
        }
    }
};

} // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    ratio_reporter rep;
    benchmark::RunSpecifiedBenchmarks(&rep);
    const char* a1 = "BM_anchor_rte_softrss_ipv4_l4";
    const char* a2 = "BM_anchor_crc32_64B";
    if (!rep.ns_per_item.count(a1) || !rep.ns_per_item.count(a2))
        return 0;
    std::printf("\n%-44s %10s %12s %12s\n", "benchmark", "ns/item", "x softrss", "x crc32_64B");
    for (const auto& [name, ns] : rep.ns_per_item)
        std::printf("%-44s %10.2f %12.2f %12.2f\n", name.c_str(), ns, ns / rep.ns_per_item[a1],
                    ns / rep.ns_per_item[a2]);
    return 0;
}
