#include "lag/model.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

namespace lag::model {

std::string partner_id::to_string() const {
    return fmt::format("{:04x},{},{:04x}", system_priority, system.to_string(), key);
}

std::string_view to_string(event_kind k) {
    switch (k) {
    case event_kind::port_added: return "port-added";
    case event_kind::port_removed: return "port-removed";
    case event_kind::lag_created: return "lag-created";
    case event_kind::lag_deleted: return "lag-deleted";
    case event_kind::member_added: return "member-added";
    case event_kind::member_removed: return "member-removed";
    case event_kind::min_links_changed: return "min-links-changed";
    case event_kind::member_up: return "member-up";
    case event_kind::member_down: return "member-down";
    case event_kind::lag_up: return "lag-up";
    case event_kind::lag_down: return "lag-down";
    case event_kind::key_associated: return "key-associated";
    case event_kind::key_dropped: return "key-dropped";
    }
    return "?";
}

std::string event::to_string() const {
    std::string s{model::to_string(kind)};
    if (!lag.empty())
        s += " lag=" + lag;
    if (!port.empty())
        s += " port=" + port;
    if (!detail.empty())
        s += " " + detail;
    if (kind == event_kind::min_links_changed)
        s += fmt::format(" min-links={}", value);
    return s;
}

std::string_view to_string(member_status s) {
    switch (s) {
    case member_status::operational: return "operational";
    case member_status::not_distributing: return "not-distributing";
    case member_status::partner_mismatch: return "partner-mismatch";
    case member_status::speed_mismatch: return "speed-mismatch";
    }
    return "?";
}

std::string_view to_string(lag_status s) {
    switch (s) {
    case lag_status::pending: return "pending";
    case lag_status::available: return "available";
    case lag_status::down: return "down";
    }
    return "?";
}

result<void> check_ckn(std::string_view ckn) {
    if (ckn.empty() || ckn.size() > 64 || ckn.size() % 2 != 0)
        return make_error("ckn", "a CKN is 1 to 32 bytes written as 2 to 64 hex digits");
    for (char c : ckn)
        if (!std::isxdigit(static_cast<unsigned char>(c)))
            return make_error("ckn", "a CKN is written in hex digits only");
    return ok_v;
}

namespace {

bool valid_name(std::string_view n) {
    if (n.empty() || n.size() > 32)
        return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
}

error no_such_port(std::string_view p) {
    return make_error("no-such-port", fmt::format("there is no port {}", p));
}
error no_such_lag(std::string_view l) {
    return make_error("no-such-lag", fmt::format("there is no LAG {}", l));
}

} // namespace

// One operation in progress: mutates a copy of the state and collects
// events; the model takes the copy only if the whole operation succeeded.
class txn {
public:
    txn(const profile& p, std::map<std::string, port_state, std::less<>> ports,
        std::map<std::string, lag_state, std::less<>> lags)
        : rules(p), ports(std::move(ports)), lags(std::move(lags)) {}

    const profile& rules;
    std::map<std::string, port_state, std::less<>> ports;
    std::map<std::string, lag_state, std::less<>> lags;
    events ev;

    void emit(event_kind k, std::string_view lag, std::string_view port, std::string detail = {},
              unsigned value = 0) {
        ev.push_back(event{k, std::string(lag), std::string(port), std::move(detail), value});
    }

    // Drops whatever key a port holds.
    void drop_key(port_state& p) {
        if (p.key)
            emit(event_kind::key_dropped, p.lag.value_or(""), p.name, "ckn=" + *p.key);
        p.key.reset();
        p.key_from = key_owner::none;
    }

    // Takes a port out of its LAG (if any), checking that LAG's min-links.
    result<void> detach(port_state& p, std::string_view why) {
        if (!p.lag)
            return ok_v;
        auto& l = lags.find(*p.lag)->second;
        size_t left = l.members.size() - 1;
        if (l.min_links > left)
            return make_error("min-links",
                              fmt::format("{} would leave LAG {} with {} member(s), below its "
                                          "min-links {}; lower min-links first",
                                          why, l.name, left, l.min_links));
        drop_key(p);
        std::erase(l.members, p.name);
        emit(event_kind::member_removed, l.name, p.name);
        p.lag.reset();
        return ok_v;
    }

