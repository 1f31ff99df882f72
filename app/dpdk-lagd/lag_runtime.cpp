#include "lag_runtime.hpp"

#include "dpdk/dpdk.hpp"
#include "macsec_setup.hpp"
#include "port_io_ethdev.hpp"
#include "port_speed.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace lag::lagd {

engine::port_setup lag_runtime::setup(bool member, bool control_queue) const {
    engine::port_setup s;
    s.rx_queues = static_cast<uint16_t>(_env.queues);
    s.tx_queues = static_cast<uint16_t>(_env.queues + (control_queue && member ? 1 : 0)); // last: LACP, MKA
    s.rx_desc = _env.cfg->rx_desc;
    s.tx_desc = _env.cfg->tx_desc;
    // The LAG's MTU on the access port; on a member, plus what MACsec adds.
    const lag_config& lc = config();
    s.mtu = static_cast<uint16_t>(lc.mtu + (member ? member_mtu_overhead(lc) : 0));
    return s;
}

result<void> lag_runtime::set_mtu(unsigned mtu, time_point now) {
    if (auto ok = apply_mtu(mtu, member_mtu_overhead(config())); !ok)
        return ok;
    _ctl->set_max_frame(max_frame(mtu), now); // the workers drop what the new MTU does not allow
    return ok_v;
}

result<void> lag_runtime::apply_mtu(unsigned mtu, unsigned overhead) {
    std::vector<engine::mtu_change> plan;
    for (const auto& r : _rows)
        if (r.role != engine::port_role::standalone)
            plan.push_back({r.name, r.id,
                            static_cast<uint16_t>(mtu + (r.role == engine::port_role::member ? overhead : 0))});
    return engine::apply_mtus(*_env.io, plan); // all checked first, put back if a device refuses after
}

bool lag_runtime::open_port(const std::string& name, engine::port_role role) {
    const auto* pc = _env.cfg->port(name);
    auto id = _env.io->probe(pc->device);
    if (!id) {
        fmt::print(stderr, "dpdk-lagd: port '{}': {}\n", name, id.err().to_string());
        return false;
    }
    _rows.push_back({name, role, *id});
    // Members get the spare TX queue wherever the device has it, so that
    // MKA can start at run time (`set lag NAME macsec ckn ...`).
    const bool member = role == engine::port_role::member;
    engine::port_setup s = setup(member, true);
    if (member) {
        auto ms = engine::member_setup(*_env.io, *id, name, s, false);
        if (!ms) {
            fmt::print(stderr, "dpdk-lagd: {}\n", ms.err().to_string());
            return false;
        }
        s = ms->first;
        _rows.back().control_queue = ms->second;
    }
    auto ok = _env.io->configure_and_start(*id, s);
    if (!ok) {
        // As a run-time refusal says it: the rule a device refused ([rule:
        // mtu], [rule: port-queues]), with the port.
        fmt::print(stderr, "dpdk-lagd: port '{}': {} [rule: {}]\n", name, ok.err().message, ok.err().code);
        return false;
    }
    if (auto r = route_port_io(*_io, *_env.io, *id, member, _rows.back().control_queue, s, lacp_runs_clear(config()), name);
        !r) {
        fmt::print(stderr, "dpdk-lagd: port '{}': {}\n", name, r.err().to_string());
        return false;
    }
    if (pc->mac) {
        // A device that cannot (net_pcap) keeps its own; LACP and MKA
        // use the configured one either way (lacp_setup.hpp member_mac).
        if (auto mac = _env.io->set_mac(*id, *pc->mac); !mac) {
            fmt::print(stderr, "dpdk-lagd: port '{}': {}\n", name, mac.err().message);
            return false;
        }
    }
    return true;
}

