#include "service.hpp"

#include "dpdk/dpdk.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
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

dp::port_totals minus(const dp::port_totals& a, const dp::port_totals& b) {
    dp::port_totals d;
    d.rx_packets = a.rx_packets - b.rx_packets;
    d.rx_bytes = a.rx_bytes - b.rx_bytes;
    d.tx_packets = a.tx_packets - b.tx_packets;
    d.tx_bytes = a.tx_bytes - b.tx_bytes;
    d.punted = a.punted - b.punted;
    for (size_t i = 0; i < dp::drop_reason_count; ++i)
        d.drops[i] = a.drops[i] - b.drops[i];
    return d;
}

json totals_json(const dp::port_totals& t) {
    json drops = json::object();
    for (size_t i = 0; i < dp::drop_reason_count; ++i)
        drops[std::string(dp::to_string(static_cast<dp::drop_reason>(i)))] = t.drops[i];
    return {{"rx_packets", t.rx_packets}, {"rx_bytes", t.rx_bytes},   {"tx_packets", t.tx_packets},
            {"tx_bytes", t.tx_bytes},     {"punted", t.punted},       {"drops", drops}};
}

} // namespace

service::service(daemon_config& cfg, model::lag_model& model, ctl::control& control,
                 std::vector<port_info> ports, std::string config_path)
    : _cfg(cfg), _model(model), _control(control), _ports(std::move(ports)),
      _config_path(std::move(config_path)), _baseline(_ports.size()) {}

const port_info* service::find_port(std::string_view name) const {
    for (const auto& p : _ports)
        if (p.name == name)
            return &p;
    return nullptr;
}

dp::port_totals service::totals(const port_info& p) const {
    size_t i = static_cast<size_t>(&p - _ports.data());
    return minus(_control.totals(p.id), _baseline[i]);
}

sock::reply service::changed() {
    if (_autosave && !_config_path.empty()) {
        if (auto r = save_config(); r.status != 0)
            return {1, "changed, but autosave failed: " + r.body};
    }
    return {0, "ok\n"};
}

sock::reply service::execute(std::string_view line, time_point now) {
    auto parsed = cli::parse_line(line);
    if (!parsed) {
        if (parsed.err().code == "empty")
            return {0, ""};
        return {1, parsed.err().message + "\n"};
    }
    const auto& c = *parsed;
    using cli::command_id;
    const auto& lag_name = _cfg.lags.front().name;
    auto check_lag = [&]() -> std::optional<sock::reply> {
        if (c.get("name") != lag_name)
            return fail("no-such-lag", fmt::format("there is no LAG {} (this daemon runs LAG {})",
                                                   c.get("name"), lag_name));
        return std::nullopt;
    };
    switch (c.id) {
    case command_id::help: return {0, cli::help_text(c.get("topic"))};
    case command_id::quit: return {0, "bye\n"};
    case command_id::show_lag: return show_lag(c);
    case command_id::show_lacp: return show_lacp(c);
    case command_id::show_stats: return show_stats(c);
    case command_id::clear_stats:
        for (size_t i = 0; i < _ports.size(); ++i)
            _baseline[i] = _control.totals(_ports[i].id);
        return {0, "ok\n"};
    case command_id::set_min_links: {
        if (auto e = check_lag())
            return *e;
        unsigned n = static_cast<unsigned>(std::stoul(std::string(c.get("n"))));
        if (auto r = _control.set_min_links(n, now); !r)
            return fail(r.err());
        _cfg.lags.front().min_links = n;
        return changed();
    }
    case command_id::set_hash: {
        if (auto e = check_lag())
            return *e;
        auto p = dp::parse_hash_policy(c.get("policy"));
        _control.set_hash(*p, _control.config().algo, now);
        _cfg.lags.front().hash = *p;
        return changed();
    }
    case command_id::show_config: {
        auto t = current_config_text();
        if (!t)
            return fail(t.err());
        return {0, *t};
    }
    case command_id::save_config: return save_config();
    case command_id::rekey_macsec:
    case command_id::set_macsec:
    case command_id::unset_macsec: {
        if (auto e = check_lag())
            return *e;
        if (!_mka)
            return fail(c.id == command_id::rekey_macsec ? "no-mka" : "not-at-run-time",
                        fmt::format("LAG {} does not run MKA ([lag.macsec] mode \"mka\"){}", lag_name,
                                    c.id == command_id::rekey_macsec
                                        ? ""
                                        : ": change the config file and restart dpdk-lagd"));
        auto r = _mka(c, now);
        if (!r)
            return fail(r.err());
        if (c.id == command_id::rekey_macsec)
            return {0, *r};
        if (auto saved = changed(); saved.status != 0)
            return saved;
        return {0, *r};
    }
    case command_id::create_lag:
    case command_id::delete_lag:
    case command_id::add_member:
    case command_id::remove_member:
    case command_id::set_lacp_rate:
    case command_id::show_macsec:
        return fail("not-at-run-time",
                    fmt::format("'{}' is not supported at run time by this version: change the "
                                "config file and restart dpdk-lagd",
                                cli::spec(c.id).syntax.substr(0, cli::spec(c.id).syntax.find(" <"))));
    }
    return fail("internal", "unhandled command");
}