    // Checks that port p may join LAG l (speed, member limit).
    result<void> may_join(const lag_state& l, const port_state& p, size_t members_after) const {
        if (p.speed != l.speed)
            return make_error("uniform-speed",
                              fmt::format("port {} is {} but LAG {} is {}; all members of a LAG "
                                          "have the same speed",
                                          p.name, to_string(p.speed), l.name, to_string(l.speed)));
        unsigned max = rules.max_members[index(l.speed)];
        if (members_after > max)
            return make_error("max-members",
                              fmt::format("LAG {} would have {} members; profile {} allows at "
                                          "most {} at {}",
                                          l.name, members_after, rules.name, max,
                                          to_string(l.speed)));
        return ok_v;
    }

    void attach(lag_state& l, port_state& p) {
        drop_key(p);
        p.lag = l.name;
        l.members.push_back(p.name);
        emit(event_kind::member_added, l.name, p.name);
        if (l.key) {
            p.key = l.key;
            p.key_from = key_owner::lag;
            emit(event_kind::key_associated, l.name, p.name, "ckn=" + *l.key);
        }
    }
};

namespace {

using port_map = std::map<std::string, port_state, std::less<>>;
using lag_map = std::map<std::string, lag_state, std::less<>>;

member_status status_in(const port_map& ports, const lag_map& lags, const port_state& p) {
    if (!p.lag)
        return member_status::not_distributing;
    const auto& l = lags.find(*p.lag)->second;
    if (p.link_mbps && *p.link_mbps != speed_mbps(l.speed))
        return member_status::speed_mismatch;
    if (!p.distributable)
        return member_status::not_distributing;
    if (l.partner && p.partner && *p.partner != *l.partner)
        return member_status::partner_mismatch;
    (void)ports;
    return member_status::operational;
}

// Recomputes each LAG's partner endpoint and up state from its members.
void settle(port_map& ports, lag_map& lags) {
    for (auto& [name, l] : lags) {
        // The partner shared by most members; on a tie the current one, then
        // the one of the earliest member.
        std::vector<std::pair<partner_id, unsigned>> counts;
        for (const auto& m : l.members) {
            const auto& p = ports.find(m)->second;
            if (!p.partner)
                continue;
            auto it = std::find_if(counts.begin(), counts.end(),
                                   [&](auto& c) { return c.first == *p.partner; });
            if (it == counts.end())
                counts.emplace_back(*p.partner, 1);
            else
                ++it->second;
        }
        std::optional<partner_id> best;
        unsigned best_n = 0;
        for (auto& [pid, n] : counts) {
            bool better = n > best_n || (n == best_n && l.partner && pid == *l.partner);
            if (better) {
                best = pid;
                best_n = n;
            }
        }
        l.partner = best;
        unsigned op = 0;
        for (const auto& m : l.members)
            if (status_in(ports, lags, ports.find(m)->second) == member_status::operational)
                ++op;
        l.up = !l.members.empty() && op >= std::max(1u, l.min_links);
    }
}

} // namespace

namespace {
// Emits member up/down and LAG up/down for what changed between two states.
void diff(const port_map& old_ports, const lag_map& old_lags, const port_map& ports,
          const lag_map& lags, events& ev) {
    for (const auto& [name, p] : ports) {
        if (!p.lag)
            continue;
        bool now = status_in(ports, lags, p) == member_status::operational;
        bool before = false;
        if (auto it = old_ports.find(name); it != old_ports.end() && it->second.lag == p.lag)
            before = status_in(old_ports, old_lags, it->second) == member_status::operational;
        if (now != before)
            ev.push_back({now ? event_kind::member_up : event_kind::member_down, *p.lag, name});
    }
    for (const auto& [name, l] : old_lags)
        if (l.up && (!lags.contains(name) || !lags.find(name)->second.up))
            ev.push_back({event_kind::lag_down, name, ""});
    for (const auto& [name, l] : lags) {
        auto it = old_lags.find(name);
        if (l.up && (it == old_lags.end() || !it->second.up))
            ev.push_back({event_kind::lag_up, name, ""});
    }
}
} // namespace

#define LAG_MODEL_COMMIT(t)                                                                        \
    do {                                                                                           \
        settle((t).ports, (t).lags);                                                               \
        diff(_st.ports, _st.lags, (t).ports, (t).lags, (t).ev);                                    \
        _st.ports = std::move((t).ports);                                                          \
        _st.lags = std::move((t).lags);                                                            \
        return std::move((t).ev);                                                                  \
    } while (0)

result<events> lag_model::add_port(std::string_view name, port_speed speed) {
    if (!valid_name(name))
        return make_error("name", fmt::format("'{}' is not a valid port name (1 to 32 of "
                                              "letters, digits, '-', '_', '.')",
                                              name));
    if (_st.ports.contains(name))
        return make_error("duplicate-port", fmt::format("port {} already exists", name));
    if (_profile->max_members[index(speed)] == 0)
        return make_error("speed", fmt::format("profile {} does not allow {} ports",
                                               _profile->name, to_string(speed)));
    txn t{*_profile, _st.ports, _st.lags};
    port_state p;
    p.name = std::string(name);
    p.speed = speed;
    t.ports.emplace(p.name, p);
    t.emit(event_kind::port_added, "", name, std::string(to_string(speed)));
    LAG_MODEL_COMMIT(t);
}

result<events> lag_model::remove_port(std::string_view name) {
    auto it = _st.ports.find(name);
    if (it == _st.ports.end())
        return no_such_port(name);
    if (it->second.lag)
        return make_error("port-in-lag", fmt::format("port {} is a member of LAG {}; remove it "
                                                     "from the LAG first",
                                                     name, *it->second.lag));
    txn t{*_profile, _st.ports, _st.lags};
    t.drop_key(t.ports.find(name)->second);
    t.ports.erase(t.ports.find(name));
    t.emit(event_kind::port_removed, "", name);
    LAG_MODEL_COMMIT(t);
}

result<events> lag_model::set_port_key(std::string_view port, std::optional<std::string> ckn) {
    auto it = _st.ports.find(port);
    if (it == _st.ports.end())
        return no_such_port(port);
    if (it->second.lag)
        return make_error("member-key", fmt::format("port {} is a member of LAG {} and uses the "
                                                    "LAG's key",
                                                    port, *it->second.lag));
    if (ckn)
        if (auto c = check_ckn(*ckn); !c)
            return c.err();
    txn t{*_profile, _st.ports, _st.lags};
    auto& p = t.ports.find(port)->second;
    t.drop_key(p);
    if (ckn) {
        p.key = *ckn;
        p.key_from = key_owner::port;
        t.emit(event_kind::key_associated, "", port, "ckn=" + *ckn);
    }
    LAG_MODEL_COMMIT(t);
}

result<events> lag_model::create_lag(const lag_create& c) {
    if (!valid_name(c.name))
        return make_error("name", fmt::format("'{}' is not a valid LAG name (1 to 32 of letters, "
                                              "digits, '-', '_', '.')",
                                              c.name));
    if (_st.lags.contains(c.name))
        return make_error("duplicate-lag", fmt::format("LAG {} already exists", c.name));
    if (_profile->max_members[index(c.speed)] == 0)
        return make_error("speed", fmt::format("profile {} does not allow {} LAGs",
                                               _profile->name, to_string(c.speed)));
    if (c.key)
        if (auto k = check_ckn(*c.key); !k)
            return k.err();
    if (c.min_links > c.members.size())
        return make_error("min-links", fmt::format("min-links {} is more than the {} member(s) "
                                                   "of LAG {}",
                                                   c.min_links, c.members.size(), c.name));
    for (size_t i = 0; i < c.members.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            if (c.members[i] == c.members[j])
                return make_error("duplicate-member",
                                  fmt::format("port {} is listed twice", c.members[i]));

    txn t{*_profile, _st.ports, _st.lags};
    lag_state l;
    l.name = c.name;
    l.speed = c.speed;
    l.min_links = c.min_links;
    l.key = c.key;
    t.lags.emplace(l.name, l);
    t.emit(event_kind::lag_created, c.name, "", std::string(to_string(c.speed)), c.min_links);
    size_t n = 0;
    for (const auto& m : c.members) {
        auto pit = t.ports.find(m);
        if (pit == t.ports.end())
            return no_such_port(m);
        auto& p = pit->second;
        auto& nl = t.lags.find(c.name)->second;
        if (auto ok = t.may_join(nl, p, ++n); !ok)
            return ok.err();
        if (auto ok = t.detach(p, fmt::format("moving port {} to LAG {}", m, c.name)); !ok)
            return ok.err();
        t.attach(nl, p);
    }
    LAG_MODEL_COMMIT(t);
}

result<events> lag_model::delete_lag(std::string_view name) {
    if (!_st.lags.contains(name))
        return no_such_lag(name);
    txn t{*_profile, _st.ports, _st.lags};
    auto& l = t.lags.find(name)->second;
    for (const auto& m : l.members) {
        auto& p = t.ports.find(m)->second;
        t.drop_key(p);
        p.lag.reset();
        t.emit(event_kind::member_removed, name, m);
    }
    l.members.clear();
    t.lags.erase(t.lags.find(name));
    t.emit(event_kind::lag_deleted, name, "");
    LAG_MODEL_COMMIT(t);
}

result<events> lag_model::add_member(std::string_view lag_name, std::string_view port_name) {
    if (!_st.lags.contains(lag_name))
        return no_such_lag(lag_name);
    if (!_st.ports.contains(port_name))
        return no_such_port(port_name);
    txn t{*_profile, _st.ports, _st.lags};
    auto& l = t.lags.find(lag_name)->second;
    auto& p = t.ports.find(port_name)->second;
    if (p.lag && *p.lag == lag_name)
        return make_error("already-member",
                          fmt::format("port {} is already a member of LAG {}", port_name, lag_name));
    if (auto ok = t.may_join(l, p, l.members.size() + 1); !ok)
        return ok.err();
    if (auto ok = t.detach(p, fmt::format("moving port {} to LAG {}", port_name, lag_name)); !ok)
        return ok.err();
    t.attach(l, p);
    LAG_MODEL_COMMIT(t);
}

result<events> lag_model::remove_member(std::string_view lag_name, std::string_view port_name) {
    if (!_st.lags.contains(lag_name))
        return no_such_lag(lag_name);
    auto pit = _st.ports.find(port_name);
    if (pit == _st.ports.end())
        return no_such_port(port_name);
    if (!pit->second.lag || *pit->second.lag != lag_name)
        return make_error("not-member",
                          fmt::format("port {} is not a member of LAG {}", port_name, lag_name));
    txn t{*_profile, _st.ports, _st.lags};
    if (auto ok = t.detach(t.ports.find(port_name)->second,
                           fmt::format("removing port {}", port_name));
        !ok)
        return ok.err();
    LAG_MODEL_COMMIT(t);
}

result<events> lag_model::set_min_links(std::string_view lag_name, unsigned n) {
    auto it = _st.lags.find(lag_name);
    if (it == _st.lags.end())
        return no_such_lag(lag_name);
    if (n > it->second.members.size())
        return make_error("min-links", fmt::format("min-links {} is more than the {} member(s) "
                                                   "of LAG {}",
                                                   n, it->second.members.size(), lag_name));
    txn t{*_profile, _st.ports, _st.lags};
    auto& l = t.lags.find(lag_name)->second;
    if (l.min_links != n) {
        l.min_links = n;
        t.emit(event_kind::min_links_changed, lag_name, "", {}, n);
    }
    LAG_MODEL_COMMIT(t);
}

result<events> lag_model::associate_key(std::string_view lag_name, std::string ckn) {
    if (!_st.lags.contains(lag_name))
        return no_such_lag(lag_name);
    if (auto k = check_ckn(ckn); !k)
        return k.err();
    txn t{*_profile, _st.ports, _st.lags};
    auto& l = t.lags.find(lag_name)->second;
    // At most one key per LAG: a new one replaces the old on every member.
    if (l.key)
        t.emit(event_kind::key_dropped, lag_name, "", "ckn=" + *l.key);
    l.key = ckn;
    t.emit(event_kind::key_associated, lag_name, "", "ckn=" + ckn);
    for (const auto& m : l.members) {
        auto& p = t.ports.find(m)->second;
        t.drop_key(p);
        p.key = ckn;
        p.key_from = key_owner::lag;
        t.emit(event_kind::key_associated, lag_name, m, "ckn=" + ckn);
    }
    LAG_MODEL_COMMIT(t);
}

result<events> lag_model::disassociate_key(std::string_view lag_name) {
    auto it = _st.lags.find(lag_name);
    if (it == _st.lags.end())
        return no_such_lag(lag_name);
    if (!it->second.key)
        return make_error("no-key", fmt::format("LAG {} has no key", lag_name));
    txn t{*_profile, _st.ports, _st.lags};
    auto& l = t.lags.find(lag_name)->second;
    for (const auto& m : l.members)
        t.drop_key(t.ports.find(m)->second);
    t.emit(event_kind::key_dropped, lag_name, "", "ckn=" + *l.key);
    l.key.reset();
    LAG_MODEL_COMMIT(t);
}

result<events> lag_model::set_distributable(std::string_view port_name, bool may) {
    if (!_st.ports.contains(port_name))
        return no_such_port(port_name);
    txn t{*_profile, _st.ports, _st.lags};
    t.ports.find(port_name)->second.distributable = may;
    LAG_MODEL_COMMIT(t);
}

result<events> lag_model::set_partner(std::string_view port_name, std::optional<partner_id> partner) {
    if (!_st.ports.contains(port_name))
        return no_such_port(port_name);
    txn t{*_profile, _st.ports, _st.lags};
    t.ports.find(port_name)->second.partner = partner;
    LAG_MODEL_COMMIT(t);
}

result<events> lag_model::set_link_speed(std::string_view port_name, std::optional<uint32_t> mbps) {
    if (!_st.ports.contains(port_name))
        return no_such_port(port_name);
    txn t{*_profile, _st.ports, _st.lags};
    t.ports.find(port_name)->second.link_mbps = mbps;
    LAG_MODEL_COMMIT(t);
}

#undef LAG_MODEL_COMMIT

const port_state* lag_model::port(std::string_view name) const {
    auto it = _st.ports.find(name);
    return it == _st.ports.end() ? nullptr : &it->second;
}

const lag_state* lag_model::lag(std::string_view name) const {
    auto it = _st.lags.find(name);
    return it == _st.lags.end() ? nullptr : &it->second;
}

member_status lag_model::status_of(std::string_view port_name) const {
    auto it = _st.ports.find(port_name);
    if (it == _st.ports.end())
        return member_status::not_distributing;
    return status_in(_st.ports, _st.lags, it->second);
}

unsigned lag_model::operational_members(std::string_view lag_name) const {
    auto it = _st.lags.find(lag_name);
    if (it == _st.lags.end())
        return 0;
    unsigned n = 0;
    for (const auto& m : it->second.members)
        if (status_of(m) == member_status::operational)
            ++n;
    return n;
}

result<void> lag_model::check_invariants() const {
    for (const auto& [name, l] : _st.lags) {
        if (l.members.size() > _profile->max_members[index(l.speed)])
            return make_error("max-members", "LAG " + name + " has too many members");
        if (l.min_links > l.members.size())
            return make_error("min-links", "LAG " + name + " min-links above member count");
        unsigned op = 0;
        for (const auto& m : l.members) {
            auto pit = _st.ports.find(m);
            if (pit == _st.ports.end())
                return make_error("dangling", "LAG " + name + " lists unknown port " + m);
            const auto& p = pit->second;
            if (p.lag != name)
                return make_error("membership", "port " + m + " does not point back to " + name);
            if (p.speed != l.speed)
                return make_error("uniform-speed", "port " + m + " speed differs in " + name);
            if (p.key != l.key || (p.key && p.key_from != key_owner::lag))
                return make_error("member-key", "port " + m + " does not hold LAG key of " + name);
            if (status_of(m) == member_status::operational)
                ++op;
        }
        bool up = !l.members.empty() && op >= std::max(1u, l.min_links);
        if (up != l.up)
            return make_error("operational", "LAG " + name + " up state disagrees with min-links");
    }
    for (const auto& [name, p] : _st.ports) {
        if (p.lag) {
            auto lit = _st.lags.find(*p.lag);
            if (lit == _st.lags.end())
                return make_error("dangling", "port " + name + " in unknown LAG");
            const auto& ms = lit->second.members;
            if (std::count(ms.begin(), ms.end(), name) != 1)
                return make_error("membership", "port " + name + " listed " +
                                                    std::to_string(std::count(ms.begin(), ms.end(), name)) +
                                                    " times in its LAG");
        } else if (p.key && p.key_from != key_owner::port) {
            return make_error("member-key", "standalone port " + name + " holds a LAG key");
        }
    }
    return ok_v;
}

} // namespace lag::model
