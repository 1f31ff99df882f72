#include "config.hpp"
#include "toml_reader.hpp"

#include <toml++/toml.h>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <fstream>
#include <map>
#include <utility>
#include <set>
#include <sstream>

namespace lag::lagd {

namespace {

constexpr std::string_view embedded = R"(# dpdk-lagd embedded default: a static LAG of two virtual members.
# net_null receives an endless stream of frames and discards what it sends,
# so traffic flows both ways with no file and no NIC.
profile = "provider"

[daemon]
burst = 32
stats_interval = 0

[[port]]
name = "access0"
device = "net_null0"

[[port]]
name = "m0"
device = "net_null1"
speed = "10G"

[[port]]
name = "m1"
device = "net_null2"
speed = "10G"

[[lag]]
name = "lag0"
access = "access0"
members = ["m0", "m1"]
min_links = 1
hash = "l34"
)";

using reader = toml_reader;

// [lag.lacp] of one [[lag]].
result<lacp_config> read_lacp(const reader& r, const toml::node& n, const std::string& lag) {
    lacp_config lc;
    lc.line = reader::line_of(n);
    const toml::table* t = n.as_table();
    if (t == nullptr)
        return r.fail("type", lc.line, fmt::format("'lacp' in {} must be a table ([lag.lacp])", lag));
    std::string where = fmt::format("[lag.lacp] of {}", lag);
    if (auto ok = r.only(*t, {"mode", "rate", "system_priority", "system_id"}, where); !ok)
        return ok.err();
    lc.mode = lacp::lacp_mode::active;
    auto mode = r.string(*t, "mode", where, false, lc.line);
    if (!mode)
        return mode.err();
    if (*mode == "passive")
        lc.mode = lacp::lacp_mode::passive;
    else if (*mode == "off")
        lc.mode = std::nullopt;
    else if (!mode->empty() && *mode != "active")
        return r.fail("value", reader::line_of(*t->get("mode")),
                      fmt::format("{}: mode '{}' is not active, passive or off", where, *mode));
    auto rate = r.string(*t, "rate", where, false, lc.line);
    if (!rate)
        return rate.err();
    if (*rate == "slow")
        lc.rate = lacp::lacp_rate::slow;
    else if (!rate->empty() && *rate != "fast")
        return r.fail("value", reader::line_of(*t->get("rate")),
                      fmt::format("{}: rate '{}' is not fast or slow", where, *rate));
    auto prio = r.integer(*t, "system_priority", where, 32768, 1, 65535);
    if (!prio)
        return prio.err();
    lc.system_priority = static_cast<uint16_t>(*prio);
    auto id = r.string(*t, "system_id", where, false, lc.line);
    if (!id)
        return id.err();
    if (!id->empty()) {
        auto mac = mac_addr::parse(*id);
        unsigned line = reader::line_of(*t->get("system_id"));
        if (!mac)
            return r.fail("value", line, fmt::format("{}: system_id '{}' is not a MAC address", where, *id));
        if (mac->bytes == mac_addr{}.bytes || (mac->bytes[0] & 1) != 0)
            return r.fail("value", line,
                          fmt::format("{}: system_id {} must be a non-zero unicast address", where, *id));
        lc.system_id = *mac;
    }
    return lc;
}

} // namespace

const port_config* daemon_config::port(std::string_view name) const {
    for (const auto& p : ports)
        if (p.name == name)
            return &p;
    return nullptr;
}

const lag_config* daemon_config::lag(std::string_view name) const {
    for (const auto& l : lags)
        if (l.name == name)
            return &l;
    return nullptr;
}

lag_config* daemon_config::lag(std::string_view name) {
    return const_cast<lag_config*>(std::as_const(*this).lag(name));
}

const lag_config* daemon_config::lag_of(std::string_view port) const {
    for (const auto& l : lags)
        if (l.access == port || std::find(l.members.begin(), l.members.end(), port) != l.members.end())
            return &l;
    return nullptr;
}

std::string_view default_config_text() { return embedded; }