result<std::unique_ptr<lag_runtime>> lag_runtime::start(const runtime_env& env, const std::string& name,
                                                        unsigned slot, unsigned generation, time_point now) {
    const auto& cfg = *env.cfg;
    const auto& lc = *cfg.lag(name);
    const bool lacp = lacp_enabled(lc);
    const bool mka = mka_enabled(lc);
    std::unique_ptr<lag_runtime> rt(new lag_runtime(env, name, slot));
    const std::string prefix = generation == 0 ? std::string("lagd") : fmt::format("lagd{}", generation);
    rt->_io = std::make_unique<dp::port_io>(prefix);
    bool ok = rt->open_port(lc.access, engine::port_role::access);
    for (const auto& m : lc.members)
        ok = ok && rt->open_port(m, engine::port_role::member);
    if (!ok)
        return make_error("device", "cannot open the LAG's ports (see above)");

    ctl::control_config cc;
    cc.lag = lc.name;
    cc.access_port = rt->_rows.front().id;
    for (size_t i = 1; i < rt->_rows.size(); ++i)
        cc.members.push_back({rt->_rows[i].name, rt->_rows[i].id, speed_checked(cfg, rt->_rows[i].name, rt->_rows[i].id)});
    cc.policy = lc.hash;
    cc.algo = lc.hash_algo;
    cc.bucket_count = lc.buckets;
    cc.max_frame = max_frame(lc.mtu);
    cc.workers = env.queues;
    cc.burst = cfg.burst;
    cc.link_poll_interval = std::chrono::milliseconds(cfg.link_poll_ms);
    cc.name_prefix = prefix;
    cc.io = rt->_io.get();
    cc.static_lag = !lacp;
    auto c = ctl::control::create(*env.model, cc);
    if (!c)
        return c.err();
    rt->_ctl = std::move(*c);
    // MACsec before LACP: the first LACPDU already goes through the
    // member's SecY ([lag.macsec] lacp = "protected").
    if (mka) {
        auto r = mka_runtime::start(cfg, lc, *rt->_ctl, env.pool, static_cast<uint16_t>(env.queues), now);
        if (!r)
            return make_error(r.err().code, "MKA: " + r.err().message);
        rt->_mka = std::move(*r);
    }
    port_ids member_ids;
    for (const auto& mb : cc.members)
        member_ids.emplace_back(mb.name, mb.port);
    auto d = start_static_macsec(*rt->_ctl, lc, member_ids);
    if (!d)
        return make_error(d.err().code, "MACsec: " + d.err().message);
    rt->_msd = std::move(*d);
    if (lacp) {
        auto r = lacp_runtime::start(cfg, lc, *rt->_ctl, *env.model, cc.members, env.pool,
                                     static_cast<uint16_t>(env.queues), now, [raw = rt.get()] {
                                         return raw->_msd ? raw->_msd.get()
                                                : raw->_mka ? &raw->_mka->macsec()
                                                            : nullptr;
                                     });
        if (!r)
            return make_error(r.err().code, "LACP: " + r.err().message);
        rt->_lacp = std::move(*r);
    }

    rt->_topo = std::make_unique<runtime_topology>(name, cfg, *env.model, *rt->_ctl, rt->_lacp.get(),
                                                   rt->_msd.get(), rt->_mka, rt->setup(true, true), rt->_rows,
                                                   *env.io);

    if (env.workers > 0) { // the worker lcores poll them from now on
        std::vector<dp::worker*> ws;
        for (unsigned i = 0; i < env.workers; ++i)
            ws.push_back(&rt->_ctl->worker(i));
        env.loop->attach(slot, ws);
        rt->_attached = true;
    }
    return rt;
}

unsigned lag_runtime::poll(time_point now) {
    unsigned work = _ctl->poll(now);
    if (_lacp)
        work += _lacp->poll(now);
    if (_msd)
        work += _msd->poll();
    if (_mka)
        work += _mka->poll(now);
    work += _topo->poll();
    if (_env.workers == 0)
        work += _ctl->worker(0).poll_once();
    return work;
}

result<void> lag_runtime::prepare_mka() {
    // Every member sends MKPDUs on its spare TX queue, or through its
    // control-frame ring where its device has none.
    if (_mka)
        return ok_v;
    // MACsec on a LAG that started clear: the members' MTU grows by what it
    // adds (MKA's SecTAG carries the SCI: 16, ICV 16) before any frame is
    // protected; refused [rule: mtu] where a device cannot take it.
    if (auto ok = apply_mtu(config().mtu, 16 + 16); !ok)
        return ok.err();
    auto r = mka_runtime::create(*_env.cfg, *_ctl, _env.pool, static_cast<uint16_t>(_env.queues));
    if (!r)
        return r.err();
    _mka = std::move(*r); // kept until the LAG stops (topology sees it through _mka)
    return ok_v;
}

