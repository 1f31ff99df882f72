// MACsec data path against its ceiling, raw ipsec-mb GCM, on the same buffers.
//
// For each suite (GCM-AES-128, GCM-AES-XPN-256) and Ethernet frame size (64,
// 512, 1518 octets, before protection), bursts of 32 frames:
//   BM_raw_seal     ipsec-mb's direct GCM functions: AAD = DA SA SecTAG (28 octets),
//                   encrypt the 1506/500/52 octets of secure data, write the ICV
//   BM_protect      secy::protect_burst: the same GCM work plus SecTAG
//                   insertion, PN reservation, IVs, counters
//   BM_raw_open     copy the protected frame back in, ipsec-mb decrypt, compare
//                   the ICV (constant time)
//   BM_verify       copy the protected frame back in, secy::verify_burst
//                   (parse, SC/SA lookup, replay window, decrypt, strip)
// The open/verify pair both restore each frame from a pristine copy (in-place
// decryption consumes it) so the copy costs both sides the same; replay
// protection is off there because the same PNs are verified again and again.
//
// Throughput counts the unprotected frame octets. Cycles per byte come from
// the TSC, calibrated against steady_clock at start. After the runs a table
// gives protect/raw_seal and verify/raw_open from this same run, and the
// paired benchmarks (BM_pair_*) time one raw burst and one of ours
// alternately in the same loop, which holds up better on a noisy machine.

#include <benchmark/benchmark.h>
#include <intel-ipsec-mb.h>
#include <x86intrin.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "macsec/macsec.hpp"

using namespace lag;
using namespace lag::macsec;

namespace {

constexpr size_t burst = 32;
constexpr size_t headroom = 64, tailroom = 64;
constexpr size_t taglen = sectag_len_sci;

double tsc_per_ns() {
    static const double v = [] {
        auto t0 = std::chrono::steady_clock::now();
        uint64_t c0 = __rdtsc();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        uint64_t c1 = __rdtsc();
        auto t1 = std::chrono::steady_clock::now();
        return double(c1 - c0) / double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    }();
    return v;
}

cipher_suite suite_of(int64_t s) { return s == 0 ? cipher_suite::gcm_aes_128 : cipher_suite::gcm_aes_xpn_256; }

sa_params params(cipher_suite s) {
    sa_params p;
    p.suite = s;
    bytes k(key_length(s));
    for (size_t i = 0; i < k.size(); ++i)
        k[i] = static_cast<uint8_t>(0x11 * i + 3);
    p.key.assign(k);
    p.ssci = 0x7A30C118;
    for (size_t i = 0; i < 12; ++i)
        p.salt[i] = static_cast<uint8_t>(0xE0 + i);
    p.next_pn = 1;
    return p;
}

struct setup {
    std::unique_ptr<crypto::engine> eng;
    std::unique_ptr<secy> tx, rx;
    bytes block;                    // all frames, 64-byte aligned slots
    std::vector<uint8_t*> store;    // per frame: headroom + frame + tailroom
    size_t stride = 0;
    std::vector<frame> frames, fresh;
    std::vector<bytes> pristine;    // protected frames, for open/verify
    size_t len;

