// Workers that really race: two and three workers, each on its own EAL lcore
// (DP_LCORES maps them onto the machine's CPUs, e.g. 0@0,1@0,2@1,3@1), run
// flat out while the main lcore injects traffic and drives control. Built in
// the ThreadSanitizer build as suite 'tsan' (and in every build as 'dp'):
// - snapshot switches under traffic: member links flap while three workers
//   forward; every frame arrives exactly once, every old snapshot is freed;
// - SA install and retire under traffic: the transmit and receive SAs rotate
//   through all four ANs while two workers protect and verify; every frame
//   verifies, nothing is dropped, every retired SA is freed;
// - one transmit SA shared by two workers: every PN on the wire is used
//   exactly once (the atomic PN reservation, lib/macsec tx_sa::reserve).
#include "control/control.hpp"
#include "control/macsec_driver.hpp"
#include "dataplane/dataplane.hpp"
#include "dp_env.hpp"
#include "dpdk/dpdk.hpp"
#include "macsec/macsec.hpp"

#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <vector>

using namespace lag;
using namespace lag::test;

namespace {

constexpr macsec::sci_t our_sci = 0x0200000000010001ull;
constexpr macsec::sci_t peer_sci = 0x0200000000020001ull;

// The first `n` worker lcores; the test fails (not skips) without them.
std::vector<unsigned> worker_lcores(unsigned n) {
    std::vector<unsigned> v;
    for (unsigned l = rte_get_next_lcore(-1, 1, 0); l < RTE_MAX_LCORE && v.size() < n;
         l = rte_get_next_lcore(l, 1, 0))
        v.push_back(l);
    return v;
}

// The mbuf pool of queue q: each worker's frames come from a pool of their
// own, so that no mbuf's memory passes from one worker to another through
// the harness (see dp_env.hpp, inject).
rte_mempool* queue_pool(uint16_t q) {
    // Kept to the end of the process: rte_mempool_free after the EAL's
    // cleanup (static destruction) would be too late.
    static auto* pools = new std::map<uint16_t, dpdk::mempool_ptr>;
    auto& p = (*pools)[q];
    if (!p) {
        auto r = dpdk::make_pktmbuf_pool("race_q" + std::to_string(q), 8192, 0);
        EXPECT_TRUE(r.ok()) << r.err().to_string();
        if (r.ok())
            p = std::move(*r);
    }
    return p.get();
}

unsigned queue_pools_in_use(unsigned queues) {
    unsigned n = 0;
    for (uint16_t q = 0; q < queues; ++q)
        n += dpdk::mempool_size(queue_pool(q)) - dpdk::mempool_avail(queue_pool(q));
    return n;
}

// Launches every worker of `c` on its own lcore; stop() joins them.
class running_workers {
public:
    running_workers(ctl::control& c, const std::vector<unsigned>& lcores) : _lcores(lcores) {
        // The queues' pools exist before any worker starts: launch_on orders
        // their set-up before what the workers do with their mbufs.
        for (uint16_t q = 0; q < c.worker_count(); ++q)
            (void)queue_pool(q);
        _args.resize(c.worker_count());
        for (unsigned i = 0; i < c.worker_count(); ++i) {
            _args[i] = {&c.worker(i), &_quit};
            _launched += launch_on(_lcores[i], dp::worker::lcore_main, &_args[i]) == 0;
        }
    }
    ~running_workers() { stop(); }
    unsigned launched() const { return _launched; }
    void stop() {
        if (_stopped)
            return;
        _stopped = true;
        _quit.store(true);
        for (unsigned i = 0; i < _args.size(); ++i)
            EXPECT_EQ(wait_on(_lcores[i]), 0);
    }

private:
    std::vector<unsigned> _lcores;
    std::vector<dp::worker::launch_arg> _args;
    std::atomic<bool> _quit{false};
    unsigned _launched = 0;
    bool _stopped = false;
};

macsec::sa_params params(cipher_suite s, uint8_t fill, uint32_t ssci, uint64_t pn = 1) {
    macsec::sa_params p;
    p.suite = s;
    std::vector<uint8_t> k(key_length(s));
    for (size_t i = 0; i < k.size(); ++i)
        k[i] = static_cast<uint8_t>(fill + i);
    p.key.assign(k);
    p.ssci = ssci;
    for (size_t i = 0; i < 12; ++i)
        p.salt[i] = static_cast<uint8_t>(0xA0 + i);
    p.next_pn = pn;
    return p;
}

// Sends all of `frames` on (port, queue), retrying while the workers drain.
template <typename Drain>
void inject_all(uint16_t port, std::vector<std::vector<uint8_t>> frames, uint16_t queue, Drain&& drain_some) {
    size_t sent = 0;
    while (sent < frames.size()) {
        std::vector<std::vector<uint8_t>> rest(frames.begin() + static_cast<long>(sent), frames.end());
        sent += inject(port, rest, queue, queue_pool(queue));
        if (sent < frames.size())
            drain_some();
    }
}

// ---- snapshot switches under traffic, three workers ----------------------------

TEST(race, three_workers_forward_while_member_links_flap_and_every_frame_arrives_once) {
    constexpr unsigned workers = 3, members = 3;
    auto lcores = worker_lcores(workers);
    ASSERT_EQ(lcores.size(), workers) << "start with DP_LCORES giving " << workers << " worker lcores";
    wire host = make_wire("rsacc", workers);
    std::vector<wire> mem;
    for (unsigned i = 0; i < members; ++i)
        mem.push_back(make_wire("rsm" + std::to_string(i), workers));
    {
        model::lag_model model;
        std::vector<std::string> names;
        for (unsigned i = 0; i < members; ++i) {
            ASSERT_TRUE(model.add_port("m" + std::to_string(i), model::port_speed::g10).ok());
            names.push_back("m" + std::to_string(i));
        }
        ASSERT_TRUE(model.create_lag({.name = "lag0", .speed = model::port_speed::g10, .members = names,
                                      .min_links = 1})
                        .ok());
        ctl::control_config cfg;
        cfg.lag = "lag0";
        cfg.access_port = host.b;
        for (unsigned i = 0; i < members; ++i)
            cfg.members.push_back({names[i], mem[i].a});
        cfg.name_prefix = "rs";
        cfg.workers = workers;
        auto cr = ctl::control::create(model, cfg);
        ASSERT_TRUE(cr.ok()) << cr.err().to_string();
        auto& c = *cr;
        time_point now{};
        auto tick = [&] { return now += std::chrono::microseconds(10); };

        std::map<uint32_t, std::vector<uint32_t>> seqs_of;
        size_t collected = 0;
        auto collect = [&] {
            for (unsigned i = 0; i < members; ++i)
                for (uint16_t q = 0; q < workers; ++q) {
                    auto got = drain(mem[i].b, q);
                    for (rte_mbuf* m : got) {
                        flow_frame ff{};
                        if (read_flow(m, ff))
                            seqs_of[ff.flow].push_back(ff.seq);
                        ++collected;
                    }
                    free_all(got);
                }
        };

        running_workers run(*c, lcores);
        ASSERT_EQ(run.launched(), workers);
        constexpr uint32_t flows = 48, rounds = 240; // flows f on queue f % workers
        size_t injected = 0;
        for (uint32_t round = 0; round < rounds; ++round) {
            for (uint16_t q = 0; q < workers; ++q) {
                std::vector<std::vector<uint8_t>> v;
                for (uint32_t f = q; f < flows; f += workers)
                    v.push_back(udp_frame(f, round, 96));
                injected += v.size();
                inject_all(host.a, std::move(v), q, collect);
            }
            // Every eight rounds a member goes down or comes back, one member
            // at a time and each in turn: a new snapshot each time, switched
            // to by each worker between its bursts.
            if (round % 8 == 4) {
                const uint32_t event = round / 8;
                const uint16_t port = mem[(event / 2) % members].a;
                ASSERT_EQ(event % 2 == 0 ? rte_eth_dev_set_link_down(port) : rte_eth_dev_set_link_up(port), 0);
            }
            c->poll(tick());
            collect();
        }
        for (unsigned i = 0; i < members; ++i)
            ASSERT_EQ(rte_eth_dev_set_link_up(mem[i].a), 0);
        for (long spin = 0; spin < 20'000'000 && collected < injected; ++spin) {
            c->poll(tick());
            collect();
        }
        run.stop();
        for (int k = 0; k < 3; ++k) {
            c->poll(tick());
            collect();
        }
        const auto& k = c->counters();
        std::printf("race: %zu frames, %llu snapshots published, %llu freed\n", injected,
                    static_cast<unsigned long long>(k.snapshots_published),
                    static_cast<unsigned long long>(k.snapshots_freed));
        EXPECT_EQ(collected, injected);
        EXPECT_GE(k.snapshots_published, rounds / 8);
        // Every worker passed every snapshot but the current one.
        EXPECT_EQ(c->snapshots_awaiting_reclaim(), 0u);
        EXPECT_EQ(k.snapshots_freed + 1, k.snapshots_published);
        EXPECT_EQ(c->totals(host.b).total_drops(), 0u);
        for (unsigned i = 0; i < members; ++i)
            EXPECT_EQ(c->totals(mem[i].a).total_drops(), 0u) << "member " << i;
        ASSERT_EQ(seqs_of.size(), flows);
        for (auto& [flow, seqs] : seqs_of) {
            std::sort(seqs.begin(), seqs.end());
            ASSERT_EQ(seqs.size(), rounds) << "flow " << flow;
            for (uint32_t s = 0; s < rounds; ++s)
                if (seqs[s] != s) {
                    ADD_FAILURE() << "flow " << flow << " lost or duplicated frame " << s;
                    break;
                }
        }
        c->shutdown();
    }
    destroy_wire(host);
    for (auto& w : mem)
        destroy_wire(w);
    EXPECT_EQ(pool_in_use(), 0u) << "mbufs leaked";
    EXPECT_EQ(queue_pools_in_use(workers), 0u) << "mbufs leaked";
}

// ---- MACsec with two workers on their own lcores ---------------------------------

class race_macsec : public ::testing::Test {
protected:
    static constexpr unsigned workers = 2;
    static constexpr cipher_suite suite = cipher_suite::gcm_aes_256;