result<daemon_config> parse_config(std::string_view text, std::string source) {
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        return make_error("syntax", fmt::format("{}:{}: {}", source, e.source().begin.line, e.description()));
    }
    daemon_config c;
    c.source = source;
    reader r{c.source};

    if (auto ok = r.only(root, {"profile", "daemon", "port", "lag"}, "the top level"); !ok)
        return ok.err();

    if (const toml::node* p = root.get("profile")) {
        if (!p->is_string())
            return r.fail("type", reader::line_of(*p), "'profile' must be a string");
        c.profile = *p->value<std::string>();
        c.profile_line = reader::line_of(*p);
    }

    if (const toml::node* d = root.get("daemon")) {
        const toml::table* t = d->as_table();
        if (t == nullptr)
            return r.fail("type", reader::line_of(*d), "'daemon' must be a table ([daemon])");
        if (auto ok = r.only(*t, {"burst", "rx_desc", "tx_desc", "mbufs", "link_poll_ms", "stats_interval",
                                 "autosave", "socket"},
                           "[daemon]");
            !ok)
            return ok.err();
        auto burst = r.integer(*t, "burst", "[daemon]", 32, 1, 64);
        if (!burst)
            return burst.err();
        auto rxd = r.integer(*t, "rx_desc", "[daemon]", 1024, 64, 16384);
        if (!rxd)
            return rxd.err();
        auto txd = r.integer(*t, "tx_desc", "[daemon]", 1024, 64, 16384);
        if (!txd)
            return txd.err();
        auto mbufs = r.integer(*t, "mbufs", "[daemon]", 0, 0, 1 << 24);
        if (!mbufs)
            return mbufs.err();
        auto poll = r.integer(*t, "link_poll_ms", "[daemon]", 0, 0, 10000);
        if (!poll)
            return poll.err();
        auto stats = r.integer(*t, "stats_interval", "[daemon]", 0, 0, 86400);
        if (!stats)
            return stats.err();
        c.burst = static_cast<uint16_t>(*burst);
        c.rx_desc = static_cast<uint16_t>(*rxd);
        c.tx_desc = static_cast<uint16_t>(*txd);
        c.mbufs = static_cast<unsigned>(*mbufs);
        c.link_poll_ms = static_cast<unsigned>(*poll);
        c.stats_interval = static_cast<unsigned>(*stats);
        if (const toml::node* a = t->get("autosave")) {
            if (!a->is_boolean())
                return r.fail("type", reader::line_of(*a), "'autosave' in [daemon] must be true or false");
            c.autosave = *a->value<bool>();
        }
        if (const toml::node* so = t->get("socket")) {
            if (!so->is_string() || so->value<std::string>()->empty())
                return r.fail("type", reader::line_of(*so), "'socket' in [daemon] must be a non-empty path");
            c.socket = *so->value<std::string>();
        }
    }

    if (const toml::node* ports = root.get("port")) {
        const toml::array* a = ports->as_array();
        if (a == nullptr || !a->is_array_of_tables())
            return r.fail("type", reader::line_of(*ports), "'port' must be an array of tables ([[port]])");
        for (const toml::node& n : *a) {
            const toml::table& t = *n.as_table();
            unsigned line = reader::line_of(t);
            if (auto ok = r.only(t, {"name", "device", "speed", "check_speed", "port_priority", "mac"}, "[[port]]"); !ok)
                return ok.err();
            port_config p;
            p.line = line;
            auto name = r.string(t, "name", "[[port]]", true, line);
            if (!name)
                return name.err();
            p.name = *name;
            auto dev = r.string(t, "device", fmt::format("port '{}'", p.name), true, line);
            if (!dev)
                return dev.err();
            p.device = *dev;
            if (p.device.empty())
                return r.fail("value", line, fmt::format("port '{}': 'device' is empty", p.name));
            auto speed = r.string(t, "speed", fmt::format("port '{}'", p.name), false, line);
            if (!speed)
                return speed.err();
            if (!speed->empty()) {
                auto sp = model::parse_port_speed(*speed);
                if (!sp)
                    return r.fail("value", reader::line_of(*t.get("speed")),
                                  fmt::format("port '{}': speed '{}' is not 1G, 10G or 100G", p.name, *speed));
                p.speed = *sp;
                p.speed_declared = true;
            }
            if (const toml::node* cs = t.get("check_speed")) {
                if (!cs->is_boolean())
                    return r.fail("type", reader::line_of(*cs),
                                  fmt::format("port '{}': 'check_speed' must be true or false", p.name));
                p.check_speed = *cs->value<bool>();
            }
            auto prio = r.integer(t, "port_priority", fmt::format("port '{}'", p.name), 32768, 1, 65535);
            if (!prio)
                return prio.err();
            p.port_priority = static_cast<uint16_t>(*prio);
            auto mac = r.string(t, "mac", fmt::format("port '{}'", p.name), false, line);
            if (!mac)
                return mac.err();
            if (!mac->empty()) {
                auto m = mac_addr::parse(*mac);
                if (!m || m->is_zero() || m->is_multicast())
                    return r.fail("value", reader::line_of(*t.get("mac")),
                                  fmt::format("port '{}': mac '{}' is not a non-zero unicast MAC address", p.name,
                                              *mac));
                p.mac = *m;
            }
            c.ports.push_back(std::move(p));
        }
    }

    if (const toml::node* lags = root.get("lag")) {
        const toml::array* a = lags->as_array();
        if (a == nullptr || !a->is_array_of_tables())
            return r.fail("type", reader::line_of(*lags), "'lag' must be an array of tables ([[lag]])");
        for (const toml::node& n : *a) {
            const toml::table& t = *n.as_table();
            unsigned line = reader::line_of(t);
            if (auto ok = r.only(t, {"name", "access", "members", "speed", "min_links", "hash", "hash_algo", "buckets", "mtu", "lacp", "macsec"},
                                 "[[lag]]");
                !ok)
                return ok.err();
            lag_config l;
            l.line = line;
            auto name = r.string(t, "name", "[[lag]]", true, line);
            if (!name)
                return name.err();
            l.name = *name;
            std::string where = fmt::format("LAG '{}'", l.name);
            auto access = r.string(t, "access", where, true, line);
            if (!access)
                return access.err();
            l.access = *access;
            l.access_line = reader::line_of(*t.get("access"));
            const toml::node* mem = t.get("members");
            if (mem == nullptr)
                return r.fail("missing-key", line, fmt::format("{} needs 'members'", where));
            l.members_line = reader::line_of(*mem);
            const toml::array* ma = mem->as_array();
            if (ma == nullptr)
                return r.fail("type", l.members_line, fmt::format("'members' in {} must be an array of port names", where));
            for (const toml::node& m : *ma) {
                if (!m.is_string())
                    return r.fail("type", reader::line_of(m), fmt::format("'members' in {} must hold strings", where));
                l.members.push_back(*m.value<std::string>());
            }
            auto lspeed = r.string(t, "speed", where, false, line);
            if (!lspeed)
                return lspeed.err();
            if (!lspeed->empty()) {
                auto sp = model::parse_port_speed(*lspeed);
                if (!sp)
                    return r.fail("value", reader::line_of(*t.get("speed")),
                                  fmt::format("{}: speed '{}' is not 1G, 10G or 100G", where, *lspeed));
                l.speed = *sp;
            }
            auto ml = r.integer(t, "min_links", where, 0, 0, 64);
            if (!ml)
                return ml.err();
            l.min_links = static_cast<unsigned>(*ml);
            l.min_links_line = t.get("min_links") != nullptr ? reader::line_of(*t.get("min_links")) : line;
            auto hash = r.string(t, "hash", where, false, line);
            if (!hash)
                return hash.err();
            if (!hash->empty()) {
                auto h = dp::parse_hash_policy(*hash);
                if (!h)
                    return r.fail("value", reader::line_of(*t.get("hash")),
                                  fmt::format("{}: hash '{}' is not l2, l23, l34 or sym-l34", where, *hash));
                l.hash = *h;
            }
            auto algo = r.string(t, "hash_algo", where, false, line);
            if (!algo)
                return algo.err();
            if (!algo->empty()) {
                auto h = dp::parse_hash_algo(*algo);
                if (!h)
                    return r.fail("value", reader::line_of(*t.get("hash_algo")),
                                  fmt::format("{}: hash_algo '{}' is not crc32 or toeplitz", where, *algo));
                l.hash_algo = *h;
            }
            auto buckets = r.integer(t, "buckets", where, 256, 256, 65536);
            if (!buckets)
                return buckets.err();
            if (!std::has_single_bit(static_cast<uint64_t>(*buckets)))
                return r.fail("value", reader::line_of(*t.get("buckets")),
                              fmt::format("{}: buckets {} is not a power of two", where, *buckets));
            l.buckets = static_cast<size_t>(*buckets);
            // The largest IP packet the LAG carries; what each device allows
            // is checked when its port opens ([rule: mtu]).
            auto mtu = r.integer(t, "mtu", where, 1500, min_mtu, max_mtu);
            if (!mtu)
                return mtu.err();
            l.mtu = static_cast<uint16_t>(*mtu);
            if (const toml::node* lp = t.get("lacp")) {
                auto lacp = read_lacp(r, *lp, where);
                if (!lacp)
                    return lacp.err();
                l.lacp = *lacp;
            }
            if (const toml::node* ms = t.get("macsec")) {
                if (!ms->is_table())
                    return r.fail("type", reader::line_of(*ms), "'macsec' must be a table ([lag.macsec])");
                auto mc = parse_macsec(*ms->as_table(), c.source);
                if (!mc)
                    return mc.err();
                l.macsec = std::move(*mc);
            }
            c.lags.push_back(std::move(l));
        }
    }
    assume_speeds(c);
    return c;
}

