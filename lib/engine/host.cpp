#include "engine/host.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/bytes.hpp"
#include "lag/buckets.hpp"

namespace lag::engine {

struct host::lacp_lag {
    explicit lacp_lag(const lacp::group_config& c) : group(c) {}
    lacp::group group;
    std::vector<std::string> ports; // by group index (a port that left keeps its index)
    std::vector<bool> active;
    std::vector<bool> link; // what the group was last told
    lacp::actions out;
};

host::host(port_io& io, host_config cfg, const model::profile& p) : _io(io), _cfg(std::move(cfg)), _hm(p) {}

host::~host() {
    for (const auto& [name, o] : _open)
        _io.stop(o.id);
}

result<void> host::add_port(const host_port& p) {
    if (_ports.contains(p.name))
        return make_error("duplicate-port", fmt::format("port {} already exists", p.name));
    if (auto ok = _hm.add_port(p.name, p.speed); !ok)
        return ok;
    _ports.emplace(p.name, p);
    return ok_v;
}

result<void> host::open(const std::string& port, bool member, rollback& undo) {
    if (_open.contains(port))
        return ok_v; // a member that moves keeps its device running
    auto it = _ports.find(port);
    if (it == _ports.end())
        return make_error("no-such-port", fmt::format("there is no port {}", port));
    auto id = _io.probe(it->second.device);
    if (!id)
        return make_error(id.err().code, fmt::format("port '{}': {}", port, id.err().message));
    if (auto ok = _io.configure_and_start(*id, member ? _cfg.member : _cfg.access); !ok)
        return make_error(ok.err().code, fmt::format("port '{}': {}", port, ok.err().message));
    _open.emplace(port, open_port{*id, member});
    undo.push([this, port] { close(port); });
    if (auto ok = _io.set_mac(*id, it->second.mac); !ok)
        return make_error(ok.err().code, fmt::format("port '{}': {}", port, ok.err().message));
    return ok_v;
}

void host::close(const std::string& port) {
    auto it = _open.find(port);
    if (it == _open.end())
        return;
    _io.stop(it->second.id);
    _open.erase(it);
}

const host::lag_key* host::key_of(std::string_view lag) const {
    auto it = _keys.find(lag);
    return it == _keys.end() ? nullptr : &it->second;
}

result<std::optional<mka::participant>> host::participant_for(const std::string& port, const lag_key* key,
                                                              time_point now) const {
    if (key == nullptr)
        return std::optional<mka::participant>{};
    if (_cfg.crypto == nullptr)
        return make_error("no-crypto", "this host has no crypto provider for MKA");
    const host_port& hp = _ports.at(port);
    mka::participant_config pc;
    pc.mac = hp.mac;
    pc.port_id = static_cast<uint16_t>(std::distance(_ports.begin(), _ports.find(port)) + 1);
    auto ckn = from_hex(key->ckn);
    if (!ckn)
        return make_error("ckn", fmt::format("CKN {} is not hex", key->ckn));
    pc.ckn = std::move(*ckn);
    pc.cak = key->cak;
    pc.key_server_priority = _cfg.key_server_priority;
    pc.cipher_suites = {_cfg.suite};
    auto p = mka::participant::create(std::move(pc), *_cfg.crypto, now);
    if (!p)
        return make_error(p.err().code, fmt::format("port '{}': MKA: {}", port, p.err().message));
    return std::optional<mka::participant>(std::move(*p));
}

void host::install(const std::string& port, std::optional<mka::participant>&& p, time_point now) {
    _participants.erase(port);
    if (!p)
        return;
    _participants.emplace(port, std::move(*p));
    _mka_due = now; // its first MKPDU at the next tick
    apply_distributable(port); // under must_encrypt, closed until it secures
}

void host::flush_mka(const std::string& port, mka::actions&& a) {
    auto o = _open.find(port);
    const uint16_t queue = static_cast<uint16_t>(_cfg.member.tx_queues - 1);
    for (const auto* s : a.all<mka::send_mkpdu>()) {
        if (o != _open.end() && _io.send(o->second.id, queue, s->frame))
            ++_counters.frames_out;
        else
            ++_counters.tx_failed;
    }
    if (!a.all<mka::secured_changed>().empty()) { // the must_encrypt gate follows
        apply_distributable(port);
        redistribute();
    }
    // SAs (install, enable, retire): no SecY in the engine yet.
}

void host::attach(const std::string& lag, const std::string& port, time_point now) {
    lacp_lag& l = *_lacp.at(lag);
    auto pos = std::find(l.ports.begin(), l.ports.end(), port);
    size_t i = static_cast<size_t>(pos - l.ports.begin());
    if (pos == l.ports.end()) {
        const host_port& hp = _ports.at(port);
        // Port numbers are unique within the system: the port's place
        // among the host's ports (by name), from 1.
        const auto n = static_cast<uint16_t>(std::distance(_ports.begin(), _ports.find(port)) + 1);
        auto idx = l.group.add_port({.mac = hp.mac, .port_number = n}, now, l.out);
        if (!idx)
            return; // cannot happen: number unique and non-zero
        i = *idx;
        l.ports.push_back(port);
        l.active.push_back(true);
        l.link.push_back(false);
    }
    l.active[i] = true;
    l.link[i] = _io.link(_open.at(port).id).up;
    l.group.set_link(static_cast<uint16_t>(i), l.link[i], now, l.out);
    flush(l, now);
}

void host::detach(const std::string& port, time_point now) {
    for (auto& [lag, lp] : _lacp) {
        lacp_lag& l = *lp;
        for (size_t i = 0; i < l.ports.size(); ++i) {
            if (l.ports[i] != port || !l.active[i])
                continue;
            // Its link down in the group (it stops distributing, the
            // partner times it out), then nothing of it reaches the model.
            l.link[i] = false;
            l.group.set_link(static_cast<uint16_t>(i), false, now, l.out);
            flush(l, now);
            l.active[i] = false;
        }
    }
    (void)_hm.set_distributable(port, false);
    (void)_hm.set_partner(port, std::nullopt);
    _lacp_distributing.erase(port);
    _participants.erase(port); // its old key's session ends
}

bool host::gate_open(const std::string& port) const {
    const auto* p = _hm.model().port(port);
    const lag_key* key = p != nullptr && p->lag ? key_of(*p->lag) : nullptr;
    if (key == nullptr || !key->must_encrypt)
        return true;
    auto s = _participants.find(port);
    return s != _participants.end() && s->second.secured();
}

void host::apply_distributable(const std::string& port) {
    auto l = _lacp_distributing.find(port);
    const bool may = l != _lacp_distributing.end() && l->second && gate_open(port);
    if (const auto* p = _hm.model().port(port); p != nullptr && p->distributable != may)
        (void)_hm.set_distributable(port, may);
}

void host::flush(lacp_lag& l, time_point) {
    for (const auto& a : l.out) {
        if (a.port >= l.ports.size() || !l.active[a.port])
            continue;
        const std::string& name = l.ports[a.port];
        switch (a.kind) {
        case lacp::action_kind::transmit: {
            auto o = _open.find(name);
            const uint16_t queue = static_cast<uint16_t>(_cfg.member.tx_queues - 1);
            if (o != _open.end() && _io.send(o->second.id, queue, a.tx.view()))
                ++_counters.frames_out;
            else
                ++_counters.tx_failed;
            break;
        }
        case lacp::action_kind::distributing:
            _lacp_distributing[name] = a.on;
            apply_distributable(name);
            break;
        case lacp::action_kind::partner: {
            std::optional<model::partner_id> id;
            if (a.partner)
                id = model::partner_id{a.partner->system_priority, a.partner->system, a.partner->key};
            (void)_hm.set_partner(name, id);
            break;
        }
        default: break;
        }
    }
    l.out.clear();
    redistribute();
}

void host::redistribute() {
    for (auto it = _buckets.begin(); it != _buckets.end();)
        it = _hm.model().lag(it->first) == nullptr ? _buckets.erase(it) : std::next(it);
    for (const auto& [name, l] : _hm.model().lags()) {
        std::vector<uint16_t> active;
        for (const auto& m : l.members)
            if (const auto* p = _hm.model().port(m); p != nullptr && p->distributable)
                if (auto o = _open.find(m); o != _open.end())
                    active.push_back(o->second.id);
        auto& table = _buckets[name];
        table = model::rebuild_buckets(table, active);
    }
}

const std::vector<uint16_t>& host::buckets(std::string_view lag) const {
    static const std::vector<uint16_t> none;
    auto it = _buckets.find(lag);
    return it == _buckets.end() ? none : it->second;
}

result<model::events> host::create_lag(const lag_spec& s, time_point now) {
    host_model trial = _hm;
    auto ev = trial.create_lag(s);
    if (!ev)
        return ev.err();
    rollback undo; // the devices started here, stopped again on a refusal
    if (auto ok = open(s.access, false, undo); !ok)
        return ok.err();
    for (const auto& m : s.members)
        if (auto ok = open(m, true, undo); !ok)
            return ok.err();
    // Nothing refuses from here.
    undo.commit();
    _hm = std::move(trial);
    lacp::group_config gc{.mode = lacp::lacp_mode::active,
                          .rate = _cfg.rate,
                          .system_id = _cfg.system,
                          .key = lacp::derive_key(_next_lag_number++, model::speed_mbps(s.speed))};
    _lacp[s.name] = std::make_unique<lacp_lag>(gc);
    for (const auto& m : s.members) {
        detach(m, now); // a member of another LAG leaves its group
        attach(s.name, m, now);
    }
    redistribute();
    return ev;
}

result<model::events> host::delete_lag(std::string_view lag, time_point now) {
    host_model trial = _hm;
    auto ev = trial.delete_lag(lag);
    if (!ev)
        return ev.err();
    const std::vector<std::string> members = _hm.model().lag(lag)->members;
    const std::string access = *_hm.access(lag);
    _hm = std::move(trial);
    for (const auto& m : members) {
        detach(m, now);
        close(m);
    }
    close(access);
    _lacp.erase(_lacp.find(lag));
    if (auto k = _keys.find(lag); k != _keys.end())
        _keys.erase(k); // the CAK wiped
    redistribute();
    return ev;
}

result<model::events> host::add_member(std::string_view lag, std::string_view port, time_point now) {
    host_model trial = _hm;
    auto ev = trial.add_member(lag, port);
    if (!ev)
        return ev.err();
    const std::string p(port);
    // Under this LAG's key, made before anything changes.
    auto session = participant_for(p, key_of(lag), now);
    if (!session)
        return session.err();
    rollback undo;
    if (auto ok = open(p, true, undo); !ok)
        return ok.err();
    undo.commit();
    _hm = std::move(trial);
    detach(p, now); // from the LAG it leaves, if any (its old key's session ends)
    attach(std::string(lag), p, now);
    install(p, std::move(*session), now);
    redistribute();
    return ev;
}

result<model::events> host::remove_member(std::string_view lag, std::string_view port, time_point now) {
    host_model trial = _hm;
    auto ev = trial.remove_member(lag, port);
    if (!ev)
        return ev.err();
    _hm = std::move(trial);
    const std::string p(port);
    detach(p, now);
    close(p); // standalone: stopped
    redistribute();
    return ev;
}

result<model::events> host::set_min_links(std::string_view lag, unsigned n, time_point) {
    return _hm.set_min_links(lag, n);
}

result<model::events> host::set_key(std::string_view lag, std::string ckn_hex, const mka::key_secret& cak,
                                    time_point now, bool must_encrypt) {
    host_model trial = _hm;
    auto ev = trial.associate_key(lag, ckn_hex);
    if (!ev)
        return ev.err();
    const auto& l = *_hm.model().lag(lag);
    if (auto ok = model::check_macsec(_hm.model().rules(), l.speed, _cfg.suite, cak.size(), true); !ok)
        return ok.err();
    // Every member's new session first: all or none.
    lag_key key{ckn_hex, cak, must_encrypt};
    std::vector<std::pair<std::string, std::optional<mka::participant>>> sessions;
    for (const auto& m : l.members) {
        auto p = participant_for(m, &key, now);
        if (!p)
            return p.err();
        sessions.emplace_back(m, std::move(*p));
    }
    _hm = std::move(trial);
    _keys.erase(std::string(lag));
    _keys.emplace(std::string(lag), std::move(key));
    for (auto& [m, p] : sessions)
        install(m, std::move(p), now);
    redistribute();
    return ev;
}

result<model::events> host::unset_key(std::string_view lag, time_point) {
    host_model trial = _hm;
    auto ev = trial.disassociate_key(lag);
    if (!ev)
        return ev.err();
    _hm = std::move(trial);
    _keys.erase(_keys.find(lag));
    for (const auto& m : _hm.model().lag(lag)->members) {
        _participants.erase(m);
        apply_distributable(m); // no gate any more
    }
    redistribute();
    return ev;
}

void host::on_frame(uint16_t dev, byte_view frame, time_point now) {
    ++_counters.frames_in;
    const std::string* port = port_of(dev);
    constexpr size_t ethertype_at = 12;
    if (frame.size() >= ethertype_at + 2 &&
        (frame[ethertype_at] << 8 | frame[ethertype_at + 1]) == mka::eapol_ethertype) {
        auto p = port != nullptr ? _participants.find(*port) : _participants.end();
        if (p == _participants.end()) {
            ++_counters.mkpdus_dropped;
            return;
        }
        auto a = p->second.on_mkpdu(frame, now);
        if (a.dropped)
            ++_counters.mkpdus_dropped;
        flush_mka(p->first, std::move(a));
        return;
    }
    if (port != nullptr)
        for (auto& [lag, lp] : _lacp) {
            lacp_lag& l = *lp;
            for (size_t i = 0; i < l.ports.size(); ++i)
                if (l.ports[i] == *port && l.active[i]) {
                    if (l.group.on_frame(static_cast<uint16_t>(i), frame, now, l.out))
                        ++_counters.frames_dropped;
                    flush(l, now);
                    return;
                }
        }
    ++_counters.frames_dropped; // not a member's
}

void host::tick(time_point now) {
    if (_mka_due && now >= *_mka_due) {
        for (auto& [name, p] : _participants)
            flush_mka(name, p.tick(now));
        _mka_due = _participants.empty() ? std::nullopt : std::optional<time_point>(now + mka_tick);
    }
    for (auto& [lag, lp] : _lacp) {
        lacp_lag& l = *lp;
        for (size_t i = 0; i < l.ports.size(); ++i) {
            if (!l.active[i])
                continue;
            const bool up = _io.link(_open.at(l.ports[i]).id).up;
            if (up != l.link[i]) {
                l.link[i] = up;
                l.group.set_link(static_cast<uint16_t>(i), up, now, l.out);
            }
        }
        l.group.tick(now, l.out);
        flush(l, now);
    }
}

std::optional<time_point> host::next_deadline() const {
    std::optional<time_point> next = _participants.empty() ? std::nullopt : _mka_due;
    for (const auto& [lag, l] : _lacp)
        if (auto t = l->group.next_deadline(); t && (!next || *t < *next))
            next = t;
    return next;
}

std::optional<uint16_t> host::device(std::string_view port) const {
    auto it = _open.find(port);
    return it == _open.end() ? std::nullopt : std::optional<uint16_t>(it->second.id);
}

const std::string* host::port_of(uint16_t dev) const {
    for (const auto& [name, o] : _open)
        if (o.id == dev)
            return &name;
    return nullptr;
}

bool host::distributing(std::string_view port) const {
    for (const auto& [lag, l] : _lacp)
        for (size_t i = 0; i < l->ports.size(); ++i)
            if (l->ports[i] == port && l->active[i])
                return l->group.status(static_cast<uint16_t>(i)).distributing;
    return false;
}

std::optional<uint16_t> host::lacp_key(std::string_view port) const {
    for (const auto& [lag, l] : _lacp)
        for (size_t i = 0; i < l->ports.size(); ++i)
            if (l->ports[i] == port && l->active[i])
                return l->group.status(static_cast<uint16_t>(i)).actor.key;
    return std::nullopt;
}

std::optional<std::string> host::mka_ckn(std::string_view port) const {
    auto it = _participants.find(port);
    if (it == _participants.end())
        return std::nullopt;
    return to_hex(it->second.ckn().view());
}

bool host::mka_secured(std::string_view port) const {
    auto it = _participants.find(port);
    return it != _participants.end() && it->second.secured();
}

result<void> host::check_invariants() const {
    if (auto ok = _hm.check_invariants(); !ok)
        return ok;
    auto broken = [](std::string m) { return make_error("host", std::move(m)); };
    for (const auto& [name, hp] : _ports) {
        const port_role role = _hm.role(name);
        auto o = _open.find(name);
        if ((role != port_role::standalone) != (o != _open.end()))
            return broken(fmt::format("port {} ({}) is {}", name, to_string(role),
                                      o == _open.end() ? "not open" : "open"));
        if (o == _open.end())
            continue;
        if (!_io.started(o->second.id))
            return broken(fmt::format("port {} ({}) has its device stopped", name, to_string(role)));
        if (o->second.member != (role == port_role::member))
            return broken(fmt::format("port {} ({}) was opened as {}", name, to_string(role),
                                      o->second.member ? "a member" : "an access port"));
        // In exactly one LACP group, as a member of that LAG.
        unsigned groups = 0;
        for (const auto& [lag, l] : _lacp)
            for (size_t i = 0; i < l->ports.size(); ++i)
                if (l->ports[i] == name && l->active[i]) {
                    ++groups;
                    if (role != port_role::member || _hm.port(name)->lag != lag)
                        return broken(fmt::format("port {} ({}) runs LACP in LAG {}", name, to_string(role), lag));
                }
        if (groups != (role == port_role::member ? 1u : 0u))
            return broken(fmt::format("port {} ({}) runs LACP in {} groups", name, to_string(role), groups));
    }
    // The model's distributable: LACP's verdict through the gate.
    for (const auto& [name, l] : _hm.model().lags())
        for (const auto& m : l.members) {
            auto v = _lacp_distributing.find(m);
            const bool want = v != _lacp_distributing.end() && v->second && gate_open(m);
            if (_hm.model().port(m)->distributable != want)
                return broken(fmt::format("port {} distributable {} in the model, LACP and the gate say {}", m,
                                          _hm.model().port(m)->distributable, want));
        }
    // An MKA session exactly on each member of a keyed LAG, under its key.
    for (const auto& [name, hp] : _ports) {
        const auto* p = _hm.model().port(name);
        const lag_key* key = _hm.role(name) == port_role::member ? key_of(*p->lag) : nullptr;
        auto s = _participants.find(name);
        if ((key != nullptr) != (s != _participants.end()))
            return broken(fmt::format("port {} {} an MKA session", name,
                                      key != nullptr ? "has no" : "runs"));
        if (key != nullptr && from_hex(key->ckn) != bytes(s->second.ckn().view().begin(), s->second.ckn().view().end()))
            return broken(fmt::format("port {} runs MKA under another LAG's key", name));
        if (key != nullptr && p->key != key->ckn)
            return broken(fmt::format("port {}: the model has key {} for it, MKA runs {}", name,
                                      p->key.value_or("none"), key->ckn));
    }
    for (const auto& [lag, l] : _lacp)
        if (_hm.model().lag(lag) == nullptr)
            return broken(fmt::format("LACP group of no LAG {}", lag));
    for (const auto& [lag, l] : _hm.model().lags())
        if (!_lacp.contains(lag))
            return broken(fmt::format("LAG {} has no LACP group", lag));
    // Each bucket on a distributing member of its LAG (or on none).
    for (const auto& [lag, table] : _buckets)
        for (uint16_t dev : table) {
            if (dev == model::no_member)
                continue;
            const std::string* p = port_of(dev);
            const auto* ps = p != nullptr ? _hm.model().port(*p) : nullptr;
            if (ps == nullptr || ps->lag != lag || !ps->distributable)
                return broken(fmt::format("LAG {}'s buckets name device {} ({}), not one of its distributing members",
                                          lag, dev, p != nullptr ? *p : "no port"));
        }
    return ok_v;
}

} // namespace lag::engine