    void SetUp() override {
        static unsigned seq = 0;
        tag = "rm" + std::to_string(seq++);
        lcores = worker_lcores(workers);
        ASSERT_EQ(lcores.size(), workers) << "start with DP_LCORES giving " << workers << " worker lcores";
        host = make_wire(tag + "acc", workers);
        mem = make_wire(tag + "m0", workers);
        ASSERT_TRUE(model.add_port("m0", model::port_speed::g10).ok());
        ASSERT_TRUE(
            model.create_lag({.name = "lag0", .speed = model::port_speed::g10, .members = {"m0"}, .min_links = 1})
                .ok());
        ctl::control_config cfg;
        cfg.lag = "lag0";
        cfg.access_port = host.b;
        cfg.members.push_back({"m0", mem.a});
        cfg.name_prefix = tag;
        cfg.workers = workers;
        cfg.burst = burst;
        auto cr = ctl::control::create(model, cfg);
        ASSERT_TRUE(cr.ok()) << cr.err().to_string();
        c = std::move(*cr);
        auto d = ctl::macsec_driver::create(*c);
        ASSERT_TRUE(d.ok());
        drv = std::move(*d);
        ours.sci = our_sci;
        ours.suite = suite;
        ours.replay_window = 4096; // two queues: the partner sees both workers' PNs interleaved
        const macsec::sci_t peers[] = {peer_sci};
        ASSERT_TRUE(drv->add_port(mem.a, ours, peers).ok());
        auto e = crypto::engine::create();
        ASSERT_TRUE(e.ok());
        eng = std::move(*e);
        macsec::secy_config pc = ours;
        pc.sci = peer_sci;
        // The partner is the checker: it accepts a PN however far behind the
        // highest it saw (a worker that shares its CPU with the main lcore
        // may be descheduled holding reserved PNs while the other sends
        // thousands); the test itself counts every PN used twice.
        pc.replay_window = 1u << 30;
        auto p = macsec::secy::create(pc);
        ASSERT_TRUE(p.ok());
        partner = std::move(*p);
        ASSERT_TRUE(partner->add_rx_sc(our_sci).ok());
    }