member_view lag_runtime::view(std::string_view port) const {
    member_view v = _lacp ? _lacp->view(port) : member_view{};
    if (_msd) {
        for (const auto& r : _rows)
            if (r.name == port && _msd->has_port(r.id)) {
                const auto& m = config().macsec;
                v.macsec = fmt::format("static {}{}", to_string(m.suite), m.confidentiality ? "" : " integrity-only");
            }
    }
    for (const auto& r : _rows)
        if (r.name == port && r.role == engine::port_role::member) {
            const auto st = _io->steering_of(r.id);
            v.control_rx = st.queue != dp::port_io::no_queue ? "rte_flow" : "punt";
            v.control_rx_queue = st.queue != dp::port_io::no_queue ? st.queue : -1;
            v.steer_refused = st.refused;
        }
    if (_mka && (v.mka = _mka->view(port)).on)
        v.macsec = fmt::format("mka {}{}{}", v.mka.secured ? "secured" : "unsecured",
                               v.mka.an >= 0 ? fmt::format(" {} an {}", v.mka.cipher, v.mka.an) : "",
                               v.mka.key_server ? " ks" : "");
    return v;
}

void lag_runtime::print(double seconds) const {
    const auto& c = *_ctl;
    const auto& lag = c.config().lag;
    const auto* l = _env.model->lag(lag);
    const auto& snap = c.current();
    fmt::print("lag {}: {} ({} of {} members distributing, min-links {}), hash {} {}, {} buckets\n", lag,
               l != nullptr && l->up ? "up" : "down", snap.distributing_count(), snap.member_count, snap.min_links,
               to_string(snap.policy), to_string(snap.algo), snap.bucket_mask + 1);
    fmt::print("{:<10} {:<10} {:>6} {:>14} {:>16} {:>14} {:>16} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}\n", "port",
               "role", "link", "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "punted", "lag_down",
               "no_member", "tx_full", "not_coll", "punt_full");
    for (const auto& r : _rows) {
        auto t = c.totals(r.id);
        using dp::drop_reason;
        fmt::print("{:<10} {:<10} {:>6} {:>14} {:>16} {:>14} {:>16} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10}\n", r.name,
                   engine::to_string(r.role), _env.io->link(r.id).up ? "up" : "down", t.rx_packets, t.rx_bytes, t.tx_packets,
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
        for (const auto& r : _rows) {
            auto t = c.totals(r.id);
            if (r.role == engine::port_role::access)
                egress += t.rx_packets;
            else if (r.role == engine::port_role::member)
                ingress += t.rx_packets;
        }
        fmt::print("ran {:.1f} s: {:.3f} Mpps egress (access rx), {:.3f} Mpps ingress (members rx)\n", seconds,
                   egress / seconds / 1e6, ingress / seconds / 1e6);
    }
    if (_lacp)
        _lacp->print();
    if (_mka)
        _mka->print();
    std::fflush(stdout);
}

result<void> lag_runtime::let_go(const std::string& port, time_point now) {
    auto it = std::find_if(_rows.begin(), _rows.end(), [&](const port_row& r) { return r.name == port; });
    if (it == _rows.end())
        return ok_v;
    uint16_t id = it->id;
    // The workers pass a quiescent state every iteration: microseconds with
    // worker lcores, one poll() here without.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (_ctl->leaving(id)) {
        if (std::chrono::steady_clock::now() > deadline)
            return make_error("port-busy", fmt::format("port '{}' is still leaving LAG {}'s workers; retry",
                                                       port, _name));
        poll(now);
    }
    std::erase_if(_rows, [&](const port_row& r) { return r.name == port; });
    return ok_v;
}

