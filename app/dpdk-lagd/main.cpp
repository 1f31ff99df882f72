// dpdk-lagd [EAL options] -- [--config FILE] [--duration SECONDS]
//           [--stats SECONDS] [--print-default-config]
// dpdk-lagd --check-config FILE
//
// --check-config reads and checks FILE (and its key files) exactly as a
// start does, then exits: no EAL, no device, no socket.
//
// Reads and checks the config (before the EAL starts, so a bad file costs
// nothing), starts the EAL, probes every device, configures one RX and one
// TX queue per worker on every port, starts one worker per worker lcore
// (none: the main lcore polls the worker itself between control
// iterations), runs the control loop until SIGINT/SIGTERM (or --duration),
// stops, prints the counters and closes the ports. With [lag.lacp], LACP runs
// on the control loop (lacp_setup.hpp) and members get one more TX queue for it;
// with [lag.macsec] mode "mka", MKA runs there too (mka_setup.hpp) and sends
// its MKPDUs on that queue.
// The LAG itself (ports, control, workers, LACP, MACsec) is a lag_runtime
// (lag_runtime.hpp) that `create lag` / `delete lag` start and stop while
// the daemon runs; a config with ports only starts without one.
#include "config.hpp"
#include "device_lock.hpp"
#include "dpdk/dpdk.hpp"
#include "macsec_setup.hpp"
#include "mka_setup.hpp"
#include "prometheus.hpp"
#include "service.hpp"
#include "telemetry.hpp"
#include "lag_runtime.hpp"
#include "port_speed.hpp"
#include "sock/prompt.hpp"
#include "sock/sock.hpp"

#include <fmt/format.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#ifdef LAGD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif
#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