    void TearDown() override {
        if (c)
            c->shutdown();
        drv.reset();
        c.reset();
        destroy_wire(host);
        destroy_wire(mem);
        EXPECT_EQ(pool_in_use(), 0u) << "mbufs leaked";
        EXPECT_EQ(queue_pools_in_use(workers), 0u) << "mbufs leaked";
    }

    // Our transmit key and the partner's, generation g.
    static macsec::sa_params ours_key(unsigned g) { return params(suite, static_cast<uint8_t>(0x10 + g), 1); }
    static macsec::sa_params theirs_key(unsigned g) { return params(suite, static_cast<uint8_t>(0x80 + g), 2); }

    void partner_rx(uint8_t an, unsigned g) {
        auto r = macsec::rx_sa::create(*eng, an, ours_key(g));
        ASSERT_TRUE(r.ok());
        ASSERT_TRUE(partner->install_rx_sa(our_sci, std::move(*r)).ok());
    }
    void partner_tx(uint8_t an, unsigned g) {
        auto t = macsec::tx_sa::create(*eng, an, theirs_key(g));
        ASSERT_TRUE(t.ok());
        ASSERT_TRUE(partner->install_tx_sa(std::move(*t)).ok());
        ASSERT_TRUE(partner->set_encoding_sa(an).ok());
    }