void assume_speeds(daemon_config& c) {
    for (const auto& l : c.lags) {
        std::optional<model::port_speed> ls = l.speed;
        for (const auto& m : l.members)
            if (const port_config* pc = c.port(m); !ls && pc != nullptr && (pc->speed_declared || pc->speed_from_device))
                ls = pc->speed;
        for (auto& p : c.ports)
            if (!p.speed_declared && !p.speed_from_device && std::find(l.members.begin(), l.members.end(), p.name) != l.members.end())
                p.speed = ls.value_or(model::port_speed::g10);
    }
}

result<daemon_config> load_config(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return make_error("file", fmt::format("{}: cannot open the file", path));
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_config(ss.str(), path);
}

result<void> check_mka_key(const daemon_config& c, size_t cak_len) {
    return c.lags.empty() ? ok_v : check_mka_key(c, c.lags.front(), cak_len);
}

// The profile's rules for every member with a CAK of `cak_len` bytes;
// errors name `line` and `what`.
static result<void> check_mka_profile(const daemon_config& c, const lag_config& l, size_t cak_len, unsigned line,
                                      std::string_view what) {
    reader r{c.source};
    const macsec_config& m = l.macsec;
    const model::profile* prof = model::find_profile(c.profile);
    if (prof == nullptr || m.mode != macsec_mode::mka)
        return ok_v;
    // Every member runs MKA with the LAG's CAK and the configured suite (the
    // only one this daemon announces, so the only one a key server can pick).
    for (const auto& p : l.members) {
        const port_config* pc = c.port(p);
        if (pc == nullptr)
            continue;
        if (auto ok = model::check_macsec(*prof, pc->speed, m.suite, cak_len, true); !ok)
            return r.fail(ok.err().code.c_str(), line, fmt::format("{}: {}", what, ok.err().message));
    }
    return ok_v;
}

