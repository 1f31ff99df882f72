// The engine's egress path with MACsec on, against raw ipsec-mb, in one run.
//
// For GCM-AES-128 and GCM-AES-XPN-256 and frames of 64, 512 and 1518 octets
// (before protection), bursts of 32:
//   raw      the ceiling: ipsec-mb's direct GCM functions (its fastest GCM
//            path) over 32 frame buffers, after copying the frame template
//            into each (the engine pays the same copy below)
//   engine   the real stack: dp::worker::poll_once() of a control + MACsec
//            driver (one member, static keys): the frames are copied into 32
//            mbufs and enqueued on the access port's net_ring RX ring; the
//            worker receives, hashes, picks the member, protects the burst in
//            one ipsec-mb pass and sends it; the bench dequeues the member's
//            TX ring and frees the mbufs
//   plain    the same engine path with MACsec off (what the LAG costs alone)
// Each figure is the best of several timed rounds; the table gives Mpps,
// Gbit/s (unprotected frame octets), cycles per byte (TSC) and the ratio
// engine/raw measured in this run. Not a test: it asserts no timing.
//
// usage: dpdk-lag-macsec-engine-bench [EAL options]
#include "control/control.hpp"
#include "control/macsec_driver.hpp"
#include "crypto/crypto.hpp"
#include "dpdk/dpdk.hpp"
#include "lag/lag.hpp"
#include "port.hpp"

#include <intel-ipsec-mb.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <x86intrin.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

using namespace lag;

namespace {

constexpr unsigned burst = 32;
constexpr unsigned iters = 20000;
constexpr unsigned rounds = 5;

double tsc_per_ns() {
    auto t0 = std::chrono::steady_clock::now();
    uint64_t c0 = __rdtsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    uint64_t c1 = __rdtsc();
    auto t1 = std::chrono::steady_clock::now();
    return double(c1 - c0) / double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
}

std::vector<uint8_t> frame_of(size_t size) {
    std::vector<uint8_t> f(size, 0);
    const uint8_t hdr[] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17};
    std::copy(std::begin(hdr), std::end(hdr), f.begin());
    for (size_t i = sizeof hdr; i < size; ++i)
        f[i] = static_cast<uint8_t>(i);
    return f;
}

macsec::sa_params params(cipher_suite s) {
    macsec::sa_params p;
    p.suite = s;
    std::vector<uint8_t> k(key_length(s), 0x5A);
    p.key.assign(k);
    p.ssci = 1;
    p.next_pn = 1;
    return p;
}

struct ring_port {
    uint16_t id;
    rte_ring* rx; // what the port receives (the bench enqueues)
    rte_ring* tx; // what the port sends (the bench dequeues)
};