    // What the workers sent to the partner: verified there, PNs recorded per AN.
    void collect() {
        for (uint16_t q = 0; q < workers; ++q) {
            auto got = drain(mem.b, q);
            for (rte_mbuf* m : got) {
                const auto bytes = frame_bytes(m);
                if (bytes.size() < 20) {
                    ++refused;
                    continue;
                }
                const uint8_t an = bytes[14] & 0x3;
                const uint32_t pn = load_be32(bytes.data() + 16);
                if (!pns[an].insert(pn).second)
                    ++reused_pns;
                std::vector<uint8_t> buf(bytes.size() + 64);
                std::copy(bytes.begin(), bytes.end(), buf.begin() + 32);
                macsec::frame f{buf.data() + 32, static_cast<uint32_t>(bytes.size()), 32, 32};
                const auto st = partner->verify(*eng, f);
                if (macsec::delivered(st)) {
                    ++verified;
                } else {
                    ++refused;
                    ++refused_as[static_cast<unsigned>(st)];
                }
            }
            free_all(got);
        }
        for (uint16_t q = 0; q < workers; ++q) {
            auto back = drain(host.a, q);
            delivered += back.size();
            free_all(back);
        }
    }

    // Frames protected by the partner for our members' RX queues.
    std::vector<std::vector<uint8_t>> partner_frames(uint32_t seq, unsigned n) {
        std::vector<std::vector<uint8_t>> prot;
        for (uint32_t f = 0; f < n; ++f) {
            auto fr = udp_frame(200 + f, seq, 160);
            std::vector<uint8_t> buf(64 + fr.size() + 64);
            std::copy(fr.begin(), fr.end(), buf.begin() + 64);
            macsec::frame mf{buf.data() + 64, static_cast<uint32_t>(fr.size()), 64, 64};
            EXPECT_EQ(partner->protect(*eng, mf), macsec::tx_status::protected_frame);
            prot.emplace_back(mf.data, mf.data + mf.len);
        }
        return prot;
    }