result<void> check_mka_key(const daemon_config& c, const lag_config& l, size_t cak_len) {
    const macsec_config& m = l.macsec;
    if (auto ok = check_mka_profile(c, l, cak_len, m.line, "[lag.macsec]"); !ok || m.mode != macsec_mode::mka)
        return ok;
    // The chain's other CAK files and the fallback's: read (and wiped at
    // once) and checked as the first one.
    auto other = [&](const std::string& file, unsigned line, std::string_view what) -> result<void> {
        auto cak = load_cak_file(file);
        if (!cak)
            return cak.err();
        return check_mka_profile(c, l, cak->size(), line, what);
    };
    for (const auto& k : m.keys)
        if (auto ok = other(k.cak_file, k.line, "[[lag.macsec.key]]"); !ok)
            return ok;
    if (!m.fallback_ckn.empty())
        if (auto ok = other(m.fallback_cak_file, m.line, "[lag.macsec] fallback_cak_file"); !ok)
            return ok;
    return ok_v;
}

// [lag.macsec] against the LAG: one entry per member, and the profile's rules.
static result<void> check_macsec_config(const daemon_config& c, const lag_config& l, const model::profile& prof) {
    reader r{c.source};
    const macsec_config& m = l.macsec;
    if (!m.enabled)
        return ok_v;
    if (m.mode == macsec_mode::mka) // the CAK's length is known once its file is read
        return check_mka_profile(c, l, prof.cak_256_allowed ? 32 : 16, m.line, "[lag.macsec]");
    for (const auto& mm : m.members) {
        // A [[port]] outside the LAG may have SAs too: `add member` brings it
        // in with them at run time.
        if (c.port(mm.port) == nullptr || mm.port == l.access)
            return r.fail("macsec-member", mm.line,
                          fmt::format("MACsec member '{}' is not a [[port]] that LAG '{}' may take as a member",
                                      mm.port, l.name));
        auto ok = model::check_macsec(prof, c.port(mm.port)->speed, m.suite, key_length(m.suite), m.include_sci);
        if (!ok)
            return r.fail(ok.err().code.c_str(), m.line, fmt::format("[lag.macsec]: {}", ok.err().message));
    }
    for (const auto& p : l.members) {
        bool found = false;
        for (const auto& mm : m.members)
            found = found || mm.port == p;
        if (!found)
            return r.fail("macsec-member", m.line,
                          fmt::format("[lag.macsec]: LAG member '{}' has no [[lag.macsec.member]]", p));
    }
    return ok_v;
}