void lag_runtime::stop(bool print_counters, double seconds) {
    if (_stopped)
        return;
    _stopped = true;
    if (_attached && !_env.loop->detach(_slot, std::chrono::seconds(5))) {
        // An lcore did not move on: its workers may still be in use, so
        // nothing of this LAG may be freed. Never seen; logged, leaked.
        dpdk::log(dpdk::log_type::control, dpdk::log_level::err,
                  "LAG {}: a worker lcore did not leave its workers within 5 s; not freeing them", _name);
        (void)_ctl.release();
        (void)_io.release();
        (void)_topo.release();
        (void)_mka.release();
        (void)_msd.release();
        (void)_lacp.release();
        _rows.clear();
        return;
    }
    _attached = false;
    _env.loop->release(_slot);
    if (_ctl) {
        _ctl->poll(time_point{std::chrono::duration_cast<duration>(
            std::chrono::steady_clock::now().time_since_epoch())}); // drain the punt ring once more
        if (print_counters) {
            print(seconds);
            if (const auto* d = macsec()) {
                port_ids now_members; // as they are now (add/remove member)
                for (const auto& mb : _ctl->config().members)
                    now_members.emplace_back(mb.name, mb.port);
                print_macsec_counters(*d, *_ctl, now_members);
            }
        }
        _ctl->shutdown();
    }
    _topo.reset();
    _mka.reset();
    _msd.reset();
    _lacp.reset();
    _ctl.reset();
    _io.reset(); // no worker drains its rings any more
    for (const auto& r : _rows)
        _env.io->stop_and_close(r.id);
    _rows.clear();
}

// --- lag_host ---

lag_host::lag_host(const runtime_env& env) : _env(env), _loop(env.workers) {
    _env.loop = &_loop;
    if (_env.io == nullptr) {
        _own_io = std::make_unique<net::ethdev_port_io>(_env.pool, _env.pools);
        _env.io = _own_io.get();
    }
}

lag_runtime* lag_host::find(std::string_view lag) const noexcept {
    for (const auto& rt : _rts)
        if (rt->name() == lag)
            return rt.get();
    return nullptr;
}

engine::host_model lag_host::trial() const {
    std::map<std::string, std::string, std::less<>> access;
    for (const auto& l : _env.cfg->lags)
        access.emplace(l.name, l.access);
    return engine::host_model(*_env.model, std::move(access));
}

result<std::unique_ptr<lag_runtime>> lag_host::start_one(const std::string& name, time_point now) {
    auto slot = _loop.reserve();
    if (!slot)
        return slot.err();
    auto rt = lag_runtime::start(_env, name, *slot, _generation++, now);
    if (!rt)
        _loop.release(*slot); // nothing was attached
    return rt;
}

result<void> lag_host::start(time_point now) {
    for (const auto& l : _env.cfg->lags) {
        auto rt = start_one(l.name, now);
        if (!rt)
            return make_error(rt.err().code, fmt::format("LAG {}: {}", l.name, rt.err().message));
        _rts.push_back(std::move(*rt));
    }
    return ok_v;
}

unsigned lag_host::poll(time_point now) {
    unsigned work = 0;
    for (auto& rt : _rts)
        work += rt->poll(now);
    return work;
}

void lag_host::stop(double seconds) {
    for (auto& rt : _rts)
        rt->stop(true, seconds);
    _rts.clear();
    _loop.stop();
}

ctl::control* lag_host::control(std::string_view lag) noexcept {
    auto* rt = find(lag);
    return rt != nullptr ? &rt->control() : nullptr;
}

const ctl::macsec_driver* lag_host::macsec(std::string_view lag) const noexcept {
    auto* rt = find(lag);
    return rt != nullptr ? rt->macsec() : nullptr;
}

std::vector<port_info> lag_host::ports() const {
    std::vector<port_info> v;
    for (const auto& rt : _rts)
        for (const auto& r : rt->rows())
            v.push_back({r.name, r.role, r.id, rt->name()});
    return v;
}

member_view lag_host::view(std::string_view port) const {
    for (const auto& rt : _rts)
        for (const auto& r : rt->rows())
            if (r.name == port)
                return rt->view(port);
    return member_view{};
}

bool lag_host::has_mka(std::string_view lag) const noexcept {
    auto* rt = find(lag);
    return rt != nullptr && !rt->static_macsec();
}

namespace {
error no_such_lag(std::string_view lag) { return make_error("no-such-lag", fmt::format("there is no LAG {}", lag)); }
} // namespace

