#include "control/control.hpp"

#include "common/bytes.hpp"

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace lag::ctl {

namespace {
constexpr unsigned punt_batch = 32;
constexpr unsigned punt_batches_per_poll = 8; // bounds one poll's punt work
} // namespace

control::control(model::lag_model& m, const control_config& c) : _model(m), _cfg(c) {}

control::~control() { shutdown(); }

result<std::unique_ptr<control>> control::create(model::lag_model& model, const control_config& cfg) {
    const model::lag_state* lag = model.lag(cfg.lag);
    if (lag == nullptr)
        return make_error("no-lag", fmt::format("LAG '{}' is not in the model", cfg.lag));
    // No member is an empty LAG (pending): members join at run time.
    if (cfg.members.size() > dp::max_members)
        return make_error("member-count", fmt::format("LAG '{}': {} members; the data plane takes 0 to {}",
                                                      cfg.lag, cfg.members.size(), dp::max_members));
    if (cfg.members.size() != lag->members.size())
        return make_error("members", fmt::format("LAG '{}' has {} members in the model, {} bound to ports",
                                                 cfg.lag, lag->members.size(), cfg.members.size()));
    for (const auto& mb : cfg.members) {
        const model::port_state* p = model.port(mb.name);
        if (p == nullptr || p->lag != cfg.lag)
            return make_error("members", fmt::format("port '{}' is not a member of LAG '{}'", mb.name, cfg.lag));
        if (mb.port >= dp::max_ports || mb.port == cfg.access_port)
            return make_error("members", fmt::format("port '{}': bad DPDK port id {}", mb.name, mb.port));
    }
    if (cfg.workers == 0 || cfg.workers > RTE_MAX_LCORE)
        return make_error("workers", fmt::format("{} workers", cfg.workers));

    std::unique_ptr<control> c(new control(model, cfg));
    auto q = dpdk::make_qsbr(cfg.workers);
    if (!q)
        return q.err();
    c->_qsbr = std::move(*q);
    auto g = dpdk::defer_queue::create(cfg.name_prefix + "_g", c->_qsbr.get(), 4096);
    if (!g)
        return g.err();
    c->_grace = std::move(*g);
    auto p = dpdk::make_ring(cfg.name_prefix + "_punt", cfg.punt_ring_size, sizeof(void*), dpdk::ring_sync::mp_sc);
    if (!p)
        return p.err();
    c->_punt = std::move(*p);
    for (unsigned i = 0; i < cfg.workers; ++i) {
        auto r = dpdk::make_ring(fmt::format("{}_ctl{}", cfg.name_prefix, i), cfg.message_ring_size,
                                 dp::control_message_size, dpdk::ring_sync::sp_sc);
        if (!r)
            return r.err();
        c->_rings.push_back(std::move(*r));
        auto e = crypto::engine::create();
        if (!e)
            return e.err();
        c->_engines.push_back(std::move(*e));
    }

    // Links as they are now.
    size_t n = cfg.members.size();
    c->_link.assign(n, false);
    c->_collecting.assign(n, false);
    c->_gate.assign(n, true);
    c->_want_dist.assign(n, false);
    for (size_t i = 0; i < n; ++i) {
        const auto& mb = cfg.members[i];
        (void)dpdk::watch_lsc(mb.port);
        bool up = dpdk::link_up(mb.port);
        c->_link[i] = up;
        c->read_speed(i, up);
        if (cfg.static_lag) {
            c->_collecting[i] = up;
            c->_want_dist[i] = up;
            auto ev = model.set_distributable(mb.name, up);
            if (!ev)
                return ev.err();
        }
    }
    if (cfg.mirror_access_link)
        (void)dpdk::set_link(cfg.access_port, model.lag(cfg.lag)->up);

    c->_current = dp::build_snapshot(c->membership(), nullptr);
    if (c->_current == nullptr)
        return make_error("snapshot", "cannot build the first snapshot (bucket count must be a power of two, 256 to 65536)");
    c->_counters.snapshots_published = 1;
    c->_pending.assign(cfg.workers, false);
    for (unsigned i = 0; i < cfg.workers; ++i) {
        dp::worker_config wc;
        wc.id = i;
        wc.queue = static_cast<uint16_t>(i);
        wc.initial = c->_current.get();
        wc.control_ring = c->_rings[i].get();
        wc.punt_ring = c->_punt.get();
        wc.qsbr = c->_qsbr.get();
        wc.burst = cfg.burst;
        wc.tx_retries = cfg.tx_retries;
        wc.engine = c->_engines[i].get();
        wc.io = cfg.io;
        wc.queue_stride = static_cast<uint16_t>(cfg.workers);
        c->_workers.push_back(std::make_unique<dp::worker>(wc));
    }
    return c;
}

dp::membership control::membership() const {
    dp::membership m;
    const model::lag_state* lag = _model.lag(_cfg.lag);
    m.access_port = _cfg.access_port;
    for (size_t i = 0; i < _cfg.members.size(); ++i) {
        const auto& mb = _cfg.members[i];
        m.member_ports.push_back(mb.port);
        m.distributing.push_back(_model.status_of(mb.name) == model::member_status::operational);
        m.collecting.push_back(_collecting[i]);
    }
    m.min_links = lag != nullptr ? lag->min_links : 0;
    m.lag_up = lag != nullptr && lag->up;
    m.policy = _cfg.policy;
    m.algo = _cfg.algo;
    m.bucket_count = _cfg.bucket_count;
    m.max_frame = _cfg.max_frame;
    return m;
}

void control::apply_events(const model::events& ev) {
    for (const auto& e : ev) {
        if (e.lag != _cfg.lag)
            continue;
        if (e.kind == model::event_kind::lag_up || e.kind == model::event_kind::lag_down)
            dpdk::log(dpdk::log_type::control, dpdk::log_level::notice, "LAG {} {}", _cfg.lag,
                      e.kind == model::event_kind::lag_up ? "up" : "down");
        if (!_cfg.mirror_access_link)
            continue;
        if (e.kind == model::event_kind::lag_up)
            (void)dpdk::set_link(_cfg.access_port, true);
        else if (e.kind == model::event_kind::lag_down)
            (void)dpdk::set_link(_cfg.access_port, false);
    }
}

void control::publish(time_point, std::span<const uint16_t> renumber) {
    auto next = dp::build_snapshot(membership(), _current.get(), renumber);
    if (next == nullptr)
        return; // cannot happen: the config was checked in create()
    ++_snapshots_awaiting;
    _staged.push_back(dpdk::on_grace([this, s = std::move(_current)]() mutable {
        s.reset();
        --_snapshots_awaiting;
        ++_counters.snapshots_freed;
    }));
    _current = std::move(next);
    ++_counters.snapshots_published;
    dpdk::log(dpdk::log_type::dp, dpdk::log_level::debug,
              "LAG {}: snapshot {} published: {} members, distributing {:#x}, collecting {:#x}, {}", _cfg.lag,
              _current->generation, _current->member_count, _current->distributing, _current->collecting,
              _current->lag_up ? "up" : "down");
    std::fill(_pending.begin(), _pending.end(), true);
    send_pending();
    reclaim();
}

void control::send_pending() {
    for (size_t i = 0; i < _pending.size(); ++i) {
        if (!_pending[i])
            continue;
        dp::control_message msg{dp::message_kind::snapshot, 0, _current.get()};
        if (rte_ring_sp_enqueue_elem(_rings[i].get(), &msg, sizeof msg) == 0)
            _pending[i] = false;
        else
            ++_counters.message_ring_full;
    }
}

void control::reclaim() {
    // The grace period of what was retired starts once the newest snapshot
    // is on every worker's ring: a worker drains its ring before it uses a
    // snapshot again, and reports quiescence only after that.
    bool all_sent = std::none_of(_pending.begin(), _pending.end(), [](bool b) { return b; });
    if (all_sent)
        for (auto& item : std::exchange(_staged, {}))
            _grace->defer(std::move(item));
    _grace->reclaim();
}

void control::read_speed(size_t i, bool up) {
    const auto& mb = _cfg.members[i];
    std::optional<uint32_t> mbps = up && mb.check_speed ? dpdk::link_speed_mbps(mb.port) : std::nullopt;
    const bool was = _model.status_of(mb.name) == model::member_status::speed_mismatch;
    auto ev = _model.set_link_speed(mb.name, mbps);
    if (!ev)
        return;
    apply_events(*ev);
    if (was || _model.status_of(mb.name) != model::member_status::speed_mismatch)
        return;
    ++_counters.speed_mismatches;
    const model::lag_state* l = _model.lag(_cfg.lag);
    dpdk::log(dpdk::log_type::control, dpdk::log_level::warning,
              "LAG {}: member {} runs at {} Mb/s, the LAG at {}: not aggregated (speed-mismatch)", _cfg.lag,
              mb.name, *mbps, l != nullptr ? model::to_string(l->speed) : "?");
}

unsigned control::poll_links(time_point now) {
    bool due = _cfg.link_poll_interval.count() == 0 || now >= _next_link_poll;
    if (due)
        _next_link_poll = now + _cfg.link_poll_interval;
    bool changed = false;
    unsigned work = 0;
    for (size_t i = 0; i < _cfg.members.size(); ++i) {
        const auto& mb = _cfg.members[i];
        bool lsc = dpdk::take_lsc(mb.port);
        if (!due && !lsc)
            continue;
        bool up = dpdk::link_up(mb.port);
        if (up == _link[i])
            continue;
        _link[i] = up;
        ++_counters.link_changes;
        read_speed(i, up);
        dpdk::log(dpdk::log_type::control, dpdk::log_level::notice, "LAG {}: member {} link {}", _cfg.lag, mb.name,
                  up ? "up" : "down");
        ++work;
        if (_link_handler != nullptr)
            _link_handler->on_link(mb.port, up, now);
        if (_cfg.static_lag) {
            _collecting[i] = up;
            _want_dist[i] = up;
            auto ev = _model.set_distributable(mb.name, up && _gate[i]);
            if (ev)
                apply_events(*ev);
            changed = true;
        }
    }
    if (changed)
        publish(now);
    return work;
}

result<void> control::add_member(const member_binding& mb, time_point now, bool gate_open) {
    for (const auto& m : _cfg.members)
        if (m.name == mb.name || m.port == mb.port)
            return make_error("already-member", fmt::format("'{}' is already a member of LAG '{}'", mb.name, _cfg.lag));
    if (_cfg.members.size() >= dp::max_members)
        return make_error("max-members", fmt::format("LAG '{}': the data plane takes at most {} members", _cfg.lag,
                                                     dp::max_members));
    if (mb.port >= dp::max_ports || mb.port == _cfg.access_port)
        return make_error("members", fmt::format("port '{}': bad DPDK port id {}", mb.name, mb.port));
    if (leaving(mb.port))
        return make_error("port-busy", fmt::format("port '{}' is still leaving the workers; retry", mb.name));
    // The model's rules first, on a copy: a refusal changes nothing.
    model::lag_model trial = _model;
    if (auto r = trial.add_member(_cfg.lag, mb.name); !r)
        return r.err();
    bool up = dpdk::link_up(mb.port);
    bool want = _cfg.static_lag && up;
    bool dist = want && gate_open;
    if (auto r = trial.set_distributable(mb.name, dist); !r)
        return r.err();
    auto ev = _model.add_member(_cfg.lag, mb.name);
    if (!ev)
        return ev.err(); // cannot happen: the copy took it
    apply_events(*ev);
    if (auto e2 = _model.set_distributable(mb.name, dist))
        apply_events(*e2);
    _cfg.members.push_back(mb);
    _link.push_back(up);
    read_speed(_cfg.members.size() - 1, up);
    _collecting.push_back(_cfg.static_lag && up);
    _gate.push_back(gate_open);
    _want_dist.push_back(want);
    (void)dpdk::watch_lsc(mb.port);
    dpdk::log(dpdk::log_type::control, dpdk::log_level::notice, "LAG {}: member {} (DPDK port {}) added, link {}",
              _cfg.lag, mb.name, mb.port, up ? "up" : "down");
    publish(now);
    return ok_v;
}

result<void> control::remove_member(std::string_view name, time_point now) {
    size_t k = 0;
    while (k < _cfg.members.size() && _cfg.members[k].name != name)
        ++k;
    if (k == _cfg.members.size())
        return make_error("not-member", fmt::format("'{}' is not a member of LAG '{}'", name, _cfg.lag));
    auto ev = _model.remove_member(_cfg.lag, name);
    if (!ev)
        return ev.err();
    apply_events(*ev);
    if (auto e2 = _model.set_distributable(name, false)) // standalone now; nothing counts it
        apply_events(*e2);
    if (auto e3 = _model.set_link_speed(name, std::nullopt)) // its next LAG reads it afresh
        apply_events(*e3);
    uint16_t port = _cfg.members[k].port;
    std::vector<uint16_t> renumber(_cfg.members.size());
    for (size_t i = 0; i < renumber.size(); ++i)
        renumber[i] = i < k ? static_cast<uint16_t>(i) : i == k ? model::no_member : static_cast<uint16_t>(i - 1);
    auto erase = [k](auto& v) { v.erase(v.begin() + static_cast<std::ptrdiff_t>(k)); };
    erase(_cfg.members);
    erase(_link);
    erase(_collecting);
    erase(_gate);
    erase(_want_dist);
    dpdk::unwatch_lsc(port);
    _leaving.push_back(port);
    _staged.push_back(dpdk::on_grace([this, port] {
        dpdk::log(dpdk::log_type::control, dpdk::log_level::info, "DPDK port {}: no worker uses it any more", port);
        std::erase(_leaving, port);
        _released.push_back(port);
    }));
    dpdk::log(dpdk::log_type::control, dpdk::log_level::notice, "LAG {}: member {} (DPDK port {}) removed", _cfg.lag,
              name, port);
    publish(now, renumber);
    return ok_v;
}

std::vector<uint16_t> control::take_released() { return std::exchange(_released, {}); }

bool control::leaving(uint16_t port) const noexcept {
    return std::find(_leaving.begin(), _leaving.end(), port) != _leaving.end() ||
           std::find(_released.begin(), _released.end(), port) != _released.end();
}

result<void> control::set_min_links(unsigned n, time_point now) {
    auto ev = _model.set_min_links(_cfg.lag, n);
    if (!ev)
        return ev.err();
    apply_events(*ev);
    publish(now);
    return ok_v;
}

void control::set_hash(dp::hash_policy policy, dp::hash_algo algo, time_point now) {
    if (policy == _cfg.policy && algo == _cfg.algo)
        return;
    _cfg.policy = policy;
    _cfg.algo = algo;
    publish(now);
}

void control::set_max_frame(uint32_t max_frame, time_point now) {
    if (max_frame == _cfg.max_frame)
        return;
    _cfg.max_frame = max_frame;
    publish(now);
}

result<void> control::set_member_state(std::string_view port, bool distributing, bool collecting, time_point now) {
    for (size_t i = 0; i < _cfg.members.size(); ++i) {
        if (_cfg.members[i].name != port)
            continue;
        _want_dist[i] = distributing;
        distributing = distributing && _gate[i];
        const model::port_state* ps = _model.port(port);
        bool same = ps != nullptr && ps->distributable == distributing && _collecting[i] == collecting;
        if (same)
            return ok_v;
        _collecting[i] = collecting;
        auto ev = _model.set_distributable(port, distributing);
        if (!ev)
            return ev.err();
        apply_events(*ev);
        publish(now);
        return ok_v;
    }
    return make_error("members", fmt::format("'{}' is not a member of LAG '{}'", port, _cfg.lag));
}

bool control::set_punt_handler(uint16_t ethertype, punt_handler* h) noexcept {
    for (auto& e : _punt_by_type)
        if (e.second != nullptr && e.first == ethertype) {
            e.second = h;
            return true;
        }
    if (h == nullptr)
        return true;
    for (auto& e : _punt_by_type)
        if (e.second == nullptr) {
            e = {ethertype, h};
            return true;
        }
    return false;
}

result<void> control::set_member_gate(std::string_view port, bool open, time_point now) {
    for (size_t i = 0; i < _cfg.members.size(); ++i) {
        if (_cfg.members[i].name != port)
            continue;
        if (_gate[i] == open)
            return ok_v;
        _gate[i] = open;
        auto ev = _model.set_distributable(port, _want_dist[i] && open);
        if (!ev)
            return ev.err();
        apply_events(*ev);
        publish(now);
        return ok_v;
    }
    return make_error("members", fmt::format("'{}' is not a member of LAG '{}'", port, _cfg.lag));
}

unsigned control::drain_punt(time_point now) {
    unsigned total = 0;
    void* objs[punt_batch];
    for (unsigned b = 0; b < punt_batches_per_poll; ++b) {
        unsigned n = rte_ring_sc_dequeue_burst(_punt.get(), objs, punt_batch, nullptr);
        for (unsigned i = 0; i < n; ++i) {
            auto* m = static_cast<rte_mbuf*>(objs[i]);
            std::span<const uint8_t> f{rte_pktmbuf_mtod(m, const uint8_t*), m->data_len};
            punt_handler* h = _punt_handler;
            if (f.size() >= 14) {
                uint16_t type = load_be16(f.data() + 12);
                for (const auto& e : _punt_by_type)
                    if (e.second != nullptr && e.first == type)
                        h = e.second;
            }
            if (h != nullptr)
                h->on_frame(m->port, f, now);
            rte_pktmbuf_free(m);
        }
        total += n;
        if (n < punt_batch)
            break;
    }
    _counters.punted_frames += total;
    return total;
}

unsigned control::poll(time_point now) {
    ++_counters.polls;
    send_pending();
    unsigned work = poll_links(now);
    if (_cfg.io != nullptr) // control frames rte_flow steered to a queue of their own
        work += _cfg.io->poll_steered(*_current, _punt.get());
    work += drain_punt(now);
    reclaim();
    return work;
}

dp::port_totals control::totals(uint16_t port) const noexcept {
    dp::port_totals t;
    if (port >= dp::max_ports)
        return t;
    for (const auto& w : _workers)
        t.add(w->counters().ports[port]);
    // Control's own block: its MACsec outcomes and drops count with the
    // workers'; what it sent goes to control_tx_* (tx_packets stays data).
    t.add_control(_own.ports[port]);
    if (const dp::ctl_tx_ring* r = _cfg.io != nullptr ? _cfg.io->ctl_ring(port) : nullptr; r != nullptr) {
        const auto c = r->totals();
        t.control_ring_enqueued = c.enqueued;
        t.control_ring_sent = c.sent;
        t.control_ring_full = c.ring_full;
        t.control_ring_tx_full = c.tx_full;
    }
    return t;
}

bool control::post(unsigned worker, const dp::control_message& m) noexcept {
    if (worker >= _rings.size())
        return false;
    return rte_ring_sp_enqueue_elem(_rings[worker].get(), const_cast<dp::control_message*>(&m), sizeof m) == 0;
}

void control::shutdown() {
    if (_punt != nullptr) {
        void* m;
        while (rte_ring_sc_dequeue(_punt.get(), &m) == 0)
            rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
    for (auto& r : _rings) {
        dp::control_message msg;
        while (rte_ring_sc_dequeue_elem(r.get(), &msg, sizeof msg) == 0) {
        }
    }
    for (const auto& mb : _cfg.members)
        dpdk::unwatch_lsc(mb.port);
    _workers.clear(); // each takes itself off the QSBR variable: no reader is left
    if (_grace != nullptr) {
        for (auto& item : std::exchange(_staged, {}))
            _grace->defer(std::move(item));
        _grace->reclaim();
    }
}

} // namespace lag::ctl
