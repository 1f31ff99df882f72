// dpdk-lag-bench: one core, one run, the anchors side by side.
//
//   dpdk-lag-bench [--json] [--seconds S] [--trials N] [--hugepages auto|yes|no]
//                  [--lcore N] [--flows N] [--frames N] [--round N] [--seed N]
//
// Scenarios, all fed the same pre-built traffic (see feed in harness.hpp):
//   io_fwd             rx burst -> tx burst between the access port and one
//                      net_null port: the ceiling on this machine
//   bond_8023ad_l34_K  DPDK's bonding PMD, 802.3ad, l34, over K net_null members
//   worker_l34_K       this engine's worker, l34, over K net_null members
//   worker_l34_nichash_K  the same, bucketing by the RSS hash a NIC delivers
//                      (written into the egress mbufs once, when the traffic
//                      is built): the frame is not read on egress
// Reported per scenario: packets per second and TSC cycles per packet of the
// median measured round (both directions counted), and ratios to the anchors
// measured in the same run.

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "dataplane/dataplane.hpp"
#include "dpdk/dpdk.hpp"
#include "harness.hpp"
#include "hugepages.hpp"

namespace lag::bench {
namespace {

std::atomic<bool> quit{false};
void on_signal(int) { quit.store(true, std::memory_order_relaxed); }

// die() calls std::exit, which runs no destructors: give the hugepages back
// from an atexit handler too (the kernel frees pages still mapped when the
// process ends; nr_hugepages is restored either way).
hugepage_reservation* reservation_at_exit = nullptr;
void release_at_exit() {
    if (reservation_at_exit != nullptr) reservation_at_exit->release();
}

struct options {
    bool json = false;
    bool verbose = false;
    double seconds = 1.0;
    unsigned trials = 3;
    huge_mode huge = huge_mode::automatic;
    uint32_t huge_pages = 256;
    int lcore = -1;
    uint32_t round = 1024;
    std::vector<std::string> only;   // scenario names to run; empty: all
    std::vector<std::string> eal_extra;   // --eal ARG, appended to EAL's arguments
    std::string direction = "both";       // both, egress, ingress
    traffic_config tcfg;
};

[[noreturn]] void usage(int rc) {
    std::fprintf(rc == 0 ? stdout : stderr,
        "usage: dpdk-lag-bench [options]\n"
        "  --json               print one JSON object instead of the table\n"
        "  --seconds S          measured time per scenario and trial (default 1.0)\n"
        "  --trials N           trials, scenarios interleaved (default 3)\n"
        "  --hugepages MODE     auto (reserve 2 MB pages if root, else --no-huge),\n"
        "                       yes (fail without them), no (--no-huge); default auto\n"
        "  --huge-pages N       2 MB pages to have free (default 256)\n"
        "  --lcore N            CPU to run on (default: the last one allowed)\n"
        "  --flows N            distinct flows (default 1024)\n"
        "  --frames N           pre-built frames per direction (default 8192)\n"
        "  --round N            frames per direction per measured round (default 1024)\n"
        "  --seed N             traffic seed (default 1)\n"
        "  --only A,B           run only these scenarios (e.g. worker_l34_2, to profile)\n"
        "  --direction D        both (default), egress (access -> LAG only) or ingress\n"
        "  --eal ARG            one more EAL argument (repeatable), e.g. --eal -d --eal DRIVER.so\n"
        "  --verbose            DPDK's own log at info level\n");
    std::exit(rc);
}

options parse(int argc, char** argv) {
    options o;
    auto need = [&](int& i) -> const char* {
        if (i + 1 >= argc) {
            std::fprintf(stderr, "dpdk-lag-bench: %s needs a value\n", argv[i]);
            usage(2);
        }
        return argv[++i];
    };
    auto num = [&](int& i) -> unsigned long {
        const char* arg = argv[i];
        const char* v = need(i);
        char* end = nullptr;
        const unsigned long x = std::strtoul(v, &end, 10);
        if (end == v || *end != '\0') {
            std::fprintf(stderr, "dpdk-lag-bench: %s: not a number: %s\n", arg, v);
            usage(2);
        }
        return x;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--json") o.json = true;
        else if (a == "--verbose") o.verbose = true;
        else if (a == "--help" || a == "-h") usage(0);
        else if (a == "--seconds") {
            const char* v = need(i);
            char* end = nullptr;
            o.seconds = std::strtod(v, &end);
            if (end == v || *end != '\0' || !(o.seconds > 0) || o.seconds > 30) {
                std::fprintf(stderr, "dpdk-lag-bench: --seconds: want 0 < S <= 30, got %s\n", v);
                usage(2);
            }
        } else if (a == "--trials") o.trials = static_cast<unsigned>(std::clamp(num(i), 1ul, 20ul));
        else if (a == "--hugepages") {
            const std::string v = need(i);
            if (v == "auto") o.huge = huge_mode::automatic;
            else if (v == "yes") o.huge = huge_mode::required;
            else if (v == "no") o.huge = huge_mode::off;
            else usage(2);
        } else if (a == "--huge-pages") o.huge_pages = static_cast<uint32_t>(std::clamp(num(i), 16ul, 8192ul));
        else if (a == "--lcore") o.lcore = static_cast<int>(std::min(num(i), 1023ul));
        else if (a == "--flows") o.tcfg.flows = static_cast<uint32_t>(std::clamp(num(i), 1ul, 1ul << 20));
        else if (a == "--frames") o.tcfg.frames = static_cast<uint32_t>(std::clamp(num(i), 64ul, 1ul << 20));
        else if (a == "--round") o.round = static_cast<uint32_t>(std::clamp(num(i), 1ul, 1ul << 16));
        else if (a == "--seed") o.tcfg.seed = num(i);
        else if (a == "--eal") o.eal_extra.push_back(need(i));
        else if (a == "--direction") {
            o.direction = need(i);
            if (o.direction != "both" && o.direction != "egress" && o.direction != "ingress") usage(2);
        }
        else if (a == "--only") {
            std::string v = need(i);
            for (size_t pos = 0; pos <= v.size();) {
                const size_t comma = std::min(v.find(',', pos), v.size());
                if (comma > pos) o.only.push_back(v.substr(pos, comma - pos));
                pos = comma + 1;
            }
        }
        else {
            std::fprintf(stderr, "dpdk-lag-bench: unknown option %s\n", a.c_str());
            usage(2);
        }
    }
    // Rounds are whole bursts, so net_null's all-or-nothing RX allocation
    // always finds a full burst (or nothing) in the ingress pool.
    o.round = std::max<uint32_t>(burst_size, o.round / burst_size * burst_size);
    return o;
}

int default_lcore() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    for (int c = CPU_SETSIZE - 1; c >= 0; --c)
        if (CPU_ISSET(c, &set)) return c;
    return 0;
}

// ---- forwarders ------------------------------------------------------------

// rx burst -> tx burst both ways, unsent frames freed and counted; what
// testpmd's io forwarding does, and how an application drives the bond port.
struct port_pair_fwd {
    uint16_t access = 0;
    uint16_t uplink = 0;
    uint64_t dropped = 0;

