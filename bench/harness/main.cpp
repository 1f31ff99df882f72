// dpdk-lag-bench: one core, one run, the anchors side by side.
//
//   dpdk-lag-bench [--json] [--seconds S] [--trials N] [--hugepages auto|yes|no]
//                  [--lcore N] [--flows N] [--frames N] [--round N] [--seed N]
//                  [--direction LIST] [--sizes LIST] [--members LIST] [--macsec LIST]
//
// One run is a matrix: for each frame size (64, 512, 1518 octets, IMIX) and
// MACsec off and on, a cell of ports and traffic; in each cell, for each
// direction (both, egress, ingress), every scenario, all fed the same
// pre-built traffic (see feed in harness.hpp):
//   io_fwd             rx burst -> tx burst between the access port and one
//                      net_null port: the ceiling on this machine
//   bond_8023ad_l34_K  DPDK's bonding PMD, 802.3ad, l34, over K net_null members
//   worker_l34_K       this engine's worker, l34, over K net_null members
//   worker_l34_nichash_K  the same, bucketing by the RSS hash a NIC delivers
//                      (written into the egress mbufs once, when the traffic
//                      is built): the frame is not read on egress (MACsec off)
//   worker_l34_macsec_K   the worker with a SecY per member (MACsec on):
//                      GCM-AES-128, SCI in the SecTAG, every egress frame
//                      protected, every ingress frame (protected once, when
//                      the traffic is built) verified, decrypted, stripped
// In a MACsec cell the ingress frames are protected ones for every scenario
// (io_fwd, the bond and the clear worker forward them as they are).
// Reported per scenario and cell: packets per second and TSC cycles per
// packet of the median measured round (the directions fed counted), and
// ratios to the anchors of the same cell and direction, measured in the
// same run.

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
#include <rte_ring_elem.h>

#include "crypto/crypto.hpp"
#include "dataplane/dataplane.hpp"
#include "dpdk/dpdk.hpp"
#include "macsec/macsec.hpp"
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
    double seconds = 0.2;
    unsigned trials = 3;
    huge_mode huge = huge_mode::automatic;
    uint32_t huge_pages = 256;
    int lcore = -1;
    uint32_t round = 1024;
    std::vector<std::string> only;   // scenario names to run; empty: all
    std::vector<std::string> eal_extra;   // --eal ARG, appended to EAL's arguments
    std::vector<std::string> directions = {"both", "egress", "ingress"};
    std::vector<uint16_t> sizes = {64, 512, 1518, 0};   // wire sizes; 0: IMIX
    std::vector<uint32_t> members = {2, 4, 8};
    std::vector<bool> macsec = {false, true};
    traffic_config tcfg;
};

std::vector<std::string> split(const std::string& v) {
    std::vector<std::string> out;
    for (size_t pos = 0; pos <= v.size();) {
        const size_t comma = std::min(v.find(',', pos), v.size());
        if (comma > pos) out.push_back(v.substr(pos, comma - pos));
        pos = comma + 1;
    }
    return out;
}

std::string size_label(uint16_t wire_size) { return wire_size == 0 ? "imix" : std::to_string(wire_size); }