std::atomic<bool> g_quit{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_signal(int) { g_quit.store(true, std::memory_order_relaxed); }

struct options {
    std::string config;
    double duration = 0;
    double stats = -1; // -1: from the config
    bool print_default = false;
    std::string socket;  // --socket; empty: the config's, else the default
    bool interactive = false;
    unsigned idle_sleep_us = 0; // --idle-sleep: main-lcore-only mode sleeps when idle
    bool core_dumps = false;    // --core-dumps: leave the process dumpable
    std::string check_config;   // --check-config FILE: validate and exit
    std::string metrics_file;   // --metrics-file PATH: Prometheus text, rewritten atomically
    double metrics_interval = 5;
};

constexpr const char* default_socket = "/run/dpdk-lagd/dpdk-lagd.sock";

void usage() {
    fmt::print(stderr,
               "usage: dpdk-lagd [EAL options] -- [--config FILE] [--duration SECONDS] [--stats SECONDS]\n"
               "                                  [--socket PATH|none] [-i] [--idle-sleep US]\n"
               "                                  [--core-dumps] [--print-default-config]\n"
               "                                  [--metrics-file PATH] [--metrics-interval SECONDS]\n"
               "       dpdk-lagd --check-config FILE\n"
               "--check-config FILE: read and check FILE and its key files as a start would, then exit\n"
               "(0: it would start; 2: refused, with file:line and the rule). No EAL, no device.\n"
               "The control socket (default /run/dpdk-lagd/dpdk-lagd.sock, mode 0600) takes lagctl's\n"
               "commands; -i opens the same prompt in this terminal.\n"
               "--idle-sleep US: with no worker lcore (-l N), the main lcore polls the worker itself\n"
               "and sleeps US microseconds after an iteration that found no work (saves a core on\n"
               "small machines and in tests, adds up to US of latency); default 0, busy polling.\n"
               "Without --config it runs the embedded default (a static LAG of two net_null members).\n"
               "--core-dumps: allow core files; by default the daemon makes none (its memory holds\n"
               "MACsec keys: CAKs, SAKs, ICKs and KEKs).\n");
}

// Key material lives in this process (key files read, CAKs, SAKs, the AES
// key schedules of every SA): no core file may carry it. Not dumpable (no
// core unless fs.suid_dumpable is 2, and then root's only) and a core size
// limit of 0, before any key is read. Returns what it could not do, if any.
std::string forbid_core_dumps() {
    std::string failed;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        failed = fmt::format("prctl(PR_SET_DUMPABLE): {}", std::strerror(errno));
    const rlimit none{0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0)
        failed += (failed.empty() ? "" : ", ") + fmt::format("setrlimit(RLIMIT_CORE): {}", std::strerror(errno));
    return failed;
}

bool parse_options(int argc, char** argv, options& o) {
    for (int i = 0; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](const char* what) -> const char* {
            if (i + 1 >= argc) {
                fmt::print(stderr, "dpdk-lagd: {} needs a value\n", what);
                return nullptr;
            }
            return argv[++i];
        };
        if (a == "--config" || a == "-c") {
            const char* v = value("--config");
            if (v == nullptr)
                return false;
            o.config = v;
        } else if (a == "--duration") {
            const char* v = value("--duration");
            if (v == nullptr)
                return false;
            o.duration = std::atof(v);
        } else if (a == "--stats") {
            const char* v = value("--stats");
            if (v == nullptr)
                return false;
            o.stats = std::atof(v);
        } else if (a == "--socket") {
            const char* v = value("--socket");
            if (v == nullptr)
                return false;
            o.socket = v;
        } else if (a == "--idle-sleep") {
            const char* v = value("--idle-sleep");
            if (v == nullptr)
                return false;
            char* end = nullptr;
            unsigned long us = std::strtoul(v, &end, 10);
            if (end == v || *end != '\0' || us > 100000) {
                fmt::print(stderr, "dpdk-lagd: --idle-sleep takes microseconds, 0 to 100000\n");
                return false;
            }
            o.idle_sleep_us = static_cast<unsigned>(us);
        } else if (a == "--check-config") {
            const char* v = value("--check-config");
            if (v == nullptr)
                return false;
            o.check_config = v;
        } else if (a == "--metrics-file") {
            const char* v = value("--metrics-file");
            if (v == nullptr)
                return false;
            o.metrics_file = v;
        } else if (a == "--metrics-interval") {
            const char* v = value("--metrics-interval");
            if (v == nullptr)
                return false;
            o.metrics_interval = std::atof(v);
            if (!(o.metrics_interval >= 0.25 && o.metrics_interval <= 3600)) {
                fmt::print(stderr, "dpdk-lagd: --metrics-interval takes seconds, 0.25 to 3600\n");
                return false;
            }
        } else if (a == "-i" || a == "--interactive") {
            o.interactive = true;
        } else if (a == "--core-dumps") {
            o.core_dumps = true;
        } else if (a == "--print-default-config") {
            o.print_default = true;
        } else if (a == "--help" || a == "-h") {
            usage();
            std::exit(0);
        } else {
            fmt::print(stderr, "dpdk-lagd: unknown option '{}'\n", a);
            usage();
            return false;
        }
    }
    return true;
}

// Reads and checks the config as a start does: the file, the LAG model's
// rules under its profile, and every key file's mode and syntax (keys wiped
// at once). Prints why not (file:line and the rule) and returns nullopt.
// `dpdk-lagd --check-config` and a start share it, so they cannot differ.
std::optional<lag::lagd::daemon_config> load_and_check(const std::string& path, lag::model::lag_model& model) {
    auto refused = [](const lag::error& e) {
        fmt::print(stderr, "dpdk-lagd: config refused: {} [rule: {}]\n", e.message, e.code);
        return std::nullopt;
    };
    auto cfg = path.empty() ? lag::lagd::parse_config(lag::lagd::default_config_text(), "<embedded default>")
                            : lag::lagd::load_config(path);
    if (!cfg)
        return refused(cfg.err());
    if (auto ok = lag::lagd::check_config(*cfg, model); !ok)
        return refused(ok.err());
    for (const auto& lc : cfg->lags) {
        const bool mka = lag::lagd::mka_enabled(lc);
        if (lc.macsec.enabled && !mka) {
            // The key file's mode and syntax, before the EAL (keys wiped at once).
            if (auto k = lag::lagd::load_key_file(lc.macsec.key_file); !k)
                return refused(k.err());
        }
        if (mka) { // the CAK file's mode and syntax, and the profile's rule on its length (CAK wiped at once)
            auto cak = lag::lagd::load_cak_file(lc.macsec.cak_file);
            auto ok = cak ? lag::lagd::check_mka_key(*cfg, lc, cak->size()) : lag::result<void>(cak.err());
            if (!ok)
                return refused(ok.err());
        }
    }
    return std::move(*cfg);
}

