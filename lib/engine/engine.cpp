#include "engine/engine.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace lag::engine {

namespace {
error no_such_port(std::string_view p) { return make_error("no-such-port", fmt::format("there is no port {}", p)); }
error no_such_lag(std::string_view l) { return make_error("no-such-lag", fmt::format("there is no LAG {}", l)); }

// Every operation: on a copy, then committed. A refusal leaves `live` as it was.
template <typename Op>
result<model::events> staged(host_model& live, Op op) {
    host_model trial = live;
    auto ev = op(trial);
    if (!ev)
        return ev.err();
    live = std::move(trial);
    return ev;
}
} // namespace

host_model::host_model(const model::lag_model& m, std::map<std::string, std::string, std::less<>> access)
    : _model(m), _access(std::move(access)) {}

result<void> host_model::add_port(std::string_view name, model::port_speed speed) {
    if (auto ev = _model.add_port(name, speed); !ev)
        return ev.err();
    return ok_v;
}

const std::string* host_model::access_of(std::string_view port) const {
    for (const auto& [lag, a] : _access)
        if (a == port)
            return &lag;
    return nullptr;
}

const std::string* host_model::access(std::string_view lag) const {
    auto it = _access.find(lag);
    return it == _access.end() ? nullptr : &it->second;
}

result<void> host_model::may_be_member(std::string_view port) const {
    if (_model.port(port) == nullptr)
        return no_such_port(port);
    if (const auto* a = access_of(port))
        return make_error("access-port", fmt::format("'{}' is LAG {}'s access port, not a member", port, *a));
    return ok_v;
}

result<model::events> host_model::create_lag(const lag_spec& s) {
    return staged(*this, [&](host_model& t) -> result<model::events> {
        if (t._model.lag(s.name) != nullptr)
            return make_error("duplicate-lag", fmt::format("LAG {} already exists", s.name));
        if (t._model.port(s.access) == nullptr)
            return no_such_port(s.access);
        if (const auto* a = t.access_of(s.access))
            return make_error("access-port", fmt::format("'{}' is LAG {}'s access port", s.access, *a));
        if (const auto* p = t._model.port(s.access); p->lag)
            return make_error("access-port", fmt::format("'{}' is a member of LAG {}, not free to be an access port",
                                                         s.access, *p->lag));
        if (s.members.empty())
            return make_error("membership", "a LAG needs at least one member: create lag NAME speed S members P,...");
        for (const auto& m : s.members) {
            if (m == s.access)
                return make_error("access-port", fmt::format("'{}' is the access port, not a member", m));
            if (auto ok = t.may_be_member(m); !ok)
                return ok.err();
        }
        // The model moves members of other LAGs (their min-links, counted together).
        auto ev = t._model.create_lag(
            {.name = s.name, .speed = s.speed, .members = s.members, .min_links = s.min_links, .key = std::nullopt});
        if (!ev)
            return ev.err();
        t._access.emplace(s.name, s.access);
        return ev;
    });
}

result<model::events> host_model::delete_lag(std::string_view lag) {
    return staged(*this, [&](host_model& t) -> result<model::events> {
        if (t._model.lag(lag) == nullptr)
            return no_such_lag(lag);
        auto ev = t._model.delete_lag(lag);
        if (!ev)
            return ev.err();
        t._access.erase(t._access.find(lag));
        return ev;
    });
}

result<model::events> host_model::add_member(std::string_view lag, std::string_view port) {
    return staged(*this, [&](host_model& t) -> result<model::events> {
        if (t._model.lag(lag) == nullptr)
            return no_such_lag(lag);
        if (auto ok = t.may_be_member(port); !ok)
            return ok.err();
        return t._model.add_member(lag, port); // the move: min-links of the LAG it leaves
    });
}

result<model::events> host_model::remove_member(std::string_view lag, std::string_view port) {
    return staged(*this, [&](host_model& t) -> result<model::events> {
        if (t._model.lag(lag) == nullptr)
            return no_such_lag(lag);
        return t._model.remove_member(lag, port);
    });
}

result<model::events> host_model::set_min_links(std::string_view lag, unsigned n) {
    return staged(*this, [&](host_model& t) { return t._model.set_min_links(lag, n); });
}

result<model::events> host_model::associate_key(std::string_view lag, std::string ckn) {
    return _model.associate_key(lag, std::move(ckn));
}

result<model::events> host_model::disassociate_key(std::string_view lag) { return _model.disassociate_key(lag); }

result<model::events> host_model::set_distributable(std::string_view port, bool may) {
    return _model.set_distributable(port, may);
}

result<model::events> host_model::set_partner(std::string_view port, std::optional<model::partner_id> partner) {
    return _model.set_partner(port, partner);
}

std::optional<port_record> host_model::port(std::string_view name) const {
    // Made on demand from the model and the access map (one source of
    // truth; a stored role would be a second one).
    const auto* p = _model.port(name);
    if (p == nullptr)
        return std::nullopt;
    port_record r{.name = p->name};
    if (const auto* a = access_of(name)) {
        r.role = port_role::access;
        r.lag = *a;
    } else if (p->lag) {
        r.role = port_role::member;
        r.lag = *p->lag;
    }
    return r;
}

port_role host_model::role(std::string_view name) const {
    auto r = port(name);
    return r ? r->role : port_role::standalone;
}

std::vector<port_record> host_model::ports() const {
    std::vector<port_record> v;
    for (const auto& [name, p] : _model.ports())
        v.push_back(*port(name));
    return v;
}

result<void> host_model::check_invariants() const {
    if (auto ok = _model.check_invariants(); !ok)
        return ok;
    for (const auto& [lag, a] : _access) {
        if (_model.lag(lag) == nullptr)
            return make_error("dangling", fmt::format("access port {} of unknown LAG {}", a, lag));
        const auto* p = _model.port(a);
        if (p == nullptr)
            return make_error("dangling", fmt::format("LAG {}'s access port {} is no port", lag, a));
        if (p->lag)
            return make_error("roles", fmt::format("port {} is LAG {}'s access port and a member of {}", a, lag,
                                                   *p->lag));
        for (const auto& [other, b] : _access)
            if (other != lag && b == a)
                return make_error("roles", fmt::format("port {} is the access port of {} and {}", a, lag, other));
    }
    for (const auto& [name, l] : _model.lags())
        if (!_access.contains(name))
            return make_error("roles", fmt::format("LAG {} has no access port", name));
    for (const auto& [name, p] : _model.ports()) {
        unsigned roles = (access_of(name) != nullptr ? 1u : 0u) + (p.lag ? 1u : 0u);
        if (roles > 1)
            return make_error("roles", fmt::format("port {} has {} roles", name, roles));
    }
    return ok_v;
}

} // namespace lag::engine
