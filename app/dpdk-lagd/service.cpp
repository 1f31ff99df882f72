#include "service.hpp"

#include "dpdk/dpdk.hpp"
#include "prometheus.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

namespace lag::lagd {

using nlohmann::json;

namespace {

sock::reply fail(const error& e) { return {1, fmt::format("error: {} [rule: {}]\n", e.message, e.code)}; }
sock::reply fail(std::string_view code, std::string_view msg) {
    return {1, fmt::format("error: {} [rule: {}]\n", msg, code)};
}

std::string hex(std::span<const uint8_t> b) {
    std::string s;
    for (auto x : b)
        s += fmt::format("{:02x}", x);
    return s;
}

// A LAG's key as `show lag` names it: null (no MACsec), {"mode": "static"}
// (per-member keys from a key file), or {"mode": "mka", "ckn": HEX, "keys":
// [{"ckn", "start"}...] (the chain's other keys), "fallback_ckn"}.
json lag_key(const lag_config& lc) {
    if (!lc.macsec.enabled)
        return nullptr;
    if (lc.macsec.mode == macsec_mode::mka) {
        json keys = json::array();
        for (const auto& k : lc.macsec.keys)
            keys.push_back({{"ckn", hex(k.ckn)}, {"start", k.start ? format_rfc3339(*k.start) : std::string()}});
        json j = {{"mode", "mka"}, {"ckn", hex(lc.macsec.ckn)}, {"keys", std::move(keys)}};
        if (lc.macsec.start)
            j["start"] = format_rfc3339(*lc.macsec.start);
        if (!lc.macsec.fallback_ckn.empty())
            j["fallback_ckn"] = hex(lc.macsec.fallback_ckn);
        return j;
    }
    return {{"mode", "static"}};
}

json totals_json(const dp::port_totals& t) {
    json drops = json::object();
    for (size_t i = 0; i < dp::drop_reason_count; ++i)
        drops[std::string(dp::to_string(static_cast<dp::drop_reason>(i)))] = t.drops[i];
    return {{"rx_packets", t.rx_packets}, {"rx_bytes", t.rx_bytes},   {"tx_packets", t.tx_packets},
            {"tx_bytes", t.tx_bytes},     {"punted", t.punted},       {"drops", drops}};
}

} // namespace

service::service(daemon_config& cfg, model::lag_model& model, host& h, std::string config_path)
    : _cfg(cfg), _model(model), _host(h), _config_path(std::move(config_path)) {}

std::optional<port_info> service::find_port(std::string_view name) const {
    for (auto& p : _host.ports())
        if (p.name == name)
            return p;
    return std::nullopt;
}

dp::port_totals service::totals(const port_info& p) const {
    auto* c = _host.control(p.lag);
    if (c == nullptr)
        return {};
    auto it = _baseline.find(p.name);
    return it == _baseline.end() ? c->totals(p.id) : c->totals(p.id).since(it->second);
}

sock::reply service::changed() {
    if (_autosave && !_config_path.empty()) {
        if (auto r = save_config(); r.status != 0)
            return {1, "changed, but autosave failed: " + r.body};
    }
    return {0, "ok\n"};
}

sock::reply service::execute(std::string_view line, time_point now) {
    auto r = run(line, now);
    // The line as typed, except a MACsec key command (a CKN and a key path:
    // not secret, but kept out of logs all the same).
    std::string_view shown = line.find("macsec ckn") != std::string_view::npos ? "set lag ... macsec ckn ..." : line;
    while (!shown.empty() && (shown.back() == '\n' || shown.back() == '\r'))
        shown.remove_suffix(1);
    bool show = shown.starts_with("show") || shown.starts_with("help");
    dpdk::log(dpdk::log_type::cli, r.status == 0 && show ? dpdk::log_level::debug : dpdk::log_level::info,
              "'{}': {}", shown, r.status == 0 ? "ok" : std::string_view(r.body).substr(0, r.body.find('\n')));
    return r;
}

sock::reply service::run(std::string_view line, time_point now) {
    auto parsed = cli::parse_line(line);
    if (!parsed) {
        if (parsed.err().code == "empty")
            return {0, ""};
        return {1, parsed.err().message + "\n"};
    }
    const auto& c = *parsed;
    using cli::command_id;
    const std::string name(c.has("name") ? c.get("name") : "");
    auto check_lag = [&]() -> std::optional<sock::reply> {
        if (lag(name) != nullptr)
            return std::nullopt;
        if (_cfg.lags.empty())
            return fail("no-such-lag", fmt::format("there is no LAG {} (this daemon runs none: create lag)", name));
        std::vector<std::string> names;
        for (const auto& l : _cfg.lags)
            names.push_back(l.name);
        return fail("no-such-lag",
                    fmt::format("there is no LAG {} (this daemon runs {})", name, fmt::join(names, ", ")));
    };
    switch (c.id) {
    case command_id::help: return {0, cli::help_text(c.get("topic"))};
    case command_id::quit: return {0, "bye\n"};
    case command_id::show_lag: return show_lag(c);
    case command_id::show_lacp: return show_lacp(c);
    case command_id::show_stats: return show_stats(c);
    case command_id::show_macsec: return show_macsec(c);
    case command_id::clear_stats:
        for (const auto& p : _host.ports())
            if (auto* ctl = _host.control(p.lag))
                _baseline[p.name] = ctl->totals(p.id);
        return {0, "ok\n"};
    case command_id::set_min_links: {
        if (auto e = check_lag())
            return *e;
        unsigned n = static_cast<unsigned>(std::stoul(std::string(c.get("n"))));
        if (auto r = _host.control(name)->set_min_links(n, now); !r)
            return fail(r.err());
        _cfg.lag(name)->min_links = n;
        return changed();
    }
    case command_id::set_mtu: {
        if (auto e = check_lag())
            return *e;
        const unsigned long n = std::stoul(std::string(c.get("n")));
        if (n < min_mtu || n > max_mtu)
            return fail("mtu", fmt::format("LAG {}: MTU {} is outside {} to {}", name, n, min_mtu, max_mtu));
        if (auto r = _host.set_mtu(std::string(name), static_cast<unsigned>(n), now); !r)
            return fail(r.err());
        _cfg.lag(name)->mtu = static_cast<uint16_t>(n);
        return changed();
    }
    case command_id::set_hash: {
        if (auto e = check_lag())
            return *e;
        auto p = dp::parse_hash_policy(c.get("policy"));
        _host.control(name)->set_hash(*p, _host.control(name)->config().algo, now);
        _cfg.lag(name)->hash = *p;
        return changed();
    }
    case command_id::show_config: {
        auto t = current_config_text();
        if (!t)
            return fail(t.err());
        return {0, *t};
    }
    case command_id::save_config: return save_config();
    case command_id::add_member:
    case command_id::remove_member:
    case command_id::set_lacp_rate:
        if (auto e = check_lag())
            return *e;
        return c.id == command_id::add_member      ? add_member(c, now)
               : c.id == command_id::remove_member ? remove_member(c, now)
                                                   : set_lacp_rate(c, now);
    case command_id::create_lag: return create_lag(c, now);
    case command_id::delete_lag:
        if (auto e = check_lag())
            return *e;
        return delete_lag(c, now);
    case command_id::rekey_macsec:
    case command_id::set_rekey_interval:
    case command_id::set_macsec:
    case command_id::unset_macsec:
    case command_id::add_macsec_key:
    case command_id::remove_macsec_key:
    case command_id::set_macsec_fallback:
    case command_id::unset_macsec_fallback: {
        if (auto e = check_lag())
            return *e;
        if (!_host.has_mka(name))
            return fail(c.id == command_id::rekey_macsec ? "no-mka" : "not-at-run-time",
                        fmt::format("LAG {} has static MACsec keys ([lag.macsec] mode \"static\"), not MKA{}", name,
                                    c.id == command_id::rekey_macsec
                                        ? ""
                                        : ": change the config file and restart dpdk-lagd"));
        auto r = _host.mka_command(name, c, now);
        if (!r)
            return fail(r.err());
        if (c.id == command_id::rekey_macsec)
            return {0, *r};
        if (auto saved = changed(); saved.status != 0)
            return saved;
        return {0, *r};
    }
    }
    return fail("internal", "unhandled command");
}

const lag_config* service::access_of(std::string_view port) const {
    for (const auto& l : _cfg.lags)
        if (l.access == port)
            return &l;
    return nullptr;
}

sock::reply service::add_member(const cli::parsed_command& c, time_point now) {
    const std::string name(c.get("name"));
    std::string port(c.get("port"));
    if (_cfg.port(port) == nullptr)
        return fail("no-such-port", fmt::format("there is no [[port]] '{}' in the config", port));
    // The lifecycle rules (access port, already a member, the move) are the
    // engine's, checked by the host before anything changes.
    // A member of another LAG moves here in one step (its last member too:
    // that LAG stays, empty); the host updates both LAGs' member lists.
    const bool moved = _cfg.lag_of(port) != nullptr;
    auto id = _host.add_member(name, port, now);
    if (!id)
        return fail(id.err());
    if (moved)
        _baseline.erase(port); // counted by this LAG's workers from now on
    return changed();
}

sock::reply service::remove_member(const cli::parsed_command& c, time_point now) {
    auto& lc = *_cfg.lag(c.get("name"));
    std::string port(c.get("port"));
    auto it = std::find(lc.members.begin(), lc.members.end(), port);
    if (it == lc.members.end())
        return fail("not-member", fmt::format("'{}' is not a member of LAG {}", port, lc.name));
    // The last member too: the LAG stays, empty and pending, until `add member`.
    if (auto r = _host.remove_member(lc.name, port, now); !r)
        return fail(r.err());
    lc.members.erase(it);
    return changed();
}

sock::reply service::set_lacp_rate(const cli::parsed_command& c, time_point now) {
    const std::string name(c.get("name"));
    auto rate = c.get("rate") == "slow" ? lacp::lacp_rate::slow : lacp::lacp_rate::fast;
    if (auto r = _host.set_lacp_rate(name, rate, now); !r)
        return fail(r.err());
    _cfg.lag(name)->lacp.rate = rate;
    return changed();
}

sock::reply service::create_lag(const cli::parsed_command& c, time_point now) {
    lag_config l;
    l.name = std::string(c.get("name"));
    l.members = c.list("ports");
    l.min_links = c.has("n") ? static_cast<unsigned>(std::stoul(std::string(c.get("n")))) : 0;
    l.access = c.has("access") ? std::string(c.get("access")) : _last_access;
    auto speed = model::parse_port_speed(c.get("speed"));
    if (lag(l.name) != nullptr)
        return fail("duplicate-lag", fmt::format("LAG {} already exists", l.name));
    if (!c.has("access") && access_of(l.access) != nullptr)
        l.access.clear(); // the remembered one went to another LAG
    if (l.access.empty())
        return fail("access-port", "name the LAG's access port: create lag NAME speed S members P,... access PORT");
    // The rest (ports that exist, the access port free, at least one member,
    // none an access port, the moves) are the engine's rules, checked by the
    // host on a copy before anything changes.
    if (auto r = _host.create_lag(l, speed.value_or(model::port_speed::g10), now); !r)
        return fail(r.err());
    for (const auto& p : l.members)
        _baseline.erase(p);
    _baseline.erase(l.access);
    return changed();
}

sock::reply service::delete_lag(const cli::parsed_command& c, time_point now) {
    const std::string name(c.get("name"));
    std::string access = lag(name)->access;
    std::vector<std::string> closed;
    for (const auto& p : _host.ports())
        if (p.lag == name)
            closed.push_back(p.name);
    if (auto r = _host.delete_lag(name, now); !r)
        return fail(r.err());
    _last_access = access;
    for (const auto& p : closed)
        _baseline.erase(p);
    return changed();
}

nlohmann::json service::lags_json() const {
    json j = json::object();
    for (const auto& l : _cfg.lags)
        if (json one = lag_json(l.name); !one.empty())
            j[l.name] = std::move(one);
    return j;
}

nlohmann::json service::lag_json(std::string_view name) const {
    const auto* ctl = _host.control(name);
    if (lag(name) == nullptr || ctl == nullptr)
        return json::object();
    const auto& lc = *lag(name);
    const auto* l = _model.lag(lc.name);
    const auto& snap = ctl->current();
    json j;
    j["name"] = lc.name;
    j["state"] = std::string(model::to_string(l->status()));
    j["speed"] = std::string(model::to_string(l->speed));
    j["min_links"] = l->min_links;
    j["operational_members"] = _model.operational_members(lc.name);
    j["hash"] = std::string(dp::to_string(snap.policy));
    j["hash_algo"] = std::string(dp::to_string(snap.algo));
    j["access"] = lc.access;
    j["mtu"] = lc.mtu;
    j["profile"] = std::string(_model.rules().name);
    // The LAG's key by its CKN (never the CAK): MKA's, else "static" or none.
    j["key"] = lag_key(lc);
    j["speed_mismatches"] = ctl->counters().speed_mismatches;
    j["members"] = json::array();
    for (const auto& m : l->members) {
        auto p = find_port(m);
        member_view v = _host.view(m);
        json mj = {{"port", m},
                   {"link", p && dpdk::link_up(p->id) ? "up" : "down"},
                   {"status", std::string(model::to_string(_model.status_of(m)))},
                   {"link_speed", link_speed_json(m)},
                   {"lacp_mux", v.lacp_mux},
                   {"partner_system", v.partner_system},
                   {"partner_key", v.partner_key},
                   {"macsec", v.macsec}};
        if (v.mka.on) {
            mj["mka_secured"] = v.mka.secured;
            mj["mka_key_server"] = v.mka.key_server;
            mj["mka_live_peers"] = v.mka.live_peers;
            mj["mka_key_server_sci"] = v.mka.key_server_sci;
            mj["mka_an"] = v.mka.an;
            mj["mka_cipher"] = v.mka.cipher;
            mj["mka_ckn"] = v.mka.ckn; // the CKN this member's session runs with
            mj["mka_key_server_priority"] = v.mka.key_server_priority;
            mj["mka_rekey_interval"] = v.mka.rekey_interval;
            mj["mka_since_rekey"] = v.mka.since_rekey;
            json keys = json::array();
            std::string flat; // for telemetry: "CKN:state,..."
            for (const auto& k : v.mka.keys) {
                keys.push_back({{"ckn", k.ckn}, {"state", k.state}, {"start", k.start}, {"fallback", k.fallback}});
                flat += fmt::format("{}{}:{}", flat.empty() ? "" : ",", k.ckn, k.state);
            }
            mj["mka_keys"] = std::move(keys); // the member's key chain (never a CAK)
            mj["mka_keys_flat"] = flat;
            mj["mka_fallback"] = v.mka.fallback;
            mj["mka_fallback_activations"] = v.mka.fallback_activations;
            mj["mka_rollovers"] = v.mka.rollovers;
            if (!v.mka.reason.empty())
                mj["mka_reason"] = v.mka.reason;
        }
        j["members"].push_back(mj);
    }
    return j;
}

nlohmann::json service::link_speed_json(std::string_view port) const {
    const model::port_state* p = _model.port(port);
    return p != nullptr && p->link_mbps ? json(*p->link_mbps) : json(nullptr);
}

nlohmann::json service::stats_json() const {
    json j = json::object();
    for (const auto& p : _host.ports()) {
        j[p.name] = totals_json(totals(p));
        j[p.name]["role"] = std::string(engine::to_string(p.role));
        j[p.name]["lag"] = p.lag;
    }
    return j;
}

std::string service::lag_text(const nlohmann::json& j) const {
    std::string s = fmt::format(
        "lag {}: {} (speed {}, min-links {}, {} of {} members operational)\n"
        "  access {}, mtu {}, hash {} ({}), profile {}\n",
        j["name"].get<std::string>(), j["state"].get<std::string>(), j["speed"].get<std::string>(),
        j["min_links"].get<unsigned>(), j["operational_members"].get<unsigned>(), j["members"].size(),
        j["access"].get<std::string>(), j["mtu"].get<unsigned>(), j["hash"].get<std::string>(),
        j["hash_algo"].get<std::string>(), j["profile"].get<std::string>());
    if (const auto& k = j["key"]; !k.is_null())
        s += k["mode"] == "mka" ? fmt::format("  key: mka ckn {}\n", k["ckn"].get<std::string>())
                                : fmt::format("  key: {}\n", k["mode"].get<std::string>());
    s += fmt::format("  {:<10} {:<5} {:<17} {:<26} {:<24} {}\n", "member", "link", "status", "lacp mux",
                     "partner", "macsec");
    for (const auto& mj : j["members"])
        s += fmt::format("  {:<10} {:<5} {:<17} {:<26} {:<24} {}\n", mj["port"].get<std::string>(),
                         mj["link"].get<std::string>(), mj["status"].get<std::string>(),
                         mj["lacp_mux"].get<std::string>(),
                         mj["partner_system"].get<std::string>().empty()
                             ? std::string("-")
                             : fmt::format("{} key {}", mj["partner_system"].get<std::string>(),
                                           mj["partner_key"].get<unsigned>()),
                         mj.contains("mka_ckn")
                             ? fmt::format("{} ckn {}", mj["macsec"].get<std::string>(),
                                           mj["mka_ckn"].get<std::string>())
                             : mj["macsec"].get<std::string>());
    for (const auto& mj : j["members"])
        if (mj.contains("mka_key_server_priority")) {
            const auto since = mj["mka_since_rekey"].get<int64_t>();
            const auto every = mj["mka_rekey_interval"].get<uint32_t>();
            s += fmt::format("  {} mka: key server priority {}, rekey interval {}, {}\n", mj["port"].get<std::string>(),
                             mj["mka_key_server_priority"].get<unsigned>(),
                             every == 0 ? std::string("off") : fmt::format("{} s", every),
                             since < 0 ? std::string("no SAK yet") : fmt::format("last SAK {} s ago", since));
            std::string keys;
            for (const auto& k : mj["mka_keys"])
                keys += fmt::format("{}{}{} {}", keys.empty() ? "" : ", ", k["ckn"].get<std::string>(),
                                    k["fallback"].get<bool>() ? " (fallback)" : "", k["state"].get<std::string>());
            s += fmt::format("  {} mka keys: {}{}\n", mj["port"].get<std::string>(), keys,
                             mj["mka_fallback"].get<bool>() ? "; the fallback carries the traffic" : "");
            if (mj.contains("mka_reason"))
                s += fmt::format("  {} mka: {}\n", mj["port"].get<std::string>(), mj["mka_reason"].get<std::string>());
        }
    return s;
}

sock::reply service::show_lag(const cli::parsed_command& c) const {
    if (c.has("name")) {
        json j = lag_json(c.get("name"));
        if (j.empty())
            return fail("no-such-lag", fmt::format("there is no LAG {}", c.get("name")));
        return {0, c.json ? j.dump() + "\n" : lag_text(j)};
    }
    // Every LAG: JSON keyed by name, text one after the other.
    json all = lags_json();
    if (all.empty())
        return {0, c.json ? "{}\n" : "no LAG (create lag NAME speed S members P,... access PORT)\n"};
    if (c.json)
        return {0, all.dump() + "\n"};
    std::string s;
    for (const auto& l : _cfg.lags)
        if (all.contains(l.name))
            s += lag_text(all[l.name]);
    return {0, s};
}

sock::reply service::show_lacp(const cli::parsed_command& c) const {
    json arr = json::array();
    std::string s;
    for (const auto& l : _cfg.lags)
        for (const auto& m : l.members) {
            if (c.has("port") && c.get("port") != m)
                continue;
            member_view v = _host.view(m);
            // LACP inside MACsec (protected), beside it (clear), or no MACsec;
            // LACPDUs the SecY refused (no SA under must_encrypt) are not sent.
            std::string layer = "off";
            uint64_t refused = 0;
            const ctl::macsec_driver* md = _host.macsec(l.name);
            if (auto p = find_port(m); p && md != nullptr && md->has_port(p->id)) {
                layer = md->protects_slow_protocols(p->id) ? "protected" : "clear";
                if (const auto* ctl = _host.control(l.name))
                    refused = ctl->control_tx_counters(p->id).drop(dp::drop_reason::macsec_tx).load();
            }
            const auto status = _model.status_of(m);
            arr.push_back({{"port", m},
                           {"lag", l.name},
                           {"status", std::string(model::to_string(status))},
                           {"link_speed", link_speed_json(m)},
                           {"mux", v.lacp_mux},
                           {"partner_system", v.partner_system},
                           {"partner_key", v.partner_key},
                           {"macsec", layer},
                           {"macsec_tx_drops", refused},
                           {"control_rx", v.control_rx},
                           {"control_rx_queue", v.control_rx_queue},
                           {"steer_refused", v.steer_refused}});
            s += fmt::format("{:<10} mux {:<26} partner {}{}  control-rx {}\n", m, v.lacp_mux,
                             v.partner_system.empty() ? "-" : fmt::format("{} key {}", v.partner_system,
                                                                           v.partner_key),
                             layer == "off" ? std::string()
                                            : fmt::format("  macsec {} ({} refused)", layer, refused),
                             v.control_rx);
            if (status == model::member_status::speed_mismatch)
                s += fmt::format("{:<10} speed-mismatch: link at {} Mb/s, LAG at {}\n", "",
                                 link_speed_json(m).get<uint32_t>(), model::to_string(_model.lag(l.name)->speed));
        }
    if (c.has("port") && arr.empty())
        return fail("no-such-port", fmt::format("{} is not a member of any LAG", c.get("port")));
    if (c.json)
        return {0, arr.dump() + "\n"};
    return {0, s};
}

nlohmann::json service::xstats_json() const {
    json j = json::object();
    for (const auto& p : _host.ports()) {
        json x = json::object();
        for (const auto& e : dp::xstats(totals(p)))
            x[std::string(e.name)] = e.value;
        j[p.name] = std::move(x);
    }
    return j;
}

nlohmann::json service::macsec_json() const {
    json arr = json::array();
    for (const auto& l : _cfg.lags) {
    // The members, then (MKA) a port that left while its SecY is still on
    // the workers, until they are past the snapshot without it (a static
    // SecY stays for a later add member).
    std::vector<std::string> names = l.members;
    const ctl::macsec_driver* md = _host.macsec(l.name);
    for (const auto& p : _host.ports())
        if (p.role == engine::port_role::standalone && _host.has_mka(l.name) && md != nullptr && md->has_port(p.id) &&
            std::find(names.begin(), names.end(), p.name) == names.end())
            names.push_back(p.name);
    for (const auto& m : names) {
        auto p = find_port(m);
        json mj = {{"port", m}, {"lag", l.name}};
        std::optional<ctl::macsec_driver::port_status> st;
        if (_host.macsec(l.name) != nullptr && p)
            st = _host.macsec(l.name)->status(p->id);
        member_view v = _host.view(m);
        mj["macsec"] = !st ? std::string("off") : p->role == engine::port_role::standalone ? std::string("leaving") : v.macsec;
        if (v.mka.on)
            mj["ckn"] = v.mka.ckn; // the CKN the member's MKA session runs with
        mj["control_rx"] = v.control_rx; // where its EAPOL reaches control: punt or rte_flow
        mj["steer_refused"] = v.steer_refused;
        if (st) {
            const auto& c = st->cfg;
            mj["sci"] = fmt::format("{:016x}", c.sci);
            mj["suite"] = std::string(to_string(c.suite));
            mj["protect_frames"] = c.protect_frames;
            mj["confidentiality"] = c.confidentiality;
            mj["confidentiality_offset"] = c.confidentiality_offset;
            mj["include_sci"] = c.include_sci;
            mj["validate"] = std::string(macsec::to_string(c.validate));
            mj["replay_protect"] = c.replay_protect;
            mj["replay_window"] = c.replay_window;
            mj["encoding_an"] = st->encoding_an;
            json tx = json::array();
            for (const auto& sa : st->tx)
                tx.push_back({{"an", sa.an},
                              {"next_pn", sa.next_pn},
                              {"in_use", static_cast<int>(sa.an) == st->encoding_an},
                              {"near_exhaustion", sa.near_exhaustion},
                              {"exhausted", sa.exhausted},
                              {"out_pkts_protected", sa.counters.out_pkts_protected},
                              {"out_pkts_encrypted", sa.counters.out_pkts_encrypted}});
            mj["tx_sa"] = tx;
            json rx = json::array();
            for (const auto& sc : st->rx) {
                json ans = json::array(), sas = json::array();
                for (const auto& sa : sc.sas) {
                    ans.push_back(sa.an);
                    sas.push_back({{"an", sa.an}, {"lowest_acceptable_pn", sa.lowest_pn}, {"late", sa.late}});
                }
                rx.push_back({{"sci", fmt::format("{:016x}", sc.sci)}, {"an", ans}, {"sa", sas}});
            }
            mj["rx_sc"] = rx;
        }
        json counters = json::object();
        if (p)
            for (const auto& e : dp::xstats(totals(*p)))
                if (e.name.find("macsec") != std::string_view::npos)
                    counters[std::string(e.name)] = e.value;
        mj["counters"] = counters;
        arr.push_back(std::move(mj));
    }
    }
    return arr;
}

sock::reply service::show_macsec(const cli::parsed_command& c) const {
    json all = macsec_json();
    json arr = json::array();
    std::string s;
    for (const auto& mj : all) {
        if (c.has("port") && c.get("port") != mj["port"].get<std::string>())
            continue;
        arr.push_back(mj);
        s += fmt::format("{:<10} {}{} control-rx {}\n", mj["port"].get<std::string>(), mj["macsec"].get<std::string>(),
                         mj.contains("ckn") ? " ckn " + mj["ckn"].get<std::string>() : std::string(),
                         mj["control_rx"].get<std::string>());
        if (mj.contains("sci")) {
            s += fmt::format("  SecY SCI {} {} {}, offset {}, {}, validate {}, replay {} window {}\n",
                             mj["sci"].get<std::string>(), mj["suite"].get<std::string>(),
                             mj["confidentiality"].get<bool>() ? "confidentiality" : "integrity only",
                             mj["confidentiality_offset"].get<unsigned>(),
                             mj["include_sci"].get<bool>() ? "SCI in SecTAG" : "no SCI",
                             mj["validate"].get<std::string>(), mj["replay_protect"].get<bool>() ? "on" : "off",
                             mj["replay_window"].get<unsigned>());
            for (const auto& sa : mj["tx_sa"])
                s += fmt::format("  tx SA AN {}{}: next PN {}{}, protected {}, encrypted {}\n",
                                 sa["an"].get<unsigned>(), sa["in_use"].get<bool>() ? " (in use)" : "",
                                 sa["next_pn"].get<uint64_t>(),
                                 sa["exhausted"].get<bool>()         ? " EXHAUSTED"
                                 : sa["near_exhaustion"].get<bool>() ? " (near exhaustion)"
                                                                      : "",
                                 sa["out_pkts_protected"].get<uint64_t>(), sa["out_pkts_encrypted"].get<uint64_t>());
            for (const auto& sc : mj["rx_sc"]) {
                s += fmt::format("  rx SC {}: SAs at AN {}\n", sc["sci"].get<std::string>(),
                                 sc["an"].empty() ? std::string("-") : fmt::format("{}", fmt::join(sc["an"].get<std::vector<unsigned>>(), ",")));
                for (const auto& sa : sc["sa"])
                    s += fmt::format("    rx SA AN {}: lowest acceptable PN {}, late {}\n", sa["an"].get<unsigned>(),
                                     sa["lowest_acceptable_pn"].get<uint64_t>(), sa["late"].get<uint64_t>());
            }
        }
        std::string nonzero;
        for (auto it = mj["counters"].begin(); it != mj["counters"].end(); ++it)
            if (it->get<uint64_t>() != 0)
                nonzero += fmt::format(" {} {}", it.key(), it->get<uint64_t>());
        if (!nonzero.empty())
            s += "  frames:" + nonzero + "\n";
    }
    if (c.has("port") && arr.empty())
        return fail("no-such-port", fmt::format("{} is not a member of any LAG", c.get("port")));
    if (c.json)
        return {0, arr.dump() + "\n"};
    return {0, s};
}

sock::reply service::show_stats(const cli::parsed_command& c) const {
    if (c.has("prometheus")) // every LAG and port, whatever the other words (prometheus.hpp)
        return {0, prometheus_text(lags_json(), stats_json(), xstats_json(), macsec_json())};
    json j = json::object();
    std::string s = fmt::format("{:<10} {:<10} {:>14} {:>14} {:>14} {:>14} {:>8} {:>10}\n", "port", "role",
                                "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "punted", "drops");
    bool any = false;
    json jx = json::object();
    std::string s_x;
    for (const auto& p : _host.ports()) {
        if (c.has("port") && c.get("port") != p.name)
            continue;
        any = true;
        auto t = totals(p);
        if (c.has("xstats")) {
            json x = json::object();
            s_x += fmt::format("{} ({})\n", p.name, engine::to_string(p.role));
            for (const auto& e : dp::xstats(t)) {
                x[std::string(e.name)] = e.value;
                s_x += fmt::format("  {:<30} {}\n", e.name, e.value);
            }
            jx[p.name] = std::move(x);
            continue;
        }
        j[p.name] = totals_json(t);
        j[p.name]["role"] = std::string(engine::to_string(p.role));
        j[p.name]["lag"] = p.lag;
        s += fmt::format("{:<10} {:<10} {:>14} {:>14} {:>14} {:>14} {:>8} {:>10}\n", p.name, engine::to_string(p.role),
                         t.rx_packets, t.rx_bytes, t.tx_packets, t.tx_bytes, t.punted, t.total_drops());
        for (size_t i = 0; i < dp::drop_reason_count; ++i)
            if (t.drops[i] != 0)
                s += fmt::format("{:<10}   drop {:<16} {}\n", "", dp::to_string(static_cast<dp::drop_reason>(i)),
                                 t.drops[i]);
    }
    if (!any && c.has("port"))
        return fail("no-such-port", fmt::format("there is no port {}", c.get("port")));
    if (c.has("xstats"))
        return c.json ? sock::reply{0, jx.dump() + "\n"} : sock::reply{0, s_x};
    if (c.json)
        return {0, j.dump() + "\n"};
    return {0, s};
}

result<std::string> service::current_config_text() const {
    toml::table root;
    try {
        if (_config_path.empty())
            root = toml::parse(default_config_text(), std::string_view{"<embedded default>"});
        else
            root = toml::parse_file(_config_path);
    } catch (const toml::parse_error& e) {
        return make_error("config", fmt::format("cannot re-read {}: {}",
                                                _config_path.empty() ? "<embedded default>" : _config_path,
                                                e.description()));
    }
    // Apply what can change at run time; every other key stays as the user
    // wrote it (sections this function does not know are kept too).
    // Every [[lag]] of the file that still runs, patched, in the file's
    // order; then those created at run time; those deleted are gone.
    toml::array lags;
    std::set<std::string, std::less<>> written;
    if (auto* old = root["lag"].as_array())
        for (auto& node : *old)
            if (auto* t = node.as_table(); t != nullptr && t->get_as<std::string>("name") != nullptr) {
                const std::string& n = **t->get_as<std::string>("name");
                if (lag(n) != nullptr && written.insert(n).second)
                    lags.push_back(*t);
            }
    for (const auto& lc : _cfg.lags)
        if (written.insert(lc.name).second) { // created at run time
            toml::table t;
            t.insert_or_assign("name", lc.name);
            t.insert_or_assign("access", lc.access);
            lags.push_back(std::move(t));
        }
    for (auto& node : lags) {
        toml::table* mine = node.as_table();
        const auto& lc = *lag(**mine->get_as<std::string>("name"));
        mine->insert_or_assign("min_links", static_cast<int64_t>(lc.min_links));
        // The LAG's speed, so that an empty LAG (no member to take it from)
        // reads back as it runs.
        if (const auto* ml = _model.lag(lc.name))
            mine->insert_or_assign("speed", std::string(model::to_string(ml->speed)));
        mine->insert_or_assign("hash", std::string(dp::to_string(lc.hash)));
        if (lc.mtu != 1500 || mine->contains("mtu")) // the default is left implicit
            mine->insert_or_assign("mtu", static_cast<int64_t>(lc.mtu));
        toml::array members;
        for (const auto& m : lc.members)
            members.push_back(m);
        mine->insert_or_assign("members", std::move(members));
        if (auto* lacp = mine->get_as<toml::table>("lacp"))
            lacp->insert_or_assign("rate", std::string(lc.lacp.rate == lacp::lacp_rate::slow ? "slow" : "fast"));
        if (lc.macsec.mode == macsec_mode::mka && !lc.macsec.enabled) { // unset lag NAME macsec
            mine->erase("macsec");
        } else if (lc.macsec.mode == macsec_mode::mka) { // set lag NAME macsec ckn ... cak-file ...
            toml::table m;
            if (const auto* old = (*mine)["macsec"].as_table())
                m = *old;
            std::string ckn;
            for (auto b : lc.macsec.ckn)
                ckn += fmt::format("{:02x}", b);
            m.insert_or_assign("mode", "mka");
            m.insert_or_assign("ckn", ckn);
            m.insert_or_assign("cak_file", lc.macsec.cak_file);
            // The chain's other keys, the fallback (add/remove lag NAME macsec key, set lag NAME macsec fallback).
            m.erase("key");
            toml::array keys;
            auto key_table = [&](const std::vector<uint8_t>& ckn, const std::string& file,
                                 const std::optional<int64_t>& start) {
                toml::table k;
                std::string h;
                for (auto b : ckn)
                    h += fmt::format("{:02x}", b);
                k.insert_or_assign("ckn", h);
                k.insert_or_assign("cak_file", file);
                if (start)
                    k.insert_or_assign("start", format_rfc3339(*start));
                keys.push_back(std::move(k));
            };
            if (lc.macsec.start) { // the head came from a [[lag.macsec.key]] with a start
                m.erase("ckn");
                m.erase("cak_file");
                key_table(lc.macsec.ckn, lc.macsec.cak_file, lc.macsec.start);
            }
            for (const auto& k : lc.macsec.keys)
                key_table(k.ckn, k.cak_file, k.start);
            if (!keys.empty())
                m.insert_or_assign("key", std::move(keys));
            if (!lc.macsec.fallback_ckn.empty()) {
                std::string h;
                for (auto b : lc.macsec.fallback_ckn)
                    h += fmt::format("{:02x}", b);
                m.insert_or_assign("fallback_ckn", h);
                m.insert_or_assign("fallback_cak_file", lc.macsec.fallback_cak_file);
            } else {
                m.erase("fallback_ckn");
                m.erase("fallback_cak_file");
            }
            m.insert_or_assign("cipher", std::string(to_string(lc.macsec.suite)));
            m.insert_or_assign("encryption", std::string(to_string(lc.macsec.encryption)));
            m.insert_or_assign("key_server_priority", static_cast<int64_t>(lc.macsec.key_server_priority));
            if (lc.macsec.rekey_interval != 0)
                m.insert_or_assign("rekey_interval", static_cast<int64_t>(lc.macsec.rekey_interval));
            else
                m.erase("rekey_interval");
            if (lc.macsec.offset != 0)
                m.insert_or_assign("confidentiality_offset", static_cast<int64_t>(lc.macsec.offset));
            if (lc.macsec.replay_window != 0)
                m.insert_or_assign("replay_window", static_cast<int64_t>(lc.macsec.replay_window));
            if (lc.macsec.lacp != macsec_lacp::protected_) // the default is left implicit
                m.insert_or_assign("lacp", std::string(to_string(lc.macsec.lacp)));
            mine->insert_or_assign("macsec", std::move(m));
        }
    }
    if (lags.empty())
        root.erase("lag");
    else
        root.insert_or_assign("lag", std::move(lags));
    std::ostringstream os;
    os << "# dpdk-lagd configuration (written by dpdk-lagd)\n" << root << "\n";
    return os.str();
}

sock::reply service::save_config() {
    if (_config_path.empty())
        return fail("no-config-file",
                    "dpdk-lagd runs on the embedded default; start it with --config FILE to save");
    auto text = current_config_text();
    if (!text)
        return fail(text.err());
    // Check that what we write reads back as a valid config before it
    // replaces the old one.
    auto back = parse_config(*text, _config_path);
    if (!back)
        return fail(back.err());
    if (auto r = write_file_atomically(_config_path, *text); !r)
        return fail(r.err());
    return {0, fmt::format("saved {}\n", _config_path)};
}

result<void> write_file_atomically(const std::string& path, std::string_view text) {
    std::string dir = ".";
    if (auto slash = path.rfind('/'); slash != std::string::npos)
        dir = slash == 0 ? "/" : path.substr(0, slash);
    std::string tmp = path + ".tmp." + std::to_string(getpid());
    mode_t mode = 0600;
    struct stat st{};
    if (stat(path.c_str(), &st) == 0)
        mode = st.st_mode & 0777;
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return make_error("save", fmt::format("cannot create {}: {}", tmp, std::strerror(errno)));
    size_t off = 0;
    while (off < text.size()) {
        ssize_t n = write(fd, text.data() + off, text.size() - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp.c_str());
            return make_error("save", fmt::format("cannot write {}: {}", tmp, std::strerror(e)));
        }
        off += static_cast<size_t>(n);
    }
    if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp.c_str());
        return make_error("save", fmt::format("cannot sync {}: {}", tmp, std::strerror(e)));
    }
    close(fd);
    if (rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        unlink(tmp.c_str());
        return make_error("save", fmt::format("cannot replace {}: {}", path, std::strerror(e)));
    }
    int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return ok_v;
}

} // namespace lag::lagd