result<uint16_t> lag_host::add_member(const std::string& lag, const std::string& port, time_point now) {
    auto* dst = find(lag);
    if (dst == nullptr)
        return no_such_lag(lag);
    const auto* ps = _env.model->port(port);
    lag_runtime* src = ps != nullptr && ps->lag ? find(*ps->lag) : nullptr;
    // Staged: every refusal before anything moves. The host's rules on a
    // copy (lib/engine: an access port is no member; the move itself, with
    // min-links of the LAG it leaves, speed and member limits of this one),
    // then this LAG's keys for it (static: its SAs; MKA: the CAK file
    // and the profile's rules with it). Whatever keys either side has, the
    // port leaves its old key with the old LAG (its MKA participant ends,
    // its SecY goes once the workers let go) and joins under this LAG's: a
    // new participant under this LAG's CKN/CAK (under must_encrypt its gate
    // stays closed until that session secures) or its static SAs.
    if (auto ok = trial().add_member(lag, port); !ok)
        return ok.err();
    if (auto ok = dst->topology().check_add(port); !ok)
        return ok.err();
    if (src != nullptr) {
        if (auto ok = src->topology().remove_member(port, now); !ok)
            return ok.err();
        dpdk::log(dpdk::log_type::control, dpdk::log_level::notice, "port {} leaves LAG {} for LAG {}", port,
                  src->name(), lag);
    }
    // The one undo: back into the LAG it left (under that LAG's key again).
    auto back = [&](const error& why) -> error {
        if (src == nullptr)
            return why;
        for (auto& rt : _rts) // this LAG lets go of what it had begun
            if (rt.get() != src)
                if (auto ok = rt->let_go(port, now); !ok)
                    return make_error(why.code, fmt::format("{}; it left LAG {}: {}", why.message, src->name(),
                                                            ok.err().message));
        if (auto again = src->topology().add_member(port, now); !again)
            return make_error(why.code, fmt::format("{}; it left LAG {} and could not go back: {}", why.message,
                                                    src->name(), again.err().message));
        return make_error(why.code, fmt::format("{} (it stays in LAG {})", why.message, src->name()));
    };
    // A port another LAG has open (it just left it, or left it earlier and
    // stayed as a spare): stopped there once its workers let go, then
    // opened here.
    for (auto& rt : _rts)
        if (rt.get() != dst)
            if (auto ok = rt->let_go(port, now); !ok)
                return back(ok.err());
    auto id = dst->topology().add_member(port, now);
    if (!id)
        return back(id.err());
    // The config follows: out of the old LAG's members, into this one's.
    for (auto& l : _env.cfg->lags)
        std::erase(l.members, port);
    _env.cfg->lag(lag)->members.push_back(port);
    return id;
}

result<void> lag_host::remove_member(const std::string& lag, const std::string& port, time_point now) {
    auto* rt = find(lag);
    if (rt == nullptr)
        return no_such_lag(lag);
    return rt->topology().remove_member(port, now);
}

result<std::string> lag_host::mka_command(const std::string& lag, const cli::parsed_command& c, time_point now) {
    auto* rt = find(lag);
    if (rt == nullptr)
        return no_such_lag(lag);
    if (rt->static_macsec())
        return make_error("no-mka", fmt::format("LAG {} has static MACsec keys, not MKA", lag));
    if (rt->mka() == nullptr || !rt->mka()->running()) {
        if (c.id != cli::command_id::set_macsec)
            return make_error("no-mka", fmt::format("MACsec is off on LAG {}: set a key first (set lag {} macsec "
                                                    "ckn HEX cak-file PATH)",
                                                    lag, lag));
        if (auto ok = rt->prepare_mka(); !ok)
            return ok.err();
    }
    return rt->mka()->command(*_env.cfg->lag(lag), c, now);
}

result<void> lag_host::set_mtu(const std::string& lag, unsigned mtu, time_point now) {
    auto* rt = find(lag);
    if (rt == nullptr)
        return no_such_lag(lag);
    return rt->set_mtu(mtu, now);
}