    // Out of line, so that `valgrind --tool=callgrind --toggle-collect=`
    // can count exactly the forwarding (scripts/bench-callgrind.sh).
    [[gnu::noinline]] void poll() noexcept {
        rte_mbuf* b[burst_size];
        uint16_t n = rte_eth_rx_burst(access, 0, b, burst_size);
        if (n != 0) {
            const uint16_t s = rte_eth_tx_burst(uplink, 0, b, n);
            if (s < n) {
                rte_pktmbuf_free_bulk(b + s, n - s);
                dropped += n - s;
            }
        }
        n = rte_eth_rx_burst(uplink, 0, b, burst_size);
        if (n != 0) {
            const uint16_t s = rte_eth_tx_burst(access, 0, b, n);
            if (s < n) {
                rte_pktmbuf_free_bulk(b + s, n - s);
                dropped += n - s;
            }
        }
    }
};

// ---- measuring ---------------------------------------------------------------

struct scenario {
    scenario_result result;
    std::vector<uint16_t> count_egress_on;   // ports whose TX counts egress
    std::vector<uint16_t> reset_ports;
    port_pair_fwd pair;                      // io_fwd and bond
    // worker scenarios: as deployed, with an (empty) control ring to drain
    // and an RCU QSBR variable to report quiescence on every poll.
    std::unique_ptr<const lag::dp::snapshot> snap;
    lag::dpdk::ring_ptr control_ring;
    lag::dpdk::qsbr_ptr qsbr;
    std::unique_ptr<lag::dp::worker> worker;
};

template <class Poll>
bool run_round(feed& f, Poll&& poll, uint64_t& cycles) noexcept {
    if (!f.load_round()) return false;
    const uint64_t limit = 64ull * f.round;   // far above any working scenario's need
    uint64_t polls = 0;
    const uint64_t t0 = rte_rdtsc();
    do {
        poll();
    } while (!f.round_done() && ++polls < limit);
    cycles = rte_rdtsc() - t0;
    return polls < limit;
}

template <class Poll>
void measure(feed& f, scenario& sc, Poll&& poll, double seconds, std::vector<uint64_t>& rounds) {
    scenario_result& r = sc.result;
    if (!r.error.empty()) return;
    for (uint16_t p : sc.reset_ports) rte_eth_stats_reset(p);
    rte_eth_stats_reset(f.access_port);
    const uint64_t hz = rte_get_tsc_hz();
    uint64_t cycles = 0, rounds_fed = 0;

    // Warm-up: a tenth of the time, at least 16 rounds; not counted.
    const uint64_t warm_end = rte_rdtsc() + static_cast<uint64_t>(seconds * 0.1 * hz);
    for (unsigned i = 0; (i < 16 || rte_rdtsc() < warm_end) && !quit.load(std::memory_order_relaxed); ++i) {
        if (!run_round(f, poll, cycles)) {
            r.error = "did not forward a round of input (frames lost or stuck)";
            f.reset();
            return;
        }
        ++rounds_fed;
    }
    rounds.clear();
    const uint64_t end = rte_rdtsc() + static_cast<uint64_t>(seconds * hz);
    while (rte_rdtsc() < end && rounds.size() < rounds.capacity() &&
           !quit.load(std::memory_order_relaxed)) {
        if (!run_round(f, poll, cycles)) {
            r.error = "did not forward a round of input (frames lost or stuck)";
            f.reset();
            return;
        }
        rounds.push_back(cycles);
        ++rounds_fed;
    }
    if (rounds.empty()) {
        r.error = "interrupted";
        return;
    }
    if (!f.all_home()) {
        r.error = "frames missing after the trial (leak or loss)";
        f.reset();
        return;
    }
    trial_result t;
    t.rounds = rounds.size();
    const double per_round = f.per_round();
    t.packets = static_cast<uint64_t>(rounds.size() * per_round);
    uint64_t total = 0;
    for (uint64_t c : rounds) total += c;
    t.mean_cycles_per_packet = static_cast<double>(total) / static_cast<double>(t.packets);
    auto mid = rounds.begin() + static_cast<long>(rounds.size() / 2);
    std::nth_element(rounds.begin(), mid, rounds.end());
    t.cycles_per_packet = static_cast<double>(*mid) / per_round;
    r.trials.push_back(t);

    if (f.egress_on) r.fed_egress += rounds_fed * f.round;
    if (f.ingress_on) r.fed_ingress += rounds_fed * f.round;
    rte_eth_stats st{};
    if (rte_eth_stats_get(f.access_port, &st) == 0) r.ingress_packets += st.opackets;
    r.member_egress.resize(sc.count_egress_on.size());
    for (size_t i = 0; i < sc.count_egress_on.size(); ++i) {
        if (rte_eth_stats_get(sc.count_egress_on[i], &st) == 0) {
            r.egress_packets += st.opackets;
            r.member_egress[i] += st.opackets;
        }
    }
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::vector<std::string> eal_args_for(const options& o, const hugepage_reservation& huge, int lcore) {
    std::vector<std::string> a = {"dpdk-lag-bench", "-l", std::to_string(lcore), "--no-pci",
                                  "--file-prefix", fmt::format("dpdk-lag-bench-{}", getpid())};
    if (huge.active()) {
        a.insert(a.end(), {"--in-memory", "--huge-dir", huge.dir()});
    } else {
        // --no-huge implies legacy memory, which --in-memory refuses in 22.11.
        a.insert(a.end(), {"--no-huge", "-m", "1024", "--no-shconf"});
    }
    a.push_back("--no-telemetry");
    a.insert(a.end(), o.eal_extra.begin(), o.eal_extra.end());
    if (o.verbose) {
        a.push_back("--log-level=info");
    } else {
        a.push_back("--log-level=warning");
        // The bonding PMD logs an error for each net_null member at start
        // (net_null cannot turn promiscuous or allmulti mode off); the harness
        // checks the bond's state itself (make_bond). --verbose shows them.
        a.push_back("--log-level=pmd.net.bonding:critical");
    }
    return a;
}

int run(int argc, char** argv) {
    options o = parse(argc, argv);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    // DPDK logs to stdout by default; keep stdout for the table or JSON.
    rte_openlog_stream(stderr);

    const char* retry_note = std::getenv("DPDK_LAG_BENCH_HUGE_FAILED");
    hugepage_reservation huge = hugepage_reservation::acquire(retry_note ? huge_mode::off : o.huge, o.huge_pages);
    std::string memory_note = retry_note ? fmt::format("--no-huge (EAL did not start on hugepages: {})", retry_note)
                                         : huge.note();
    reservation_at_exit = &huge;
    std::atexit(release_at_exit);
    if (o.huge == huge_mode::required && !huge.active()) die("hugepages required: " + memory_note);

    const int lcore = o.lcore >= 0 ? o.lcore : default_lcore();
    std::vector<std::string> eal = eal_args_for(o, huge, lcore);
    std::vector<char*> eal_argv;
    for (auto& s : eal) eal_argv.push_back(s.data());
    eal_argv.push_back(nullptr);
    if (rte_eal_init(static_cast<int>(eal.size()), eal_argv.data()) < 0) {
        const std::string why = rte_strerror(rte_errno);
        if (huge.active() && o.huge == huge_mode::automatic) {
            // EAL cannot be started twice in one process: try again in a fresh
            // one without hugepages.
            huge.release();
            setenv("DPDK_LAG_BENCH_HUGE_FAILED", why.c_str(), 1);
            execv("/proc/self/exe", argv);
        }
        die("EAL: " + why);
    }
    mark_eal_up();
    const int socket = static_cast<int>(rte_socket_id());

    const traffic t = make_traffic(o.tcfg);
    feed f = make_feed(t, o.round, socket);
    f.egress_on = o.direction != "ingress";
    f.ingress_on = o.direction != "egress";
    const uint16_t null_size = o.tcfg.ingress_len;

    std::vector<scenario> scs;
    {
        scenario io;
        io.result.name = "io_fwd";
        io.result.kind = "io_fwd";
        io.result.members = 1;
        io.result.what = "rx burst -> tx burst, access <-> one net_null port (the ceiling)";
        const uint16_t np = make_null_port("net_null_io", null_size, f.ingress_pool, true, socket);
        io.pair = {f.access_port, np, 0};
        io.count_egress_on = {np};
        io.reset_ports = {np};
        scs.push_back(std::move(io));
    }
    for (uint32_t k : {2u, 4u}) {
        scenario b;
        b.result.name = fmt::format("bond_8023ad_l34_{}", k);
        b.result.kind = "bond_8023ad";
        b.result.members = k;
        b.result.what = fmt::format("DPDK bonding PMD, 802.3ad, l34, {} net_null members", k);
        std::vector<uint16_t> members;
        for (uint32_t i = 0; i < k; ++i)
            members.push_back(make_null_port(fmt::format("net_null_b{}_{}", k, i), null_size, f.ingress_pool,
                                             false, socket));
        const uint16_t bond = make_bond(fmt::format("net_bonding_b{}", k), members, f.ingress_pool, socket);
        b.pair = {f.access_port, bond, 0};
        b.count_egress_on = members;
        b.reset_ports = members;
        b.reset_ports.push_back(bond);
        scs.push_back(std::move(b));
    }

    for (auto [k, nic] : {std::pair{2u, false}, {4u, false}, {2u, true}, {4u, true}}) {
        scenario w;
        w.result.name = nic ? fmt::format("worker_l34_nichash_{}", k) : fmt::format("worker_l34_{}", k);
        w.result.kind = nic ? "worker_nichash" : "worker";
        w.result.members = k;
        w.result.what = nic ? fmt::format("dpdk-lag worker, l34, the NIC's RSS hash (Toeplitz, standard key, written "
                                          "into the egress mbufs once when the traffic is built), 256 buckets, "
                                          "control ring and RCU QSBR as deployed, {} net_null members", k)
                            : fmt::format("dpdk-lag worker (lag::dp::worker::poll_once), l34, CRC32, 256 buckets, "
                                          "control ring and RCU QSBR as deployed, {} net_null members", k);
        lag::dp::membership m;
        m.access_port = f.access_port;
        for (uint32_t i = 0; i < k; ++i)
            m.member_ports.push_back(make_null_port(fmt::format("net_null_w{}{}_{}", nic ? "n" : "", k, i), null_size,
                                                    f.ingress_pool, true, socket));
        m.distributing.assign(k, true);
        m.collecting.assign(k, true);
        m.min_links = 1;
        m.lag_up = true;
        m.policy = lag::dp::hash_policy::l34;
        m.algo = nic ? lag::dp::hash_algo::toeplitz : lag::dp::hash_algo::crc32;
        m.nic_hash = nic;
        w.snap = lag::dp::build_snapshot(m, nullptr);
        if (!w.snap) die("build_snapshot refused the benchmark's membership");
        auto ring = lag::dpdk::make_ring(fmt::format("bench_ctl_w{}{}", nic ? "n" : "", k), 64, lag::dp::control_message_size,
                                         lag::dpdk::ring_sync::sp_sc, socket);
        if (!ring) die(ring.err().to_string());
        w.control_ring = std::move(ring.value());
        auto qsbr = lag::dpdk::make_qsbr(1);
        if (!qsbr) die(qsbr.err().to_string());
        w.qsbr = std::move(qsbr.value());
        lag::dp::worker_config wc;
        wc.initial = w.snap.get();
        wc.burst = burst_size;
        wc.control_ring = w.control_ring.get();
        wc.qsbr = w.qsbr.get();
        w.worker = std::make_unique<lag::dp::worker>(wc);
        w.count_egress_on = m.member_ports;
        w.reset_ports = m.member_ports;
        scs.push_back(std::move(w));
    }

    if (!o.only.empty()) {
        for (const auto& name : o.only)
            if (std::none_of(scs.begin(), scs.end(), [&](const scenario& sc) { return sc.result.name == name; }))
                die("--only: no scenario " + name);
        std::erase_if(scs, [&](const scenario& sc) {
            return std::find(o.only.begin(), o.only.end(), sc.result.name) == o.only.end();
        });
    }

    std::vector<uint64_t> rounds;
    rounds.reserve(1u << 20);
    for (unsigned trial = 0; trial < o.trials && !quit.load(); ++trial) {
        for (auto& sc : scs) {
            if (sc.worker) {
                lag::dp::worker* w = sc.worker.get();
                measure(f, sc, [w]() noexcept { w->poll_once(); }, o.seconds, rounds);
            } else {
                port_pair_fwd& p = sc.pair;
                measure(f, sc, [&p]() noexcept { p.poll(); }, o.seconds, rounds);
            }
        }
    }

    // Aggregate: the median over trials of each trial's median round.
    const uint64_t hz = rte_get_tsc_hz();
    std::vector<scenario_result> results;
    for (auto& sc : scs) {
        scenario_result r = sc.result;
        std::vector<double> med, mean;
        for (const auto& tr : r.trials) {
            med.push_back(tr.cycles_per_packet);
            mean.push_back(tr.mean_cycles_per_packet);
        }
        r.cycles_per_packet = median(med);
        r.mean_cycles_per_packet = median(mean);
        r.mpps = r.cycles_per_packet > 0 ? static_cast<double>(hz) / r.cycles_per_packet / 1e6 : 0;
        uint64_t dropped = sc.pair.dropped;
        if (sc.worker) {
            for (const auto& pc : sc.worker->counters().ports)
                for (const auto& d : pc.drops) dropped += d.load();
        }
        if (r.error.empty() && (r.egress_packets != r.fed_egress || r.ingress_packets != r.fed_ingress || dropped))
            r.error = fmt::format("ports counted {} egress and {} ingress frames for {} fed each way ({} dropped)",
                                  r.egress_packets, r.ingress_packets, r.fed_egress, dropped);
        results.push_back(std::move(r));
    }

    report_info info;
    info.memory = memory_note;
    info.hugepages = huge.active();
    info.lcore = rte_lcore_id();
    info.tsc_hz = hz;
    info.seconds = o.seconds;
    info.trials = o.trials;
    info.round = o.round;
    info.traffic = t.describe();
    info.direction = o.direction;
    info.tcfg = o.tcfg;
    info.mean_wire_size = t.mean_wire_size();
    info.input = fmt::format(
        "access port: net_ring whose RX ring is loaded with {} pre-built frames per round from a pool "
        "members free them back to; members: net_null (size={},copy=0) whose RX allocates from a pool "
        "of {} pre-built ingress frames, {} released per round; only the forwarding is timed",
        o.round, null_size, t.ingress.size(), o.round);
    info.bond_method = bond_distribution_method;
    info.eal_args = eal;

    if (o.json) print_json(info, results);
    else print_table(info, results);

    scs.clear();
    shutdown_dpdk();
    huge.release();
    bool ok = !quit.load();
    for (const auto& r : results) ok = ok && r.error.empty() && !r.trials.empty();
    return ok ? 0 : 1;
}

} // namespace
} // namespace lag::bench

int main(int argc, char** argv) { return lag::bench::run(argc, argv); }