nlohmann::json service::lag_json() const {
    const auto& lc = _cfg.lags.front();
    const auto* l = _model.lag(lc.name);
    const auto& snap = _control.current();
    json j;
    j["name"] = lc.name;
    j["state"] = std::string(model::to_string(l->status()));
    j["speed"] = std::string(model::to_string(l->speed));
    j["min_links"] = l->min_links;
    j["operational_members"] = _model.operational_members(lc.name);
    j["hash"] = std::string(dp::to_string(snap.policy));
    j["hash_algo"] = std::string(dp::to_string(snap.algo));
    j["access"] = lc.access;
    j["profile"] = std::string(_model.rules().name);
    j["members"] = json::array();
    for (const auto& m : l->members) {
        const auto* p = find_port(m);
        member_view v = _member_view ? _member_view(m) : member_view{};
        json mj = {{"port", m},
                   {"link", p != nullptr && dpdk::link_up(p->id) ? "up" : "down"},
                   {"status", std::string(model::to_string(_model.status_of(m)))},
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
        }
        j["members"].push_back(mj);
    }
    return j;
}

nlohmann::json service::stats_json() const {
    json j = json::object();
    for (const auto& p : _ports) {
        j[p.name] = totals_json(totals(p));
        j[p.name]["role"] = p.role;
    }
    return j;
}

sock::reply service::show_lag(const cli::parsed_command& c) const {
    const auto& lc = _cfg.lags.front();
    if (c.has("name") && c.get("name") != lc.name)
        return fail("no-such-lag", fmt::format("there is no LAG {}", c.get("name")));
    const auto* l = _model.lag(lc.name);
    json j = lag_json();
    if (c.json)
        return {0, j.dump() + "\n"};
    std::string s = fmt::format(
        "lag {}: {} (speed {}, min-links {}, {} of {} members operational)\n"
        "  access {}, hash {} ({}), profile {}\n",
        lc.name, j["state"].get<std::string>(), j["speed"].get<std::string>(), l->min_links,
        j["operational_members"].get<unsigned>(), l->members.size(), lc.access,
        j["hash"].get<std::string>(), j["hash_algo"].get<std::string>(),
        j["profile"].get<std::string>());
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
                         mj["macsec"].get<std::string>());
    return {0, s};
}

sock::reply service::show_lacp(const cli::parsed_command& c) const {
    json arr = json::array();
    std::string s;
    for (const auto& m : _cfg.lags.front().members) {
        if (c.has("port") && c.get("port") != m)
            continue;
        member_view v = _member_view ? _member_view(m) : member_view{};
        arr.push_back({{"port", m},
                       {"mux", v.lacp_mux},
                       {"partner_system", v.partner_system},
                       {"partner_key", v.partner_key}});
        s += fmt::format("{:<10} mux {:<26} partner {}\n", m, v.lacp_mux,
                         v.partner_system.empty() ? "-" : fmt::format("{} key {}", v.partner_system,
                                                                       v.partner_key));
    }
    if (c.has("port") && arr.empty())
        return fail("no-such-port", fmt::format("{} is not a member of LAG {}", c.get("port"),
                                                _cfg.lags.front().name));
    if (c.json)
        return {0, arr.dump() + "\n"};
    return {0, s};
}

sock::reply service::show_stats(const cli::parsed_command& c) const {
    json j = json::object();
    std::string s = fmt::format("{:<10} {:<7} {:>14} {:>14} {:>14} {:>14} {:>8} {:>10}\n", "port", "role",
                                "rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "punted", "drops");
    bool any = false;
    for (const auto& p : _ports) {
        if (c.has("port") && c.get("port") != p.name)
            continue;
        any = true;
        auto t = totals(p);
        j[p.name] = totals_json(t);
        j[p.name]["role"] = p.role;
        s += fmt::format("{:<10} {:<7} {:>14} {:>14} {:>14} {:>14} {:>8} {:>10}\n", p.name, p.role,
                         t.rx_packets, t.rx_bytes, t.tx_packets, t.tx_bytes, t.punted, t.total_drops());
        for (size_t i = 0; i < dp::drop_reason_count; ++i)
            if (t.drops[i] != 0)
                s += fmt::format("{:<10}   drop {:<16} {}\n", "", dp::to_string(static_cast<dp::drop_reason>(i)),
                                 t.drops[i]);
    }
    if (!any)
        return fail("no-such-port", fmt::format("there is no port {}", c.get("port")));
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
    const auto& lc = _cfg.lags.front();
    if (auto* lags = root["lag"].as_array()) {
        for (auto& node : *lags) {
            auto* t = node.as_table();
            if (t == nullptr || t->get_as<std::string>("name") == nullptr ||
                **t->get_as<std::string>("name") != lc.name)
                continue;
            t->insert_or_assign("min_links", static_cast<int64_t>(lc.min_links));
            t->insert_or_assign("hash", std::string(dp::to_string(lc.hash)));
            if (lc.macsec.mode == macsec_mode::mka && !lc.macsec.enabled) { // unset lag NAME macsec
                t->erase("macsec");
            } else if (lc.macsec.mode == macsec_mode::mka) { // set lag NAME macsec ckn ... cak-file ...
                toml::table m;
                if (const auto* old = (*t)["macsec"].as_table())
                    m = *old;
                std::string ckn;
                for (auto b : lc.macsec.ckn)
                    ckn += fmt::format("{:02x}", b);
                m.insert_or_assign("mode", "mka");
                m.insert_or_assign("ckn", ckn);
                m.insert_or_assign("cak_file", lc.macsec.cak_file);
                m.insert_or_assign("cipher", std::string(to_string(lc.macsec.suite)));
                m.insert_or_assign("encryption", std::string(to_string(lc.macsec.encryption)));
                t->insert_or_assign("macsec", std::move(m));
            }
        }
    }
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
