// dpdk-lagd [EAL options] -- [--config FILE] [--duration SECONDS]
//           [--stats SECONDS] [--print-default-config]
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
#include "config.hpp"
#include "control/control.hpp"
#include "device_lock.hpp"
#include "lacp_setup.hpp"
#include "dpdk/dpdk.hpp"
#include "macsec_setup.hpp"
#include "mka_setup.hpp"
#include "port.hpp"
#include "service.hpp"
#include "telemetry.hpp"
#include "sock/prompt.hpp"
#include "sock/sock.hpp"

#include <fmt/format.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
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
};

constexpr const char* default_socket = "/run/dpdk-lagd/dpdk-lagd.sock";

void usage() {
    fmt::print(stderr,
               "usage: dpdk-lagd [EAL options] -- [--config FILE] [--duration SECONDS] [--stats SECONDS]\n"
               "                                  [--socket PATH|none] [-i] [--idle-sleep US]\n"
               "                                  [--print-default-config]\n"
               "The control socket (default /run/dpdk-lagd/dpdk-lagd.sock, mode 0600) takes lagctl's\n"
               "commands; -i opens the same prompt in this terminal.\n"
               "--idle-sleep US: with no worker lcore (-l N), the main lcore polls the worker itself\n"
               "and sleeps US microseconds after an iteration that found no work (saves a core on\n"
               "small machines and in tests, adds up to US of latency); default 0, busy polling.\n"
               "Without --config it runs the embedded default (a static LAG of two net_null members).\n");
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
        } else if (a == "-i" || a == "--interactive") {
            o.interactive = true;
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

lag::time_point now() {
    return lag::time_point{std::chrono::duration_cast<lag::duration>(std::chrono::steady_clock::now().time_since_epoch())};
}

struct port_row {
    std::string name;
    std::string role;
    uint16_t id;
};

void print_counters(const lag::ctl::control& c, const std::vector<port_row>& rows, const lag::model::lag_model& m,
                    const std::string& lag, double seconds) {
    const auto* l = m.lag(lag);
    const auto& snap = c.current();
    fmt::print("lag {}: {} ({} of {} members distributing, min-links {}), hash {} {}, {} buckets\n", lag,
               l != nullptr && l->up ? "up" : "down", snap.distributing_count(), snap.member_count, snap.min_links,
               to_string(snap.policy), to_string(snap.algo), snap.bucket_mask + 1);
    fmt::print("{:<10} {:<7} {:>6} {:>14} {:>16} {:>14} {:>16} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}\n", "port",
               "role", "link", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "punted", "lag_down",
               "no_member", "tx_full", "not_coll", "punt_full");
    for (const auto& r : rows) {
        auto t = c.totals(r.id);
        using lag::dp::drop_reason;
        fmt::print("{:<10} {:<7} {:>6} {:>14} {:>16} {:>14} {:>16} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}\n", r.name,
                   r.role, lag::dpdk::link_up(r.id) ? "up" : "down", t.rx_packets, t.rx_bytes, t.tx_packets,
                   t.tx_bytes, t.punted, t.drop(drop_reason::lag_down), t.drop(drop_reason::no_member),
                   t.drop(drop_reason::tx_full), t.drop(drop_reason::not_collecting),
                   t.drop(drop_reason::punt_full));
    }
    const auto& cc = c.counters();
    fmt::print("control: {} iterations, {} link changes, {} snapshots published, {} freed, {} punted frames "
               "handled, {} message-ring retries\n",
               cc.polls, cc.link_changes, cc.snapshots_published, cc.snapshots_freed, cc.punted_frames,
               cc.message_ring_full);
    if (seconds > 0) {
        uint64_t egress = 0, ingress = 0;
        for (const auto& r : rows) {
            auto t = c.totals(r.id);
            if (r.role == "access")
                egress += t.rx_packets;
            else if (r.role == "member")
                ingress += t.rx_packets;
        }
        fmt::print("ran {:.1f} s: {:.3f} Mpps egress (access rx), {:.3f} Mpps ingress (members rx)\n", seconds,
                   egress / seconds / 1e6, ingress / seconds / 1e6);
    }
    std::fflush(stdout);
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
    options opt;
    if (!parse_options(sep < argc ? argc - sep - 1 : 0, argv + sep + 1, opt))
        return 2;
    if (opt.print_default) {
        fmt::print("{}", lag::lagd::default_config_text());
        return 0;
    }

    auto cfg = opt.config.empty() ? lag::lagd::parse_config(lag::lagd::default_config_text(), "<embedded default>")
                                  : lag::lagd::load_config(opt.config);
    if (!cfg) {
        fmt::print(stderr, "dpdk-lagd: config refused: {}\n", cfg.err().message + " [rule: " + cfg.err().code + "]");
        return 2;
    }
    lag::model::lag_model model;
    if (auto ok = lag::lagd::check_config(*cfg, model); !ok) {
        fmt::print(stderr, "dpdk-lagd: config refused: {}\n", ok.err().message + " [rule: " + ok.err().code + "]");
        return 2;
    }
    const auto& lc = cfg->lags.front();
    const bool lacp = lag::lagd::lacp_enabled(lc);
    const bool mka = lag::lagd::mka_enabled(lc);
    if (lc.macsec.enabled && !mka) { // the key file's mode and syntax, before the EAL (keys wiped at once)
        if (auto k = lag::lagd::load_key_file(lc.macsec.key_file); !k) {
            fmt::print(stderr, "dpdk-lagd: config refused: {}\n", k.err().message + " [rule: " + k.err().code + "]");
            return 2;
        }
    }
    if (mka) { // the CAK file's mode and syntax, and the profile's rule on its length (CAK wiped at once)
        auto cak = lag::lagd::load_cak_file(lc.macsec.cak_file);
        auto ok = cak ? lag::lagd::check_mka_key(*cfg, cak->size()) : lag::result<void>(cak.err());
        if (!ok) {
            fmt::print(stderr, "dpdk-lagd: config refused: {}\n", ok.err().message + " [rule: " + ok.err().code + "]");
            return 2;
        }
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

    auto eal = lag::dpdk::eal_init(sep, argv);
    if (!eal) {
        fmt::print(stderr, "dpdk-lagd: {}\n", eal.err().to_string());
        return 1;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    unsigned workers = lag::dpdk::worker_lcore_count();
    unsigned queues = workers == 0 ? 1 : workers;
    unsigned nports = 1 + static_cast<unsigned>(lc.members.size());
    unsigned mbufs = cfg->mbufs != 0 ? cfg->mbufs
                                     : std::max(16383u, nports * queues * (cfg->rx_desc + cfg->tx_desc) +
                                                            queues * 4096u + 4096u);
    int rc = 0;
    {
        auto pool = lag::dpdk::make_pktmbuf_pool("lagd_pool", mbufs);
        if (!pool) {
            fmt::print(stderr, "dpdk-lagd: {}\n", pool.err().to_string());
            lag::dpdk::eal_cleanup();
            return 1;
        }
        std::vector<port_row> rows;
        auto add_port = [&](const std::string& name, const std::string& role) -> bool {
            const auto* pc = cfg->port(name);
            auto id = lag::net::probe(pc->device);
            if (!id) {
                fmt::print(stderr, "dpdk-lagd: port '{}': {}\n", name, id.err().to_string());
                return false;
            }
            lag::net::port_setup s;
            s.rx_queues = static_cast<uint16_t>(queues);
            // The last: LACPDUs and MKPDUs.
            s.tx_queues = static_cast<uint16_t>(queues + ((lacp || mka) && role == "member" ? 1 : 0));
            s.rx_desc = cfg->rx_desc;
            s.tx_desc = cfg->tx_desc;
            s.pool = pool->get();
            rows.push_back({name, role, *id});
            auto ok = lag::net::configure_and_start(*id, s);
            if (!ok) {
                fmt::print(stderr, "dpdk-lagd: port '{}': {}\n", name, ok.err().to_string());
                return false;
            }
            if (pc->mac) {
                rte_ether_addr ea{};
                std::copy(pc->mac->bytes.begin(), pc->mac->bytes.end(), ea.addr_bytes);
                // A device that cannot (net_pcap) keeps its own; LACP and MKA
                // use the configured one either way (lacp_setup.hpp member_mac).
                if (int e = rte_eth_dev_default_mac_addr_set(*id, &ea); e != 0 && e != -ENOTSUP) {
                    fmt::print(stderr, "dpdk-lagd: port '{}': cannot set MAC {} ({})\n", name, pc->mac->to_string(),
                               e);
                    return false;
                }
            }
            return true;
        };
        bool ports_ok = add_port(lc.access, "access");
        for (const auto& m : lc.members)
            ports_ok = ports_ok && add_port(m, "member");

        std::unique_ptr<lag::ctl::control> ctl;
        std::unique_ptr<lag::lagd::lacp_runtime> lacp_rt;
        std::unique_ptr<lag::lagd::mka_runtime> mka_rt;
        if (ports_ok) {
            lag::ctl::control_config cc;
            cc.lag = lc.name;
            cc.access_port = rows.front().id;
            for (size_t i = 1; i < rows.size(); ++i)
                cc.members.push_back({rows[i].name, rows[i].id});
            cc.policy = lc.hash;
            cc.algo = lc.hash_algo;
            cc.bucket_count = lc.buckets;
            cc.workers = queues;
            cc.burst = cfg->burst;
            cc.link_poll_interval = std::chrono::milliseconds(cfg->link_poll_ms);
            cc.name_prefix = "lagd";
            cc.static_lag = !lacp;
            auto c = lag::ctl::control::create(model, cc);
            if (!c) {
                fmt::print(stderr, "dpdk-lagd: {}\n", c.err().to_string());
                ports_ok = false;
            } else {
                ctl = std::move(*c);
            }
        }
        if (ports_ok && lacp) {
            std::vector<lag::ctl::member_binding> mb;
            for (size_t i = 1; i < rows.size(); ++i)
                mb.push_back({rows[i].name, rows[i].id});
            auto r = lag::lagd::lacp_runtime::start(*cfg, lc, *ctl, model, mb, pool->get(),
                                                    static_cast<uint16_t>(queues), now());
            if (!r) {
                fmt::print(stderr, "dpdk-lagd: LACP: {}\n", r.err().to_string());
                ports_ok = false;
            } else {
                lacp_rt = std::move(*r);
            }
        }
        if (ports_ok && mka) {
            std::vector<lag::ctl::member_binding> mb;
            for (size_t i = 1; i < rows.size(); ++i)
                mb.push_back({rows[i].name, rows[i].id});
            auto r = lag::lagd::mka_runtime::start(*cfg, lc, *ctl, mb, pool->get(), static_cast<uint16_t>(queues), now());
            if (!r) {
                fmt::print(stderr, "dpdk-lagd: MKA: {}\n", r.err().to_string());
                ports_ok = false;
            } else {
                mka_rt = std::move(*r);
            }
        }
        auto print_all = [&](double secs) {
            print_counters(*ctl, rows, model, lc.name, secs);
            if (lacp_rt)
                lacp_rt->print();
            if (mka_rt)
                mka_rt->print();
        };

        lag::lagd::port_ids member_ids;
        for (size_t i = 1; i < rows.size(); ++i)
            member_ids.emplace_back(rows[i].name, rows[i].id);
        std::unique_ptr<lag::ctl::macsec_driver> msd;
        if (ports_ok) {
            auto d = lag::lagd::start_static_macsec(*ctl, lc, member_ids);
            if (!d) {
                fmt::print(stderr, "dpdk-lagd: MACsec: {}\n", d.err().to_string());
                ports_ok = false;
            } else {
                msd = std::move(*d);
            }
        }

        if (ports_ok) {
            fmt::print("dpdk-lagd: {} ({}), LAG {} with access {} and members {}, {} worker lcore(s){}{}{}\n",
                       cfg->source, model.rules().name, lc.name, lc.access, fmt::join(lc.members, ","), workers,
                       workers == 0 ? " (the main lcore polls the worker)" : "",
                       lacp ? ", LACP on the control lcore" : ", static", mka ? ", MKA" : "");
            std::fflush(stdout);
            std::vector<lag::lagd::port_info> infos;
            for (const auto& r : rows)
                infos.push_back({r.name, r.role, r.id});
            lag::lagd::service svc(*cfg, model, *ctl, std::move(infos), opt.config);
            svc.set_autosave(cfg->autosave);
            svc.set_member_view([&](std::string_view port) {
                lag::lagd::member_view v = lacp_rt ? lacp_rt->view(port) : lag::lagd::member_view{};
                if (msd)
                    v.macsec = fmt::format("static {}{}", lag::to_string(lc.macsec.suite),
                                           lc.macsec.confidentiality ? "" : " integrity-only");
                if (mka_rt && (v.mka = mka_rt->view(port)).on) {
                    v.macsec = fmt::format("mka {}{}{}", v.mka.secured ? "secured" : "unsecured",
                                           v.mka.an >= 0 ? fmt::format(" {} an {}", v.mka.cipher, v.mka.an) : "",
                                           v.mka.key_server ? " ks" : "");
                }
                return v;
            });
            if (mka_rt)
                svc.set_mka([&](const lag::cli::parsed_command& c, lag::time_point t) {
                    return mka_rt->command(cfg->lags.front(), c, t);
                });
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
            lag::lagd::telemetry_publish(svc.lag_json(), svc.stats_json());
            auto next_telemetry = std::chrono::steady_clock::now();
            std::vector<lag::dp::worker::launch_arg> args(workers);
            std::atomic<bool> stop_workers{false};
            unsigned i = 0;
            unsigned lcore;
            RTE_LCORE_FOREACH_WORKER(lcore) {
                args[i] = {&ctl->worker(i), &stop_workers};
                rte_eal_remote_launch(lag::dp::worker::lcore_main, &args[i], lcore);
                ++i;
            }
            double stats = opt.stats >= 0 ? opt.stats : cfg->stats_interval;
            auto t0 = std::chrono::steady_clock::now();
            auto next_stats = t0 + std::chrono::duration<double>(stats);
            while (!g_quit.load(std::memory_order_relaxed)) {
                unsigned work = ctl->poll(now());
                if (server)
                    work += server->poll(handle);
                if (lacp_rt)
                    work += lacp_rt->poll(now());
                if (msd)
                    work += msd->poll();
                if (mka_rt)
                    work += mka_rt->poll(now());
                if (workers == 0)
                    work += ctl->worker(0).poll_once();
                auto t = std::chrono::steady_clock::now();
                if (t >= next_telemetry) {
                    lag::lagd::telemetry_publish(svc.lag_json(), svc.stats_json());
                    next_telemetry = t + std::chrono::milliseconds(250);
                }
                if (opt.duration > 0 && t - t0 >= std::chrono::duration<double>(opt.duration))
                    break;
                if (stats > 0 && t >= next_stats) {
                    print_all(std::chrono::duration<double>(t - t0).count());
                    next_stats = t + std::chrono::duration<double>(stats);
                }
                if (work == 0 && workers > 0)
                    rte_delay_us_sleep(100); // control has nothing urgent; workers keep polling
                else if (work == 0 && opt.idle_sleep_us > 0)
                    rte_delay_us_sleep(opt.idle_sleep_us); // the main lcore is the only one: idle
            }
            stop_workers.store(true);
            rte_eal_mp_wait_lcore();
            if (prompt_thread.joinable())
                prompt_thread.detach(); // blocked in readline; the process is ending
            server.reset();
            ctl->poll(now()); // drain the punt ring once more
            double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            fmt::print("dpdk-lagd: stopping{}\n", g_quit.load() ? " (signal)" : "");
            print_all(secs);
            if (msd)
                lag::lagd::print_macsec_counters(*msd, *ctl, member_ids);
            if (mka_rt)
                lag::lagd::print_macsec_counters(mka_rt->macsec(), *ctl, member_ids);
            ctl->shutdown();
        } else {
            rc = 1;
        }
        msd.reset();
        mka_rt.reset();
        lacp_rt.reset();
        ctl.reset();
        for (const auto& r : rows)
            lag::net::stop_and_close(r.id);
        // Every mbuf is back in the pool once the ports are closed (a leak shows here).
        fmt::print("dpdk-lagd: mbufs in use at exit: {} of {}\n",
                   lag::dpdk::mempool_size(pool->get()) - lag::dpdk::mempool_avail(pool->get()),
                   lag::dpdk::mempool_size(pool->get()));
    }
    lag::dpdk::eal_cleanup();
    return rc;
}