result<void> check_config(const daemon_config& c, model::lag_model& model) {
    reader r{c.source};
    const model::profile* prof = model::find_profile(c.profile);
    if (prof == nullptr)
        return r.fail("profile", c.profile_line, fmt::format("unknown profile '{}' (known: provider, ieee)", c.profile));
    model = model::lag_model(*prof);

    std::set<std::string> devices;
    for (const auto& p : c.ports) {
        auto name = p.device.substr(0, p.device.find(','));
        if (!devices.insert(name).second)
            return r.fail("device", p.line, fmt::format("port '{}': device '{}' is used by another port", p.name, name));
        auto ev = model.add_port(p.name, p.speed);
        if (!ev)
            return r.fail(ev.err().code.c_str(), p.line, ev.err().message);
    }
    // Each LAG its own access port, which no LAG has as a member (the model
    // refuses a member in two LAGs).
    std::map<std::string, std::string, std::less<>> access_of; // access port -> LAG
    for (const auto& l : c.lags)
        access_of.emplace(l.access, l.name);
    for (const auto& l : c.lags) {
        std::string where = fmt::format("LAG '{}'", l.name);
        if (c.port(l.access) == nullptr)
            return r.fail("access", l.access_line, fmt::format("{}: access port '{}' is not a [[port]]", where, l.access));
        if (auto it = access_of.find(l.access); it->second != l.name)
            return r.fail("access", l.access_line,
                          fmt::format("{}: access port '{}' is LAG '{}''s access port", where, l.access, it->second));
        for (const auto& m : l.members) {
            if (auto it = access_of.find(m); it != access_of.end())
                return r.fail("access", l.members_line,
                              fmt::format("{}: '{}' is {} access port and a member", where, m,
                                          it->second == l.name ? std::string("the") : "LAG '" + it->second + "''s"));
            if (c.port(m) == nullptr)
                return r.fail("no-such-port", l.members_line, fmt::format("{}: member '{}' is not a [[port]]", where, m));
        }
        // No members: an empty LAG (pending) until `add member`; it needs its
        // speed then (`save config` writes it).
        if (l.members.empty() && !l.speed)
            return r.fail("membership", l.members_line,
                          fmt::format("{}: no members and no speed (an empty LAG needs speed = \"10G\" or the like)",
                                      where));
        for (const auto& m : l.members) // the model would move it: in a file, that is a mistake
            if (const auto* p = model.port(m); p != nullptr && p->lag)
                return r.fail("port-in-lag", l.members_line,
                              fmt::format("{}: port '{}' is already a member of LAG '{}'", where, m, *p->lag));
        const auto speed = l.speed ? *l.speed : c.port(l.members.front())->speed;
        auto ev = model.create_lag({.name = l.name, .speed = speed, .members = l.members,
                                    .min_links = l.min_links, .key = std::nullopt});
        if (!ev) {
            const auto& code = ev.err().code;
            unsigned line = code == "min-links" ? l.min_links_line : code == "name" || code == "duplicate-lag" ? l.line : l.members_line;
            return r.fail(code.c_str(), line, fmt::format("{}: {}", where, ev.err().message));
        }
    }
    for (const auto& l : c.lags)
        if (auto ok = check_macsec_config(c, l, *prof); !ok)
            return ok;
    auto inv = model.check_invariants();
    if (!inv)
        return inv.err();
    return ok_v;
}

} // namespace lag::lagd