    // One round of traffic both ways on every queue.
    void traffic(uint32_t seq, unsigned n) {
        for (uint16_t q = 0; q < workers; ++q) {
            std::vector<std::vector<uint8_t>> v;
            for (uint32_t f = 0; f < n; ++f)
                v.push_back(udp_frame(f * workers + q, seq, 128 + 8 * f));
            sent_out += v.size();
            inject_all(host.a, std::move(v), q, [&] { collect(); });
            if (both_ways) {
                auto in = partner_frames(seq, n);
                sent_in += in.size();
                inject_all(mem.b, std::move(in), q, [&] { collect(); });
            }
        }
        c->poll(tick());
        drv->poll();
        collect();
    }

    time_point tick() { return now += std::chrono::microseconds(10); }

    // Until the workers took everything and the partner got all of it.
    void settle() {
        for (long spin = 0; spin < 20'000'000 && (verified + refused < sent_out || delivered < sent_in); ++spin) {
            c->poll(tick());
            drv->poll();
            collect();
        }
    }

    uint16_t burst = 32;
    std::string tag;
    std::vector<unsigned> lcores;
    wire host{}, mem{};
    model::lag_model model;
    std::unique_ptr<ctl::control> c;
    std::unique_ptr<ctl::macsec_driver> drv;
    std::unique_ptr<crypto::engine> eng;
    std::unique_ptr<macsec::secy> partner;
    macsec::secy_config ours;
    time_point now{};
    bool both_ways = true;
    std::map<uint8_t, std::set<uint32_t>> pns; // per AN: PNs seen on the wire
    std::map<unsigned, size_t> refused_as; // rx_status -> frames the partner refused so
    size_t reused_pns = 0, verified = 0, refused = 0, delivered = 0, sent_out = 0, sent_in = 0;
};

TEST_F(race_macsec, sas_installed_and_retired_under_traffic_of_two_workers_lose_nothing) {
    ASSERT_TRUE(drv->install_tx_sa(mem.a, 0, ours_key(0)).ok());
    ASSERT_TRUE(drv->enable_tx_sa(mem.a, 0).ok());
    ASSERT_TRUE(drv->install_rx_sa(mem.a, peer_sci, 0, theirs_key(0)).ok());
    partner_rx(0, 0);
    partner_tx(0, 0);
    c->poll(tick());
    drv->poll();
    running_workers run(*c, lcores);
    ASSERT_EQ(run.launched(), workers);

    constexpr unsigned swaps = 10;
    uint32_t seq = 0;
    for (unsigned g = 1; g <= swaps; ++g) {
        const uint8_t old_an = static_cast<uint8_t>((g - 1) % 4), an = static_cast<uint8_t>(g % 4);
        for (int r = 0; r < 4; ++r)
            traffic(seq++, 12);
        // Whatever used the AN before (four generations ago) is gone from the
        // wire and freed: the partner may take the new key there.
        settle();
        partner_rx(an, g);
        pns[an].clear();
        // Ours: receive at the new AN first, then transmit moves to it and
        // the old transmit SA retires while both workers run.
        ASSERT_TRUE(drv->install_rx_sa(mem.a, peer_sci, an, theirs_key(g)).ok());
        ASSERT_TRUE(drv->install_tx_sa(mem.a, an, ours_key(g)).ok());
        ASSERT_TRUE(drv->enable_tx_sa(mem.a, an).ok());
        drv->retire_tx_sa(mem.a, old_an);
        for (long spin = 0; spin < 200'000 && drv->awaiting_reclaim() > 0; ++spin) {
            traffic(seq++, 4);
        }
        ASSERT_EQ(drv->awaiting_reclaim(), 0u) << "swap " << g << ": the old SA was never freed";
        // Every worker passed the install: the partner moves to the new AN,
        // and once what it sent at the old one was received, that retires.
        partner_tx(an, g);
        settle();
        drv->retire_rx_sa(mem.a, peer_sci, old_an);
    }
    for (int r = 0; r < 4; ++r)
        traffic(seq++, 12);
    settle();
    run.stop();
    for (int k = 0; k < 3; ++k) {
        c->poll(tick());
        drv->poll();
        collect();
    }
    std::printf("race: %u SA swaps, %zu frames out, %zu in\n", swaps, sent_out, sent_in);
    EXPECT_EQ(verified, sent_out);
    EXPECT_EQ(refused, 0u);
    for (auto [st, n] : refused_as)
        ADD_FAILURE() << n << " frame(s) refused by the partner as rx_status " << st;
    EXPECT_EQ(reused_pns, 0u);
    EXPECT_EQ(delivered, sent_in);
    EXPECT_EQ(drv->awaiting_reclaim(), 0u);
    for (uint16_t port : {mem.a, host.b}) {
        const auto t = c->totals(port);
        EXPECT_EQ(t.total_drops(), 0u) << "DPDK port " << port;
        for (size_t i = 0; i < dp::drop_reason_count; ++i)
            if (t.drops[i] != 0)
                ADD_FAILURE() << "DPDK port " << port << ": " << t.drops[i] << " dropped as "
                              << dp::to_string(static_cast<dp::drop_reason>(i));
    }
    // What the workers counted, over every SA that came and went.
    EXPECT_EQ(c->totals(mem.a).macsec_tx[static_cast<size_t>(macsec::tx_status::protected_frame)], sent_out);
}

// Bursts of one frame: each frame is a PN reservation of its own, so the two
// workers reserve from the shared SA as often, and as nearly at once, as
// they can.
class race_macsec_burst1 : public race_macsec {
protected:
    race_macsec_burst1() { burst = 1; }
};

TEST_F(race_macsec_burst1, two_workers_protecting_on_one_transmit_sa_use_every_pn_exactly_once) {
    both_ways = false;
    ASSERT_TRUE(drv->install_tx_sa(mem.a, 0, ours_key(0)).ok());
    ASSERT_TRUE(drv->enable_tx_sa(mem.a, 0).ok());
    partner_rx(0, 0);
    c->poll(tick());
    drv->poll();
    running_workers run(*c, lcores);
    ASSERT_EQ(run.launched(), workers);
    // Both queues filled at once, then drained by both workers side by side
    // while the main lcore sleeps (it shares a CPU with one of them).
    for (uint32_t seq = 0; seq < 400; ++seq) {
        traffic(seq, 64);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    settle();
    run.stop();
    for (int k = 0; k < 3; ++k) {
        c->poll(tick());
        drv->poll();
        collect();
    }
    // What was sent: every PN from 1 to the count, each once, and nothing else.
    const auto& used = pns[0];
    std::printf("race: %zu frames protected by two workers on one SA, %zu distinct PNs\n", sent_out, used.size());
    EXPECT_EQ(reused_pns, 0u) << "a PN was sent twice";
    EXPECT_EQ(used.size(), sent_out);
    ASSERT_FALSE(used.empty());
    EXPECT_EQ(*used.begin(), 1u);
    EXPECT_EQ(*used.rbegin(), sent_out);
    EXPECT_EQ(verified, sent_out);
    EXPECT_EQ(drv->tx_sa_of(mem.a, 0)->next_pn(), sent_out + 1);
    dp::port_totals w0, w1;
    w0.add(c->worker(0).counters().ports[host.b]);
    w1.add(c->worker(1).counters().ports[host.b]);
    EXPECT_GT(w0.rx_packets, 0u);
    EXPECT_GT(w1.rx_packets, 0u);
}

} // namespace