[[noreturn]] void usage(int rc) {
    std::fprintf(rc == 0 ? stdout : stderr,
        "usage: dpdk-lag-bench [options]\n"
        "  --json               print one JSON object instead of the table\n"
        "  --seconds S          measured time per scenario, cell, direction and trial (default 0.2)\n"
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
        "  --direction LIST     of both, egress (access -> LAG only), ingress; default all three\n"
        "  --sizes LIST         egress wire sizes, 64..1518 or imix; default 64,512,1518,imix\n"
        "  --members LIST       member counts, 1..8; default 2,4,8\n"
        "  --macsec LIST        of off, on; default both\n"
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
            o.directions = split(need(i));
            for (const auto& d : o.directions)
                if (d != "both" && d != "egress" && d != "ingress") usage(2);
            if (o.directions.empty()) usage(2);
        } else if (a == "--sizes") {
            o.sizes.clear();
            for (const auto& v : split(need(i))) {
                char* end = nullptr;
                const unsigned long x = v == "imix" ? 0 : std::strtoul(v.c_str(), &end, 10);
                if (v != "imix" && (end == v.c_str() || *end != '\0' || x < 64 || x > 1518)) {
                    std::fprintf(stderr, "dpdk-lag-bench: --sizes: want 64..1518 or imix, got %s\n", v.c_str());
                    usage(2);
                }
                o.sizes.push_back(static_cast<uint16_t>(x));
            }
            if (o.sizes.empty()) usage(2);
        } else if (a == "--members") {
            o.members.clear();
            for (const auto& v : split(need(i))) {
                char* end = nullptr;
                const unsigned long x = std::strtoul(v.c_str(), &end, 10);
                if (end == v.c_str() || *end != '\0' || x < 1 || x > 8) {
                    std::fprintf(stderr, "dpdk-lag-bench: --members: want 1..8, got %s\n", v.c_str());
                    usage(2);
                }
                o.members.push_back(static_cast<uint32_t>(x));
            }
            if (o.members.empty()) usage(2);
        } else if (a == "--macsec") {
            o.macsec.clear();
            for (const auto& v : split(need(i))) {
                if (v != "on" && v != "off") usage(2);
                o.macsec.push_back(v == "on");
            }
            if (o.macsec.empty()) usage(2);
        }
        else if (a == "--only") o.only = split(need(i));
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

// One member's SecY as the worker drives it, with its SAs (the harness
// owns them, as the control core would).
struct macsec_member {
    uint16_t port = 0;
    std::unique_ptr<lag::macsec::secy> secy;
    std::unique_ptr<lag::macsec::tx_sa> tx;
    std::unique_ptr<lag::macsec::rx_sa> rx;
};

struct scenario {
    scenario_result result;                  // the cell's; copied per direction
    std::vector<uint16_t> count_egress_on;   // ports whose TX counts egress
    std::vector<uint16_t> reset_ports;
    port_pair_fwd pair;                      // io_fwd and bond
    // worker scenarios: as deployed, with an (empty) control ring to drain
    // and an RCU QSBR variable to report quiescence on every poll.
    std::unique_ptr<const lag::dp::snapshot> snap;
    lag::dpdk::ring_ptr control_ring;
    lag::dpdk::qsbr_ptr qsbr;
    std::vector<macsec_member> macsec;
    std::unique_ptr<lag::dp::worker> worker;
    std::vector<scenario_result> rows;       // one per direction, in run order
};

// Not timed, before each round. The pre-built ingress frames come round
// again with the PNs they were protected with, which a receive SA's replay
// bitmap (the last 1024 PNs) rightly refuses: each SA is detached and
// attached again, which keeps its next PN and clears the bitmap, so every
// frame of the round is checked and accepted as a fresh one would be.
void prepare_round(scenario& sc) noexcept {
    if (sc.macsec.empty()) return;
    for (const auto& mm : sc.macsec) {
        const uint16_t port = mm.port;
        lag::dp::control_message m[2] = {
            {lag::dp::message_kind::macsec_rx_detach, lag::dp::macsec_arg(port, 0, 0), nullptr},
            {lag::dp::message_kind::macsec_rx_sa, lag::dp::macsec_arg(port, 0, 0), mm.rx.get()}};
        (void)rte_ring_sp_enqueue_bulk_elem(sc.control_ring.get(), m, sizeof m[0], 2, nullptr);
    }
    // Nothing is queued on the ports between rounds: this applies the messages only.
    sc.worker->poll_once();
}

uint64_t drops_of(const scenario& sc) noexcept {
    uint64_t d = sc.pair.dropped;
    if (sc.worker)
        for (const auto& pc : sc.worker->counters().ports)
            for (const auto& x : pc.drops) d += x.load();
    return d;
}

template <class Poll>
bool run_round(feed& f, scenario& sc, Poll&& poll, uint64_t& cycles) noexcept {
    prepare_round(sc);
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
void measure(feed& f, scenario& sc, scenario_result& r, Poll&& poll, double seconds, std::vector<uint64_t>& rounds) {
    if (!r.error.empty()) return;
    for (uint16_t p : sc.reset_ports) rte_eth_stats_reset(p);
    rte_eth_stats_reset(f.access_port);
    const uint64_t hz = rte_get_tsc_hz();
    uint64_t cycles = 0, rounds_fed = 0;

    // Warm-up: a tenth of the time, at least 16 rounds; not counted.
    const uint64_t warm_end = rte_rdtsc() + static_cast<uint64_t>(seconds * 0.1 * hz);
    for (unsigned i = 0; (i < 16 || rte_rdtsc() < warm_end) && !quit.load(std::memory_order_relaxed); ++i) {
        if (!run_round(f, sc, poll, cycles)) {
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
        if (!run_round(f, sc, poll, cycles)) {
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

// MACsec in the bench: GCM-AES-128, one key for every SA, SCI in the SecTAG.
// The worker's SecY on member k transmits as SCI 0x02000000000100kk and
// receives from the partner's SCI; the partner's frames are protected once,
// when a cell is built, by a SecY of its own.
constexpr lag::macsec::sci_t partner_sci = 0x0200005e10000001ull;
const char* const macsec_setup =
    "GCM-AES-128, SCI in the SecTAG (16 octets) and a 16-octet ICV, confidentiality offset 0, "
    "validateFrames strict, replay protection on (window 2^30: the pre-built frames' PNs come round again); "
    "one SecY per member (the worker's protect_burst/verify_burst), one transmit and one receive SA each; "
    "ingress frames protected once by the partner's SecY when the cell is built";

lag::macsec::sa_params sa_params_for_bench() {
    lag::macsec::sa_params p;
    p.suite = lag::cipher_suite::gcm_aes_128;
    std::vector<uint8_t> k(16, 0x5A);
    p.key.assign(k);
    p.next_pn = 1;
    return p;
}

template <class T>
T must(lag::result<T> r, const char* what) {
    if (!r) die(fmt::format("{}: {}", what, r.err().to_string()));
    return std::move(r.value());
}

// The partner's side of a MACsec cell: each clear ingress frame protected.
std::vector<frame> protect_as_partner(const std::vector<frame>& clear, lag::crypto::engine& e) {
    lag::macsec::secy_config c;
    c.sci = partner_sci;
    auto peer = must(lag::macsec::secy::create(c), "partner SecY");
    auto r = peer->install_tx_sa(must(lag::macsec::tx_sa::create(e, 0, sa_params_for_bench()), "partner SA"));
    if (!r || !peer->set_encoding_sa(0)) die("partner SecY: cannot use its SA");
    std::vector<frame> out;
    out.reserve(clear.size());
    std::vector<uint8_t> buf;
    for (const frame& f : clear) {
        buf.assign(16 + f.size() + 16, 0);
        std::memcpy(buf.data() + 16, f.data(), f.size());
        lag::macsec::frame mf{buf.data() + 16, static_cast<uint32_t>(f.size()), 16, 16};
        if (peer->protect(e, mf) != lag::macsec::tx_status::protected_frame) die("partner SecY refused a frame");
        out.emplace_back(mf.data, mf.data + mf.len);
    }
    return out;
}

void send_message(scenario& sc, lag::dp::message_kind kind, uint32_t arg, const void* ptr) {
    lag::dp::control_message m{kind, arg, ptr};
    if (rte_ring_sp_enqueue_elem(sc.control_ring.get(), &m, sizeof m) != 0) die("worker control ring full");
}

unsigned ring_serial = 0;   // ring names are short (RTE_RING_NAMESIZE)

// The worker scenarios' part of a cell: K of the cell's worker member ports.
void make_worker(scenario& w, uint16_t access, const std::vector<uint16_t>& ports, bool nic, bool macsec,
                 lag::crypto::engine& e) {
    lag::dp::membership m;
    m.access_port = access;
    m.member_ports = ports;
    const size_t k = ports.size();
    m.distributing.assign(k, true);
    m.collecting.assign(k, true);
    m.min_links = 1;
    m.lag_up = true;
    m.policy = lag::dp::hash_policy::l34;
    m.algo = nic ? lag::dp::hash_algo::toeplitz : lag::dp::hash_algo::crc32;
    m.nic_hash = nic;
    w.snap = lag::dp::build_snapshot(m, nullptr);
    if (!w.snap) die("build_snapshot refused the benchmark's membership");
    w.control_ring = must(lag::dpdk::make_ring(fmt::format("bench_ctl_{}", ring_serial++), 64,
                                               lag::dp::control_message_size, lag::dpdk::ring_sync::sp_sc,
                                               static_cast<int>(rte_socket_id())),
                          "control ring");
    w.qsbr = must(lag::dpdk::make_qsbr(1), "qsbr");
    lag::dp::worker_config wc;
    wc.initial = w.snap.get();
    wc.burst = burst_size;
    wc.control_ring = w.control_ring.get();
    wc.qsbr = w.qsbr.get();
    wc.engine = macsec ? &e : nullptr;
    w.worker = std::make_unique<lag::dp::worker>(wc);
    w.count_egress_on = ports;
    w.reset_ports = ports;
    if (!macsec) return;
    using lag::dp::macsec_arg;
    using lag::dp::message_kind;
    for (size_t i = 0; i < k; ++i) {
        lag::macsec::secy_config c;
        c.sci = 0x0200000000010000ull | i;
        c.replay_window = 1u << 30;
        macsec_member mm;
        mm.port = ports[i];
        mm.secy = must(lag::macsec::secy::create(c), "SecY");
        if (!mm.secy->add_rx_sc(partner_sci)) die("SecY: receive SC");
        mm.tx = must(lag::macsec::tx_sa::create(e, 0, sa_params_for_bench()), "transmit SA");
        mm.rx = must(lag::macsec::rx_sa::create(e, 0, sa_params_for_bench()), "receive SA");
        const uint16_t port = ports[i];
        send_message(w, message_kind::macsec_secy, macsec_arg(port), mm.secy.get());
        send_message(w, message_kind::macsec_tx_sa, macsec_arg(port), mm.tx.get());
        send_message(w, message_kind::macsec_encoding, macsec_arg(port, 0), nullptr);
        send_message(w, message_kind::macsec_rx_sa, macsec_arg(port, 0, 0), mm.rx.get());
        w.macsec.push_back(std::move(mm));
    }
    // Nothing is queued on any port yet: this poll applies the messages only.
    w.worker->poll_once();
    const auto& c = w.worker->counters();
    if (c.macsec_messages.load() != 4 * k || c.macsec_refused.load() != 0) [[unlikely]]
        die(fmt::format("{}: the worker took {} of {} MACsec messages", w.result.name, c.macsec_messages.load(), 4 * k));
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
    auto engine = must(lag::crypto::engine::create(), "ipsec-mb");

    // Which scenarios a cell holds (before --only).
    struct spec {
        std::string name;
        std::string kind;
        uint32_t members;
    };
    auto specs_of = [&](bool macsec) {
        std::vector<spec> v = {{"io_fwd", "io_fwd", 1}};
        for (uint32_t k : o.members) v.push_back({fmt::format("bond_8023ad_l34_{}", k), "bond_8023ad", k});
        for (uint32_t k : o.members) {
            // In a MACsec cell the clear worker too, fed as the MACsec one is
            // (protected ingress frames, rewritten each round): the MACsec
            // worker's ratio_to_worker_clear compares like with like.
            v.push_back({fmt::format("worker_l34_{}", k), "worker", k});
            if (macsec)
                v.push_back({fmt::format("worker_l34_macsec_{}", k), "worker_macsec", k});
            else
                v.push_back({fmt::format("worker_l34_nichash_{}", k), "worker_nichash", k});
        }
        if (!o.only.empty())
            std::erase_if(v, [&](const spec& x) { return std::find(o.only.begin(), o.only.end(), x.name) == o.only.end(); });
        return v;
    };
    for (const auto& name : o.only) {
        bool found = false;
        for (bool ms : o.macsec)
            for (const auto& x : specs_of(ms)) found = found || x.name == name;
        if (!found) die("--only: no scenario " + name + " in the cells asked for");
    }

    feed f = make_feed(o.tcfg.frames, o.round, socket);
    std::vector<uint64_t> rounds;
    rounds.reserve(1u << 20);
    std::vector<scenario_result> results;
    std::vector<std::string> cell_traffic;
    uint16_t last_null_size = 0;
    unsigned cell = 0;
    for (uint16_t wire : o.sizes) {
        for (bool ms : o.macsec) {
            if (quit.load()) break;
            const std::vector<spec> specs = specs_of(ms);
            if (specs.empty()) continue;
            ++cell;
            traffic_config tc = o.tcfg;
            tc.wire_size = wire;
            // An IPv6 TCP header, tagged, takes 78 octets: at 64 only IPv4 fits.
            if (wire != 0 && wire < 82) tc.ipv6_percent = 0;
            if (wire != 0) tc.ingress_len = static_cast<uint16_t>(wire - 4);
            const traffic t = make_traffic(tc);
            std::vector<frame> ingress = ms ? protect_as_partner(t.ingress, *engine) : t.ingress;
            const uint16_t null_size = static_cast<uint16_t>(ingress.front().size());
            last_null_size = null_size;
            load_cell(f, t, ingress, ms, cell, socket);
            cell_traffic.push_back(fmt::format("{} macsec {}: {}{}", size_label(wire), ms ? "on" : "off", t.describe(),
                                               ms ? fmt::format(" (protected: {} bytes)", null_size + 4) : ""));

            // Ports: io_fwd's one, each bond's own members, and max(K) for
            // every worker of the cell (the first K of them).
            std::vector<std::string> vdevs;   // removed at the end of the cell, bonds first
            std::vector<std::string> bond_vdevs;
            uint32_t max_k = 0;
            for (const auto& x : specs)
                if (x.kind.starts_with("worker")) max_k = std::max(max_k, x.members);
            std::vector<uint16_t> wports;
            for (uint32_t i = 0; i < max_k; ++i) {
                const std::string n = fmt::format("net_null_c{}_w{}", cell, i);
                wports.push_back(make_null_port(n, null_size, f.ingress_pool, true, socket));
                vdevs.push_back(n);
            }
            std::vector<scenario> scs;
            for (const auto& x : specs) {
                scenario sc;
                scenario_result& r = sc.result;
                r.name = x.name;
                r.kind = x.kind;
                r.members = x.members;
                r.frame_size = size_label(wire);
                r.macsec = ms;
                r.mean_wire_size = t.mean_wire_size();
                r.ingress_wire_size = null_size + 4u;
                const uint32_t k = x.members;
                if (x.kind == "io_fwd") {
                    r.what = "rx burst -> tx burst, access <-> one net_null port (the ceiling)";
                    const std::string n = fmt::format("net_null_c{}_io", cell);
                    const uint16_t np = make_null_port(n, null_size, f.ingress_pool, true, socket);
                    vdevs.push_back(n);
                    sc.pair = {f.access_port, np, 0};
                    sc.count_egress_on = {np};
                    sc.reset_ports = {np};
                } else if (x.kind == "bond_8023ad") {
                    r.what = fmt::format("DPDK bonding PMD, 802.3ad, l34, {} net_null members", k);
                    std::vector<uint16_t> members;
                    for (uint32_t i = 0; i < k; ++i) {
                        const std::string n = fmt::format("net_null_c{}_b{}_{}", cell, k, i);
                        members.push_back(make_null_port(n, null_size, f.ingress_pool, false, socket));
                        vdevs.push_back(n);
                    }
                    const std::string bn = fmt::format("net_bonding_c{}_b{}", cell, k);
                    const uint16_t bond = make_bond(bn, members, f.ingress_pool, socket);
                    bond_vdevs.push_back(bn);
                    sc.pair = {f.access_port, bond, 0};
                    sc.count_egress_on = members;
                    sc.reset_ports = members;
                    sc.reset_ports.push_back(bond);
                } else {
                    const bool nic = x.kind == "worker_nichash";
                    const bool sec = x.kind == "worker_macsec";
                    r.what = nic ? fmt::format("dpdk-lag worker, l34, the NIC's RSS hash (Toeplitz, standard key, "
                                               "written into the egress mbufs once when the traffic is built), 256 "
                                               "buckets, control ring and RCU QSBR as deployed, {} net_null members", k)
                           : sec ? fmt::format("dpdk-lag worker, l34, CRC32, 256 buckets, a SecY on each of {} "
                                               "net_null members: egress protected, ingress verified", k)
                                 : fmt::format("dpdk-lag worker (lag::dp::worker::poll_once), l34, CRC32, 256 "
                                               "buckets, control ring and RCU QSBR as deployed, {} net_null members", k);
                    make_worker(sc, f.access_port, std::vector<uint16_t>(wports.begin(), wports.begin() + k), nic, sec,
                                *engine);
                }
                scs.push_back(std::move(sc));
            }

            for (const auto& dir : o.directions) {
                f.egress_on = dir != "ingress";
                f.ingress_on = dir != "egress";
                for (auto& sc : scs) {
                    sc.rows.push_back(sc.result);
                    sc.rows.back().direction = dir;
                }
                const size_t row = scs.front().rows.size() - 1;
                for (unsigned trial = 0; trial < o.trials && !quit.load(); ++trial) {
                    for (auto& sc : scs) {
                        const uint64_t d0 = drops_of(sc);
                        scenario_result& r = sc.rows[row];
                        if (sc.worker) {
                            lag::dp::worker* w = sc.worker.get();
                            measure(f, sc, r, [w]() noexcept { w->poll_once(); }, o.seconds, rounds);
                        } else {
                            port_pair_fwd& p = sc.pair;
                            measure(f, sc, r, [&p]() noexcept { p.poll(); }, o.seconds, rounds);
                        }
                        const uint64_t dropped = drops_of(sc) - d0;
                        if (dropped != 0 && r.error.empty())
                            r.error = fmt::format("{} frames dropped", dropped);
                    }
                }
            }

            const uint64_t hz = rte_get_tsc_hz();
            // Results in cell, direction, scenario order.
            for (size_t row = 0; row < o.directions.size(); ++row) {
                for (auto& sc : scs) {
                    if (row >= sc.rows.size()) continue;
                    scenario_result& r = sc.rows[row];
                    std::vector<double> med, mean;
                    for (const auto& tr : r.trials) {
                        med.push_back(tr.cycles_per_packet);
                        mean.push_back(tr.mean_cycles_per_packet);
                    }
                    r.cycles_per_packet = median(med);
                    r.mean_cycles_per_packet = median(mean);
                    r.mpps = r.cycles_per_packet > 0 ? static_cast<double>(hz) / r.cycles_per_packet / 1e6 : 0;
                    if (r.error.empty() && (r.egress_packets != r.fed_egress || r.ingress_packets != r.fed_ingress))
                        r.error = fmt::format("ports counted {} egress and {} ingress frames for {} and {} fed",
                                              r.egress_packets, r.ingress_packets, r.fed_egress, r.fed_ingress);
                    results.push_back(std::move(r));
                }
            }
            // The cell's ports go (workers first, then bonds, then the
            // null ports), then its pools.
            scs.clear();
            for (const auto& n : bond_vdevs) remove_vdev(n);
            for (const auto& n : vdevs) remove_vdev(n);
            unload_cell(f);
        }
    }

    report_info info;
    info.memory = memory_note;
    info.hugepages = huge.active();
    info.lcore = rte_lcore_id();
    info.tsc_hz = rte_get_tsc_hz();
    info.seconds = o.seconds;
    info.trials = o.trials;
    info.round = o.round;
    info.directions = o.directions;
    for (uint16_t w : o.sizes) info.frame_sizes.push_back(size_label(w));
    info.members = o.members;
    info.macsec = o.macsec;
    info.cell_traffic = cell_traffic;
    info.macsec_setup = macsec_setup;
    info.tcfg = o.tcfg;
    info.input = fmt::format(
        "access port: net_ring whose RX ring is loaded with {} pre-built frames per round from a pool "
        "members free them back to; members: net_null (copy=0, size = the cell's ingress frame, e.g. {}) whose RX "
        "allocates from a pool of {} pre-built ingress frames, {} released per round; in MACsec cells every "
        "frame of a round is written again before it (protect and verify work in place); only the forwarding is timed",
        o.round, last_null_size, o.tcfg.frames, o.round);
    info.bond_method = bond_distribution_method;
    info.eal_args = eal;

    if (o.json) print_json(info, results);
    else print_table(info, results);

    engine.reset();
    shutdown_dpdk();
    huge.release();
    bool ok = !quit.load();
    for (const auto& r : results) ok = ok && r.error.empty() && !r.trials.empty();
    return ok ? 0 : 1;
}

} // namespace
} // namespace lag::bench

int main(int argc, char** argv) { return lag::bench::run(argc, argv); }