result<void> lag_host::set_lacp_rate(const std::string& lag, lacp::lacp_rate rate, time_point now) {
    auto* rt = find(lag);
    if (rt == nullptr)
        return no_such_lag(lag);
    return rt->topology().set_lacp_rate(rate, now);
}

result<void> lag_host::create_lag(const lag_config& l, model::port_speed speed, time_point now) {
    auto& cfg = *_env.cfg;
    if (cfg.lag(l.name) != nullptr)
        return make_error("duplicate-lag", fmt::format("LAG {} already exists", l.name));
    // Staged: the whole creation on a copy first (lib/engine: the access
    // port free, members no access port; members of other LAGs moved, with
    // the min-links of the LAGs they leave counted together; speed and
    // member limits of this one).
    if (auto ev = trial().create_lag(
            {.name = l.name, .speed = speed, .access = l.access, .members = l.members, .min_links = l.min_links});
        !ev)
        return ev.err();
    std::vector<std::string> free, moving; // moving: (port) members of another LAG now
    std::vector<std::string> from;         // the LAG each moving port is in
    for (const auto& m : l.members) {
        if (const auto* p = _env.model->port(m); p != nullptr && p->lag) {
            moving.push_back(m);
            from.push_back(*p->lag);
        } else {
            free.push_back(m);
        }
    }
    // A port another LAG still has open as a spare (it left that LAG at
    // run time) is stopped there and opened here.
    std::vector<std::string> ports = free;
    ports.push_back(l.access);
    for (auto& rt : _rts)
        for (const auto& p : ports)
            if (auto ok = rt->let_go(p, now); !ok)
                return ok.err();
    // The LAG starts with its free ports (none: empty, pending); min-links
    // once the moving ones are in.
    lag_config first = l;
    first.members = free;
    first.speed = speed;
    first.min_links = moving.empty() ? l.min_links : 0;
    auto ev = _env.model->create_lag({.name = first.name, .speed = speed, .members = first.members,
                                      .min_links = first.min_links, .key = std::nullopt});
    if (!ev)
        return ev.err();
    cfg.lags.push_back(first);
    auto rt = start_one(l.name, now);
    if (!rt) {
        (void)_env.model->delete_lag(l.name);
        std::erase_if(cfg.lags, [&](const lag_config& x) { return x.name == l.name; });
        return rt.err();
    }
    _rts.push_back(std::move(*rt));
    // Then each member of another LAG moves, all or none: on a refusal the
    // ones moved go back to their LAGs and the new LAG goes.
    for (size_t i = 0; i < moving.size(); ++i) {
        if (auto id = add_member(l.name, moving[i], now); !id) {
            std::string undo;
            for (size_t k = i; k-- > 0;)
                if (auto b = add_member(from[k], moving[k], now); !b)
                    undo += fmt::format("; {} could not go back to LAG {}: {}", moving[k], from[k],
                                        b.err().message);
            (void)delete_lag(l.name, now);
            return make_error(id.err().code, fmt::format("{} (LAG {} not created, its members back where they were{})",
                                                         id.err().message, l.name, undo));
        }
    }
    if (!moving.empty() && l.min_links != 0) {
        if (auto ok = find(l.name)->control().set_min_links(l.min_links, now); !ok)
            return ok.err(); // cannot happen: the trial took it
        cfg.lag(l.name)->min_links = l.min_links;
    }
    dpdk::log(dpdk::log_type::control, dpdk::log_level::notice, "LAG {} created", l.name);
    return ok_v;
}

result<void> lag_host::delete_lag(const std::string& lag, time_point) {
    auto& cfg = *_env.cfg;
    auto it = std::find_if(_rts.begin(), _rts.end(), [&](const auto& rt) { return rt->name() == lag; });
    if (it == _rts.end())
        return no_such_lag(lag);
    (*it)->stop(false, 0);
    _rts.erase(it);
    if (auto ev = _env.model->delete_lag(lag); !ev)
        return ev.err(); // cannot happen: the LAG is in the model
    std::erase_if(cfg.lags, [&](const lag_config& x) { return x.name == lag; });
    dpdk::log(dpdk::log_type::control, dpdk::log_level::notice, "LAG {} deleted, its ports closed", lag);
    return ok_v;
}

} // namespace lag::lagd