    setup(cipher_suite s, size_t frame_len, bool replay) : len(frame_len) {
        eng = std::move(crypto::engine::create().value());
        secy_config c;
        c.suite = s;
        c.sci = 0x5254001234560001ull;
        c.replay_protect = replay;
        // Verified again and again, the same PNs must still map to the same
        // 64-bit XPN PN: a window wide enough keeps the lowest PN at 0.
        if (!replay)
            c.replay_window = 1u << 30;
        tx = std::move(secy::create(c).value());
        (void)tx->install_tx_sa(std::move(tx_sa::create(*eng, 0, params(s)).value()));
        (void)tx->set_encoding_sa(0);
        rx = std::move(secy::create(c).value());
        (void)rx->add_rx_sc(c.sci);
        (void)rx->install_rx_sa(c.sci, std::move(rx_sa::create(*eng, 0, params(s)).value()));
        // Same alignment for every setup (raw and ours), as mbufs would
        // give: each slot starts on a cache line.
        stride = (headroom + len + taglen + icv_len + tailroom + 63) / 64 * 64;
        block.resize(burst * stride + 64);
        uint8_t* base = block.data() + (64 - reinterpret_cast<uintptr_t>(block.data()) % 64) % 64;
        for (size_t i = 0; i < burst; ++i) {
            uint8_t* b = base + i * stride;
            store.push_back(b);
            for (size_t j = 0; j < len; ++j)
                b[headroom + j] = static_cast<uint8_t>(i + j);
            b[headroom + 12] = 0x08;
            b[headroom + 13] = 0x00;
            fresh.push_back(frame{b + headroom, static_cast<uint32_t>(len), headroom,
                                  static_cast<uint32_t>(stride - headroom - len)});
        }
        frames = fresh;
    }
    void make_pristine() {
        frames = fresh;
        std::vector<tx_status> st(burst);
        tx->protect_burst(*eng, frames, st);
        for (auto& f : frames)
            pristine.emplace_back(f.data, f.data + f.len);
    }
    // Puts the protected frames back where verify expects them.
    void restore() {
        for (size_t i = 0; i < burst; ++i) {
            uint8_t* d = store[i] + headroom - taglen;
            std::memcpy(d, pristine[i].data(), pristine[i].size());
            frames[i] = frame{d, static_cast<uint32_t>(pristine[i].size()), headroom - taglen, tailroom};
        }
    }
};

void finish(benchmark::State& state, size_t len, uint64_t cycles) {
    const double bytes_total = double(state.iterations()) * burst * len;
    state.SetBytesProcessed(static_cast<int64_t>(bytes_total));
    state.counters["Gbit/s"] = benchmark::Counter(bytes_total * 8 / 1e9, benchmark::Counter::kIsRate);
    state.counters["Mpps"] = benchmark::Counter(double(state.iterations()) * burst / 1e6,
                                                benchmark::Counter::kIsRate);
    state.counters["cyc/B"] = double(cycles) / bytes_total;
}

// One burst of GCM straight through ipsec-mb, the fastest way it offers
// for GCM: the direct functions (IMB_AES{128,256}_GCM_ENC/_DEC), one call
// per frame. (Its job API is slower for GCM in 1.3, which has no
// multi-buffer GCM; lib/crypto uses the direct functions for that reason.)
void raw_gcm(IMB_MGR* m, const void* key, uint64_t key_len, std::vector<frame>& fr, bool seal,
             const uint8_t (*ivs)[12], uint8_t (*tags)[16]) {
    const auto* k = static_cast<const gcm_key_data*>(key);
    struct gcm_context_data ctx;
    for (size_t i = 0; i < fr.size(); ++i) {
        uint8_t* d = fr[i].data;
        // fr[i] holds DA SA SecTAG secure-data (seal), and the ICV too (open).
        const size_t secure = fr[i].len - 12 - taglen - (seal ? 0 : icv_len);
        uint8_t* p = d + 12 + taglen;
        if (seal && key_len == 16)
            IMB_AES128_GCM_ENC(m, k, &ctx, p, p, secure, ivs[i], d, 12 + taglen, p + secure, 16);
        else if (seal)
            IMB_AES256_GCM_ENC(m, k, &ctx, p, p, secure, ivs[i], d, 12 + taglen, p + secure, 16);
        else if (key_len == 16)
            IMB_AES128_GCM_DEC(m, k, &ctx, p, p, secure, ivs[i], d, 12 + taglen, tags[i], 16);
        else
            IMB_AES256_GCM_DEC(m, k, &ctx, p, p, secure, ivs[i], d, 12 + taglen, tags[i], 16);
    }
}

struct raw_key {
    alignas(64) gcm_key_data k;
};

void BM_raw_seal(benchmark::State& state) {
    const auto s = suite_of(state.range(0));
    const size_t len = static_cast<size_t>(state.range(1));
    setup u(s, len, true);
    raw_key k;
    const auto p = params(s);
    if (key_length(s) == 16)
        IMB_AES128_GCM_PRE(u.eng->raw(), p.key.view().data(), &k.k);
    else
        IMB_AES256_GCM_PRE(u.eng->raw(), p.key.view().data(), &k.k);
    // Lay the frames out as protected ones (SecTAG in place), as protect would.
    std::vector<frame> fr;
    for (auto& f : u.fresh)
        fr.push_back(frame{f.data - taglen, f.len + static_cast<uint32_t>(taglen), 0, 0});
    uint8_t ivs[burst][12] = {};
    uint64_t c0 = __rdtsc();
    for (auto _ : state) {
        // Restore the frame lengths only (the raw path does not move anything).
        for (size_t i = 0; i < burst; ++i)
            fr[i].len = static_cast<uint32_t>(len + taglen);
        raw_gcm(u.eng->raw(), &k.k, key_length(s), fr, true, ivs, nullptr);
        benchmark::DoNotOptimize(fr.data());
        benchmark::ClobberMemory();
    }
    finish(state, len, __rdtsc() - c0);
}

void BM_protect(benchmark::State& state) {
    const auto s = suite_of(state.range(0));
    const size_t len = static_cast<size_t>(state.range(1));
    setup u(s, len, true);
    std::vector<tx_status> st(burst);
    uint64_t c0 = __rdtsc();
    for (auto _ : state) {
        std::copy(u.fresh.begin(), u.fresh.end(), u.frames.begin());
        const size_t n = u.tx->protect_burst(*u.eng, u.frames, st);
        benchmark::DoNotOptimize(n);
        benchmark::ClobberMemory();
    }
    finish(state, len, __rdtsc() - c0);
    if (u.tx->tx_totals().out_pkts_encrypted != uint64_t(state.iterations()) * burst)
        state.SkipWithError("protect dropped frames");
}

void BM_raw_open(benchmark::State& state) {
    const auto s = suite_of(state.range(0));
    const size_t len = static_cast<size_t>(state.range(1));
    setup u(s, len, false);
    u.make_pristine();
    raw_key k;
    const auto p = params(s);
    if (key_length(s) == 16)
        IMB_AES128_GCM_PRE(u.eng->raw(), p.key.view().data(), &k.k);
    else
        IMB_AES256_GCM_PRE(u.eng->raw(), p.key.view().data(), &k.k);
    uint8_t ivs[burst][12] = {};
    alignas(16) uint8_t tags[burst][16];
    uint64_t c0 = __rdtsc();
    for (auto _ : state) {
        u.restore();
        raw_gcm(u.eng->raw(), &k.k, key_length(s), u.frames, false, ivs, tags);
        size_t ok = 0;
        for (size_t i = 0; i < burst; ++i)
            ok += crypto::equal_ct(tags[i], u.frames[i].data + u.frames[i].len - 16, 16);
        benchmark::DoNotOptimize(ok);
        benchmark::ClobberMemory();
    }
    finish(state, len, __rdtsc() - c0);
}

void BM_verify(benchmark::State& state) {
    const auto s = suite_of(state.range(0));
    const size_t len = static_cast<size_t>(state.range(1));
    setup u(s, len, false);
    u.make_pristine();
    std::vector<rx_status> st(burst);
    size_t bad = 0;
    uint64_t c0 = __rdtsc();
    for (auto _ : state) {
        u.restore();
        const size_t n = u.rx->verify_burst(*u.eng, u.frames, st);
        bad += burst - n;
        benchmark::ClobberMemory();
    }
    finish(state, len, __rdtsc() - c0);
    if (bad != 0)
        state.SkipWithError("verify dropped frames");
}

// Paired runs: each iteration times one raw ipsec-mb burst and one burst of
// ours back to back with the TSC, so frequency changes and neighbours hit
// both alike. ratio = raw cycles / our cycles (1.00 = as fast as raw).
struct raw_side {
    raw_key k;
    std::vector<frame> fr;
    uint8_t ivs[burst][12] = {};
    alignas(16) uint8_t tags[burst][16];
};

void prepare_raw(setup& u, raw_side& r, cipher_suite s) {
    const auto p = params(s);
    if (key_length(s) == 16)
        IMB_AES128_GCM_PRE(u.eng->raw(), p.key.view().data(), &r.k.k);
    else
        IMB_AES256_GCM_PRE(u.eng->raw(), p.key.view().data(), &r.k.k);
}

void paired(benchmark::State& state, uint64_t raw_cycles, uint64_t our_cycles, size_t len) {
    const double b = double(state.iterations()) * burst * len;
    state.counters["raw_cyc/B"] = double(raw_cycles) / b;
    state.counters["our_cyc/B"] = double(our_cycles) / b;
    state.counters["ratio"] = double(raw_cycles) / double(our_cycles);
}

void BM_pair_protect(benchmark::State& state) {
    const auto s = suite_of(state.range(0));
    const size_t len = static_cast<size_t>(state.range(1));
    setup ours(s, len, true), raw(s, len, true);
    raw_side r;
    prepare_raw(raw, r, s);
    for (auto& f : raw.fresh)
        r.fr.push_back(frame{f.data - taglen, f.len + static_cast<uint32_t>(taglen), 0, 0});
    std::vector<tx_status> st(burst);
    uint64_t rc = 0, oc = 0;
    for (auto _ : state) {
        const uint64_t t0 = __rdtsc();
        raw_gcm(raw.eng->raw(), &r.k.k, key_length(s), r.fr, true, r.ivs, nullptr);
        const uint64_t t1 = __rdtsc();
        std::copy(ours.fresh.begin(), ours.fresh.end(), ours.frames.begin());
        benchmark::DoNotOptimize(ours.tx->protect_burst(*ours.eng, ours.frames, st));
        const uint64_t t2 = __rdtsc();
        rc += t1 - t0;
        oc += t2 - t1;
        benchmark::ClobberMemory();
    }
    paired(state, rc, oc, len);
}

void BM_pair_verify(benchmark::State& state) {
    const auto s = suite_of(state.range(0));
    const size_t len = static_cast<size_t>(state.range(1));
    setup ours(s, len, false), raw(s, len, false);
    ours.make_pristine();
    raw.make_pristine();
    raw_side r;
    prepare_raw(raw, r, s);
    std::vector<rx_status> st(burst);
    uint64_t rc = 0, oc = 0;
    size_t bad = 0;
    for (auto _ : state) {
        const uint64_t t0 = __rdtsc();
        raw.restore();
        raw_gcm(raw.eng->raw(), &r.k.k, key_length(s), raw.frames, false, r.ivs, r.tags);
        size_t ok = 0;
        for (size_t i = 0; i < burst; ++i)
            ok += crypto::equal_ct(r.tags[i], raw.frames[i].data + raw.frames[i].len - 16, 16);
        benchmark::DoNotOptimize(ok);
        const uint64_t t1 = __rdtsc();
        ours.restore();
        bad += burst - ours.rx->verify_burst(*ours.eng, ours.frames, st);
        const uint64_t t2 = __rdtsc();
        rc += t1 - t0;
        oc += t2 - t1;
        benchmark::ClobberMemory();
    }
    paired(state, rc, oc, len);
    if (bad != 0)
        state.SkipWithError("verify dropped frames");
}

void sizes(benchmark::internal::Benchmark* b) {
    for (int64_t s : {0, 1})
        for (int64_t len : {64, 512, 1518})
            b->Args({s, len});
    b->ArgNames({"suite", "bytes"});
}

BENCHMARK(BM_raw_seal)->Apply(sizes);
BENCHMARK(BM_protect)->Apply(sizes);
BENCHMARK(BM_raw_open)->Apply(sizes);
BENCHMARK(BM_verify)->Apply(sizes);
BENCHMARK(BM_pair_protect)->Apply(sizes);
BENCHMARK(BM_pair_verify)->Apply(sizes);

// Console output as usual, plus the runs kept for the ratio table.
class keeping_reporter : public benchmark::ConsoleReporter {
public:
    std::map<std::string, double> gbps;
    std::set<std::string> medians;
    void ReportRuns(const std::vector<Run>& runs) override {
        // One value per benchmark: the median when repetitions are asked
        // for, else the single run.
        for (const auto& r : runs) {
            if (r.error_occurred)
                continue;
            const bool median = r.run_type == Run::RT_Aggregate && r.aggregate_name == "median";
            if (r.run_type != Run::RT_Iteration && !median)
                continue;
            auto it = r.counters.find("Gbit/s");
            if (it == r.counters.end())
                it = r.counters.find("ratio");
            if (it == r.counters.end())
                continue;
            const std::string key = r.run_name.str();
            if (median || !medians.count(key))
                gbps[key] = it->second.value;
            if (median)
                medians.insert(key);
        }
        ConsoleReporter::ReportRuns(runs);
    }
};

} // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    {
        auto e = crypto::engine::create();
        std::printf("ipsec-mb %s, arch %s, TSC %.3f GHz, burst %zu\n", IMB_VERSION_STR,
                    e ? (*e)->arch_name() : "?", tsc_per_ns(), burst);
    }
    keeping_reporter rep;
    benchmark::RunSpecifiedBenchmarks(&rep);
    std::printf("\nRatios to raw ipsec-mb GCM in this run (1.00 = the ceiling):\n");
    std::printf("%-16s %6s %10s %10s %8s   %10s %10s %8s\n", "suite", "bytes", "raw_seal", "protect",
                "ratio", "raw_open", "verify", "ratio");
    for (int64_t s : {0, 1})
        for (int64_t len : {64, 512, 1518}) {
            auto key = [&](const char* bm) {
                return std::string(bm) + "/suite:" + std::to_string(s) + "/bytes:" + std::to_string(len);
            };
            auto g = [&](const char* bm) {
                auto it = rep.gbps.find(key(bm));
                return it == rep.gbps.end() ? 0.0 : it->second;
            };
            const double rs = g("BM_raw_seal"), pr = g("BM_protect"), ro = g("BM_raw_open"),
                         ve = g("BM_verify");
            if (rs == 0 && ro == 0)
                continue;
            std::printf("%-16s %6lld %10.2f %10.2f %8.3f   %10.2f %10.2f %8.3f\n",
                        std::string(to_string(suite_of(s))).c_str(), static_cast<long long>(len), rs, pr,
                        rs > 0 ? pr / rs : 0.0, ro, ve, ro > 0 ? ve / ro : 0.0);
        }
    std::printf("(Gbit/s of unprotected frame octets, one core)\n");
    std::printf("\nPaired (raw and ours timed alternately in one loop; raw cycles / our cycles):\n");
    std::printf("%-16s %6s %10s %10s\n", "suite", "bytes", "protect", "verify");
    for (int64_t s : {0, 1})
        for (int64_t len : {64, 512, 1518}) {
            auto g = [&](const char* bm) {
                auto it = rep.gbps.find(std::string(bm) + "/suite:" + std::to_string(s) +
                                        "/bytes:" + std::to_string(len));
                return it == rep.gbps.end() ? 0.0 : it->second;
            };
            const double pp = g("BM_pair_protect"), pv = g("BM_pair_verify");
            if (pp == 0 && pv == 0)
                continue;
            std::printf("%-16s %6lld %10.3f %10.3f\n", std::string(to_string(suite_of(s))).c_str(),
                        static_cast<long long>(len), pp, pv);
        }
    return 0;
}