ring_port make_port(const std::string& name, rte_mempool* pool) {
    ring_port p{};
    p.rx = rte_ring_create((name + "_rx").c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    p.tx = rte_ring_create((name + "_tx").c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    int id = rte_eth_from_rings(name.c_str(), &p.rx, 1, &p.tx, 1, SOCKET_ID_ANY);
    if (id < 0 || p.rx == nullptr || p.tx == nullptr) {
        fmt::print(stderr, "cannot create ring port {}\n", name);
        std::exit(1);
    }
    p.id = static_cast<uint16_t>(id);
    net::port_setup s;
    s.pool = pool;
    if (auto r = net::configure_and_start(p.id, s); !r) {
        fmt::print(stderr, "{}\n", r.err().to_string());
        std::exit(1);
    }
    return p;
}

struct result_row {
    double ns_per_burst = 0;
};

// Best of `rounds`: ns per burst of `burst` frames.
template <class F>
double best(F&& one_round) {
    double b = 1e300;
    for (unsigned r = 0; r < rounds; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        one_round();
        auto t1 = std::chrono::steady_clock::now();
        b = std::min(b, std::chrono::duration<double, std::nano>(t1 - t0).count() / iters);
    }
    return b;
}

double raw_seal(cipher_suite suite, const std::vector<uint8_t>& tmpl, crypto::engine& e) {
    auto key = crypto::gcm_key::create(e, params(suite).key.view());
    const size_t taglen = macsec::sectag_len_sci;
    std::vector<std::vector<uint8_t>> bufs(burst, std::vector<uint8_t>(tmpl.size() + taglen + 16));
    std::array<crypto::gcm_op, burst> ops;
    std::array<std::array<uint8_t, 12>, burst> ivs{};
    for (unsigned i = 0; i < burst; ++i) {
        auto& o = ops[i];
        o.key = key->get();
        o.iv = ivs[i].data();
        o.aad = bufs[i].data();
        o.aad_len = 12 + taglen;
        o.src = bufs[i].data() + 12 + taglen;
        o.dst = bufs[i].data() + 12 + taglen;
        o.len = tmpl.size() - 12;
        o.tag = bufs[i].data() + 12 + taglen + o.len;
    }
    uint64_t pn = 1;
    struct gcm_context_data ctx;
    return best([&] {
        for (unsigned it = 0; it < iters; ++it) {
            for (unsigned i = 0; i < burst; ++i) {
                std::memcpy(bufs[i].data() + taglen, tmpl.data(), tmpl.size());
                std::memcpy(ivs[i].data() + 4, &pn, 8);
                ++pn;
            }
            // ipsec-mb's direct GCM functions, as lib/crypto calls them
            // (the fastest way ipsec-mb 1.3 offers for GCM).
            IMB_MGR* mgr = e.raw();
            const auto* kd = static_cast<const gcm_key_data*>(key->get()->raw());
            for (auto& o : ops) {
                if (key->get()->key_len() == 16)
                    IMB_AES128_GCM_ENC(mgr, kd, &ctx, o.dst, o.src, o.len, o.iv, o.aad, o.aad_len, o.tag, 16);
                else
                    IMB_AES256_GCM_ENC(mgr, kd, &ctx, o.dst, o.src, o.len, o.iv, o.aad, o.aad_len, o.tag, 16);
            }
        }
    });
}

double engine_egress(bool with_macsec, cipher_suite suite, const std::vector<uint8_t>& tmpl, rte_mempool* pool,
                     unsigned tag) {
    const std::string t = fmt::format("b{}", tag);
    ring_port acc = make_port(t + "acc", pool), mem = make_port(t + "m0", pool);
    model::lag_model model(model::ieee_profile());
    (void)model.add_port("m0", model::port_speed::g10);
    (void)model.create_lag({.name = "lag0", .speed = model::port_speed::g10, .members = {"m0"}, .min_links = 1});
    ctl::control_config cfg;
    cfg.lag = "lag0";
    cfg.access_port = acc.id;
    cfg.members.push_back({"m0", mem.id});
    cfg.name_prefix = t;
    cfg.mirror_access_link = false;
    auto c = ctl::control::create(model, cfg);
    if (!c) {
        fmt::print(stderr, "{}\n", c.err().to_string());
        std::exit(1);
    }
    std::unique_ptr<ctl::macsec_driver> drv;
    if (with_macsec) {
        auto d = ctl::macsec_driver::create(**c);
        if (!d)
            std::exit(1);
        drv = std::move(*d);
        macsec::secy_config sc;
        sc.sci = 0x0200000000010001ull;
        sc.suite = suite;
        const macsec::sci_t peers[] = {0x0200000000020001ull};
        if (!drv->add_port(mem.id, sc, peers) || !drv->install_tx_sa(mem.id, 0, params(suite)) ||
            !drv->enable_tx_sa(mem.id, 0)) {
            fmt::print(stderr, "MACsec setup failed\n");
            std::exit(1);
        }
    }
    (*c)->poll(time_point{});
    dp::worker& w = (*c)->worker(0);
    w.poll_once(); // applies the MACsec messages
    rte_mbuf* m[burst];
    void* out[burst * 2];
    uint64_t lost = 0;
    double ns = best([&] {
        for (unsigned it = 0; it < iters; ++it) {
            if (rte_pktmbuf_alloc_bulk(pool, m, burst) != 0)
                std::abort();
            for (unsigned i = 0; i < burst; ++i) {
                std::memcpy(rte_pktmbuf_mtod(m[i], uint8_t*), tmpl.data(), tmpl.size());
                m[i]->data_len = static_cast<uint16_t>(tmpl.size());
                m[i]->pkt_len = static_cast<uint32_t>(tmpl.size());
            }
            rte_ring_sp_enqueue_bulk(acc.rx, reinterpret_cast<void**>(m), burst, nullptr);
            w.poll_once();
            unsigned n = rte_ring_sc_dequeue_burst(mem.tx, out, burst * 2, nullptr);
            lost += burst - n;
            rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(out), n);
        }
    });
    if (lost != 0)
        fmt::print(stderr, "warning: {} frames did not reach the member\n", lost);
    if (drv) {
        const auto sent = drv->tx_totals(mem.id).out_pkts_encrypted;
        if (sent != uint64_t(iters) * rounds * burst)
            fmt::print(stderr, "warning: {} frames protected, expected {}\n", sent, uint64_t(iters) * rounds * burst);
    }
    (*c)->shutdown();
    drv.reset();
    c->reset();
    for (auto* p : {&acc, &mem}) {
        net::stop_and_close(p->id);
        rte_ring_free(p->rx);
        rte_ring_free(p->tx);
    }
    return ns;
}

} // namespace

int main(int argc, char** argv) {
    auto eal = dpdk::eal_init(argc, argv);
    if (!eal) {
        fmt::print(stderr, "{}\n", eal.err().to_string());
        return 1;
    }
    auto pool = dpdk::make_pktmbuf_pool("bench_pool", 8191);
    if (!pool) {
        fmt::print(stderr, "{}\n", pool.err().to_string());
        return 1;
    }
    auto e = crypto::engine::create();
    if (!e)
        return 1;
    const double tpn = tsc_per_ns();
    fmt::print("dpdk-lag-macsec-engine-bench: ipsec-mb arch {}, {} bursts of {} per round, best of {} rounds\n",
               (*e)->arch_name(), iters, burst, rounds);
    fmt::print("{:<16} {:>5} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>12} {:>12}\n", "suite", "size", "raw_Mpps",
               "eng_Mpps", "plain_Mpps", "raw_Gbps", "eng_Gbps", "eng_cpb", "eng/raw", "plain/raw");
    unsigned tag = 0;
    for (cipher_suite s : {cipher_suite::gcm_aes_128, cipher_suite::gcm_aes_xpn_256}) {
        for (size_t size : {64u, 512u, 1518u}) {
            const auto tmpl = frame_of(size - 4); // 1518 with FCS = 1514 octets in the buffer
            const double raw = raw_seal(s, tmpl, **e);
            const double eng = engine_egress(true, s, tmpl, pool->get(), tag++);
            const double plain = engine_egress(false, s, tmpl, pool->get(), tag++);
            auto mpps = [](double ns) { return burst / ns * 1e3; };
            auto gbps = [&](double ns) { return burst * tmpl.size() * 8 / ns; };
            fmt::print("{:<16} {:>5} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>8.2f} {:>8.2f} {:>12.3f} {:>12.3f}\n",
                       to_string(s), size, mpps(raw), mpps(eng), mpps(plain), gbps(raw), gbps(eng),
                       eng * tpn / double(burst * tmpl.size()), raw / eng, raw / plain);
        }
    }
    pool->reset();
    dpdk::eal_cleanup();
    return 0;
}