// systemd's Type=notify (dpdk-lagd.service): READY=1 once the ports run and
// the control socket answers, STOPPING=1 at the end. Nothing without
// $NOTIFY_SOCKET, or when built without libsystemd.
void notify([[maybe_unused]] const char* state) {
#ifdef LAGD_HAVE_SYSTEMD
    sd_notify(0, state);
#endif
}

lag::time_point now() {
    return lag::time_point{std::chrono::duration_cast<lag::duration>(std::chrono::steady_clock::now().time_since_epoch())};
}

} // namespace

int main(int argc, char** argv) {
    // Split at "--": EAL options before, ours after.
    int sep = argc;
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--") == 0) {
            sep = i;
            break;
        }
    // Without "--", a first argument that only dpdk-lagd knows (the EAL has
    // no such option) starts its own options: `dpdk-lagd --check-config FILE`.
    int first = sep + 1;
    if (sep == argc && argc > 1 &&
        (std::strcmp(argv[1], "--check-config") == 0 || std::strcmp(argv[1], "--print-default-config") == 0)) {
        sep = 0;
        first = 1;
    }
    options opt;
    if (!parse_options(first < argc ? argc - first : 0, argv + first, opt))
        return 2;
    if (opt.print_default) {
        fmt::print("{}", lag::lagd::default_config_text());
        return 0;
    }
    lag::model::lag_model model;
    if (!opt.core_dumps) {
        if (auto failed = forbid_core_dumps(); !failed.empty()) {
            fmt::print(stderr, "dpdk-lagd: cannot turn core dumps off ({}); --core-dumps to run anyway\n", failed);
            return 1;
        }
    }

    const std::string& path = !opt.check_config.empty() ? opt.check_config : opt.config;
    auto cfg = load_and_check(path, model);
    if (!cfg)
        return 2;
    if (!opt.check_config.empty()) {
        fmt::print("dpdk-lagd: {}: config OK ({}, {} port(s), {} LAG(s))\n", cfg->source, model.rules().name,
                   cfg->ports.size(), cfg->lags.size());
        return 0;
    }

    // The control socket before the EAL: a socket in use (another daemon)
    // costs nothing and touches no device.
    std::string sock_path = !opt.socket.empty() ? opt.socket : !cfg->socket.empty() ? cfg->socket : default_socket;
    std::unique_ptr<lag::sock::server> server;
    if (opt.interactive && sock_path == "none") {
        fmt::print(stderr, "dpdk-lagd: -i needs the control socket (not --socket none)\n");
        return 2;
    }
    if (sock_path != "none") {
        auto sv = lag::sock::server::listen(sock_path);
        if (!sv) {
            fmt::print(stderr, "dpdk-lagd: control socket: {}\n", sv.err().to_string());
            return 1;
        }
        server = std::move(*sv);
    }

    // One daemon per device (device_lock.hpp), also before the EAL.
    auto dev_locks = lag::lagd::device_locks::take(*cfg);
    if (!dev_locks) {
        fmt::print(stderr, "dpdk-lagd: {}\n", dev_locks.err().to_string());
        return 1;
    }

    bool no_huge = false;
    for (int i = 1; i < sep; ++i)
        no_huge = no_huge || std::string_view(argv[i]) == "--no-huge";
    auto eal = lag::dpdk::eal_init(sep, argv);
    if (!eal) {
        fmt::print(stderr, "dpdk-lagd: {}{}\n", eal.err().to_string(),
                   no_huge ? "" : " (without --no-huge the EAL needs hugepages: reserve them, e.g. "
                                  "`dpdk-hugepages.py --setup 2G`, see docs/guide.md)");
        return 1;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    // A [[port]] without `speed` runs at what its device reports.
    if (auto ok = lag::lagd::resolve_port_speeds(*cfg, model); !ok) {
        fmt::print(stderr, "dpdk-lagd: config refused: {} [rule: {}]\n", ok.err().message, ok.err().code);
        lag::dpdk::eal_cleanup();
        return 2;
    }

    unsigned workers = lag::dpdk::worker_lcore_count();
    unsigned queues = workers == 0 ? 1 : workers;
    // Every [[port]]: a spare one may join the LAG at run time.
    unsigned nports = std::max(3u, static_cast<unsigned>(cfg->ports.size()));
    unsigned mbufs = cfg->mbufs != 0 ? cfg->mbufs
                                     : std::max(16383u, nports * queues * (cfg->rx_desc + cfg->tx_desc) +
                                                            queues * 4096u + 4096u);
    int rc = 0;
    {
        // mbufs for the largest frame of any LAG (one segment each: frames
        // are not chained): its MTU, Ethernet and two VLAN tags, CRC, and
        // what MACsec adds, on the access side too (protect grows a frame
        // in place). At the default MTU that is DPDK's default data room.
        unsigned room = RTE_MBUF_DEFAULT_DATAROOM;
        for (const auto& l : cfg->lags)
            room = std::max(room, lag::lagd::mbuf_room(l.mtu));
        // The first pool on the main lcore's NUMA socket; a port on another
        // socket gets its RX mbufs from a pool made there (socket_pools).
        int main_socket = static_cast<int>(rte_socket_id());
        auto pool = lag::dpdk::make_pktmbuf_pool("lagd_pool", mbufs, 256, main_socket, room);
        if (!pool) { // no memory on that socket: anywhere (SOCKET_ID_ANY)
            main_socket = -1;
            pool = lag::dpdk::make_pktmbuf_pool("lagd_pool", mbufs, 256, -1, room);
        }
        if (!pool) {
            fmt::print(stderr, "dpdk-lagd: {}\n", pool.err().to_string());
            lag::dpdk::eal_cleanup();
            return 1;
        }
        lag::dpdk::socket_pools pools(pool->get(), main_socket, mbufs, 256, room);
        fmt::print("dpdk-lagd: memory: {}, {} mbufs of {} octets on {} (a port on another socket: a pool "
                   "there)\n",
                   rte_eal_has_hugepages() ? "hugepages" : "no hugepages (--no-huge)", mbufs, room,
                   main_socket < 0 ? std::string("any socket") : fmt::format("socket {}", main_socket));
        lag::lagd::runtime_env env{&*cfg, &model, pool->get(), workers, queues, nullptr, nullptr, &pools};
        lag::lagd::lag_host host(env);
        if (auto ok = host.start(now()); !ok) {
            fmt::print(stderr, "dpdk-lagd: {}\n", ok.err().to_string());
            rc = 1;
        }
        if (rc == 0) {
            if (cfg->lags.empty()) {
                fmt::print("dpdk-lagd: {} ({}), no LAG yet (create lag NAME speed S members P,... access PORT), "
                           "{} worker lcore(s)\n",
                           cfg->source, model.rules().name, workers);
            } else {
                for (const auto& lc : cfg->lags)
                    fmt::print("dpdk-lagd: {} ({}), LAG {} with access {} and members {}, {} worker lcore(s){}{}{}\n",
                               cfg->source, model.rules().name, lc.name, lc.access, fmt::join(lc.members, ","),
                               workers, workers == 0 ? " (the main lcore polls the workers)" : "",
                               lag::lagd::lacp_enabled(lc) ? ", LACP on the control lcore" : ", static",
                               lag::lagd::mka_enabled(lc) ? ", MKA" : "");
            }
            std::fflush(stdout);
            lag::lagd::service svc(*cfg, model, host, opt.config);
            svc.set_autosave(cfg->autosave);
            if (server) {
                fmt::print("dpdk-lagd: control socket {}\n", sock_path);
                std::fflush(stdout);
            }
            std::thread prompt_thread;
            if (opt.interactive && server) {
                prompt_thread = std::thread([sock_path] {
                    lag::sock::prompt(sock_path, "dpdk-lagd> ");
                    g_quit.store(true);
                });
            }
            auto handle = [&](std::string_view line) { return svc.execute(line, now()); };
            lag::lagd::telemetry_register();
            // The LAG and its counters every 250 ms; the per-port xstats and
            // the MACsec views (bigger) every second, kept in between.
            nlohmann::json xstats = svc.xstats_json(), macsec = svc.macsec_json();
            unsigned publishes = 0;
            auto publish = [&] {
                if (publishes++ % 4 == 0) {
                    xstats = svc.xstats_json();
                    macsec = svc.macsec_json();
                }
                lag::lagd::telemetry_publish({svc.lags_json(), svc.stats_json(), xstats, macsec});
            };
            publish();
            // --metrics-file: the Prometheus text of the same views, rewritten
            // atomically every --metrics-interval (a write that fails is said
            // once, then retried quietly).
            bool metrics_failed = false;
            auto write_metrics = [&] {
                if (opt.metrics_file.empty())
                    return;
                auto ok = lag::lagd::write_metrics_file(
                    opt.metrics_file, lag::lagd::prometheus_text(svc.lags_json(), svc.stats_json(),
                                                                 svc.xstats_json(), svc.macsec_json()));
                if (!ok && !metrics_failed)
                    fmt::print(stderr, "dpdk-lagd: metrics file: {}\n", ok.err().to_string());
                metrics_failed = !ok;
            };
            write_metrics();
            auto next_metrics = std::chrono::steady_clock::now() + std::chrono::duration<double>(opt.metrics_interval);
            notify("READY=1");
            auto next_telemetry = std::chrono::steady_clock::now();
            double stats = opt.stats >= 0 ? opt.stats : cfg->stats_interval;
            auto t0 = std::chrono::steady_clock::now();
            auto next_stats = t0 + std::chrono::duration<double>(stats);
            while (!g_quit.load(std::memory_order_relaxed)) {
                unsigned work = host.poll(now());
                if (server)
                    work += server->poll(handle);
                auto t = std::chrono::steady_clock::now();
                if (t >= next_telemetry) {
                    publish();
                    next_telemetry = t + std::chrono::milliseconds(250);
                }
                if (!opt.metrics_file.empty() && t >= next_metrics) {
                    write_metrics();
                    next_metrics = t + std::chrono::duration<double>(opt.metrics_interval);
                }
                if (opt.duration > 0 && t - t0 >= std::chrono::duration<double>(opt.duration))
                    break;
                if (stats > 0 && t >= next_stats) {
                    for (const auto& rt : host.runtimes())
                        rt->print(std::chrono::duration<double>(t - t0).count());
                    next_stats = t + std::chrono::duration<double>(stats);
                }
                if (work == 0 && (workers > 0 || host.runtimes().empty()))
                    rte_delay_us_sleep(100); // control has nothing urgent; workers keep polling
                else if (work == 0 && opt.idle_sleep_us > 0)
                    rte_delay_us_sleep(opt.idle_sleep_us); // the main lcore is the only one: idle
            }
            if (prompt_thread.joinable())
                prompt_thread.detach(); // blocked in readline; the process is ending
            server.reset();
            double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            fmt::print("dpdk-lagd: stopping{}\n", g_quit.load() ? " (signal)" : "");
            notify("STOPPING=1");
            host.stop(secs);
        } else {
            host.stop(0);
        }
        // Every mbuf is back in the pool once the ports are closed (a leak shows here).
        fmt::print("dpdk-lagd: mbufs in use at exit: {} of {}\n",
                   lag::dpdk::mempool_size(pool->get()) - lag::dpdk::mempool_avail(pool->get()),
                   lag::dpdk::mempool_size(pool->get()));
    }
    lag::dpdk::eal_cleanup();
    return rc;
}
