#include "prometheus.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <map>
#include <unistd.h>
#include <utility>
#include <vector>

namespace lag::lagd {

using nlohmann::json;

namespace {

using labels = std::vector<std::pair<std::string_view, std::string>>;

std::string escape(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

// Metric families in the order they were first added; every sample of a
// family under its HELP and TYPE lines, as the format wants.
class families {
public:
    void add(const std::string& name, std::string_view type, std::string_view help, const labels& l,
             uint64_t value) {
        auto [it, fresh] = _index.try_emplace(name, _fams.size());
        if (fresh)
            _fams.push_back({name, std::string(type), std::string(help), {}});
        std::string s = name;
        if (!l.empty()) {
            s += '{';
            for (size_t i = 0; i < l.size(); ++i)
                s += fmt::format("{}{}=\"{}\"", i == 0 ? "" : ",", l[i].first, escape(l[i].second));
            s += '}';
        }
        _fams[it->second].samples.push_back(fmt::format("{} {}", s, value));
    }
    void gauge(const std::string& name, std::string_view help, const labels& l, uint64_t v) {
        add(name, "gauge", help, l, v);
    }
    void counter(const std::string& name, std::string_view help, const labels& l, uint64_t v) {
        add(name, "counter", help, l, v);
    }
    std::string text() const {
        std::string out;
        for (const auto& f : _fams) {
            out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, f.help, f.name, f.type);
            for (const auto& s : f.samples)
                out += s + '\n';
        }
        return out;
    }

private:
    struct family {
        std::string name, type, help;
        std::vector<std::string> samples;
    };
    std::vector<family> _fams;
    std::map<std::string, size_t, std::less<>> _index;
};

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
uint64_t num(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end())
        return 0;
    if (it->is_boolean())
        return it->get<bool>() ? 1 : 0;
    if (it->is_number_unsigned())
        return it->get<uint64_t>();
    if (it->is_number_integer())
        return it->get<int64_t>() < 0 ? 0 : static_cast<uint64_t>(it->get<int64_t>());
    return 0;
}

void lag_metrics(families& f, const json& lags) {
    for (auto it = lags.begin(); it != lags.end(); ++it) {
        const json& l = *it;
        const std::string lag = it.key();
        const labels ll{{"lag", lag}};
        f.gauge("dpdk_lag_up", "1 while the LAG is available (enough members operational for min_links)", ll,
                str(l, "state") == "available");
        f.gauge("dpdk_lag_state", "the LAG's state (pending, available, down) in the state label; always 1",
                {{"lag", lag}, {"state", str(l, "state")}}, 1);
        f.gauge("dpdk_lag_info", "the LAG's settings in labels; always 1",
                {{"lag", lag}, {"speed", str(l, "speed")}, {"hash", str(l, "hash")},
                 {"hash_algo", str(l, "hash_algo")}, {"access", str(l, "access")}, {"profile", str(l, "profile")}},
                1);
        f.gauge("dpdk_lag_min_links", "the LAG's min_links", ll, num(l, "min_links"));
        f.gauge("dpdk_lag_members", "members of the LAG", ll, l.contains("members") ? l["members"].size() : 0);
        f.gauge("dpdk_lag_operational_members", "members that distribute now", ll, num(l, "operational_members"));
        if (!l.contains("members"))
            continue;
        for (const json& m : l["members"]) {
            const std::string port = str(m, "port");
            const labels ml{{"lag", lag}, {"port", port}};
            f.gauge("dpdk_lag_member_link_up", "1 while the member's link is up", ml, str(m, "link") == "up");
            f.gauge("dpdk_lag_member_operational", "1 while the member distributes", ml,
                    str(m, "status") == "operational");
            f.gauge("dpdk_lag_member_status",
                    "the member's status (operational, not-distributing, partner-mismatch, speed-mismatch) in the status label; "
                    "always 1",
                    {{"lag", lag}, {"port", port}, {"status", str(m, "status")}}, 1);
            const std::string mux = str(m, "lacp_mux");
            f.gauge("dpdk_lag_lacp_mux_state",
                    "the member's LACP mux state (802.1AX names; static: no LACP) in the state label; always 1",
                    {{"lag", lag}, {"port", port}, {"state", mux}}, 1);
            f.gauge("dpdk_lag_lacp_collecting_distributing", "1 while LACP's mux is COLLECTING_DISTRIBUTING", ml,
                    mux == "COLLECTING_DISTRIBUTING");
            if (!str(m, "partner_system").empty()) {
                f.gauge("dpdk_lag_lacp_partner_key", "the LACP partner's operational key", ml, num(m, "partner_key"));
                f.gauge("dpdk_lag_lacp_partner_info", "the LACP partner's system id in a label; always 1",
                        {{"lag", lag}, {"port", port}, {"partner_system", str(m, "partner_system")}}, 1);
            }
            if (m.contains("mka_secured")) {
                f.gauge("dpdk_lag_mka_secured", "1 while the member's MKA session is secured", ml,
                        num(m, "mka_secured"));
                f.gauge("dpdk_lag_mka_key_server", "1 while this side is the member's MKA key server", ml,
                        num(m, "mka_key_server"));
                f.gauge("dpdk_lag_mka_live_peers", "MKA live peers of the member", ml, num(m, "mka_live_peers"));
                if (m.contains("mka_an") && m["mka_an"].is_number_integer() && m["mka_an"].get<int64_t>() >= 0)
                    f.gauge("dpdk_lag_mka_sak_an", "the AN of the member's latest SAK", ml, num(m, "mka_an"));
                f.gauge("dpdk_lag_mka_key_server_priority", "the member's MKA key server priority (lower wins)", ml,
                        num(m, "mka_key_server_priority"));
                f.gauge("dpdk_lag_mka_rekey_interval_seconds", "the key server's SAK rekey interval, 0: off", ml,
                        num(m, "mka_rekey_interval"));
                if (m.contains("mka_since_rekey") && m["mka_since_rekey"].is_number_integer() &&
                    m["mka_since_rekey"].get<int64_t>() >= 0)
                    f.gauge("dpdk_lag_mka_seconds_since_rekey", "seconds since the member's latest SAK was installed",
                            ml, num(m, "mka_since_rekey"));
            }
        }
    }
}

void port_metrics(families& f, const json& stats, const json& xstats) {
    for (auto it = xstats.begin(); it != xstats.end(); ++it) {
        const std::string port = it.key();
        const json st = stats.contains(port) ? stats[port] : json::object();
        const labels pl{{"lag", str(st, "lag")}, {"port", port}, {"role", str(st, "role")}};
        // Every xstats counter under its own name: the names are append-only
        // (dataplane/xstats.hpp), so these are too.
        for (auto x = it->begin(); x != it->end(); ++x)
            if (x->is_number())
                f.counter(fmt::format("dpdk_lag_port_{}_total", x.key()),
                          fmt::format("the port's xstats counter {}", x.key()), pl, x->get<uint64_t>());
    }
}

void macsec_metrics(families& f, const json& macsec) {
    for (const json& m : macsec) {
        const std::string lag = str(m, "lag"), port = str(m, "port");
        const labels ml{{"lag", lag}, {"port", port}};
        f.gauge("dpdk_lag_macsec_state", "the member's MACsec state (off, static, secured, ...) in the state label; "
                                         "always 1",
                {{"lag", lag}, {"port", port}, {"state", str(m, "macsec")}}, 1);
        if (!m.contains("sci"))
            continue;
        f.gauge("dpdk_lag_macsec_secy_info", "the member's SecY (SCI, suite, validation) in labels; always 1",
                {{"lag", lag}, {"port", port}, {"sci", str(m, "sci")}, {"suite", str(m, "suite")},
                 {"validate", str(m, "validate")}},
                1);
        f.gauge("dpdk_lag_macsec_confidentiality", "1 if the SecY encrypts (0: integrity only)", ml,
                num(m, "confidentiality"));
        if (m.contains("tx_sa"))
            for (const json& sa : m["tx_sa"]) {
                const labels sl{{"lag", lag}, {"port", port}, {"an", std::to_string(num(sa, "an"))}};
                f.gauge("dpdk_lag_macsec_tx_sa_in_use", "1 for the transmit SA in use", sl, num(sa, "in_use"));
                f.gauge("dpdk_lag_macsec_tx_sa_next_pn", "the transmit SA's next PN", sl, num(sa, "next_pn"));
                f.gauge("dpdk_lag_macsec_tx_sa_near_exhaustion", "1 once the transmit SA's PN nears its end", sl,
                        num(sa, "near_exhaustion"));
                f.counter("dpdk_lag_macsec_tx_sa_protected_packets_total", "OutPktsProtected of the transmit SA",
                          sl, num(sa, "out_pkts_protected"));
                f.counter("dpdk_lag_macsec_tx_sa_encrypted_packets_total", "OutPktsEncrypted of the transmit SA",
                          sl, num(sa, "out_pkts_encrypted"));
            }
        if (m.contains("rx_sc"))
            for (const json& sc : m["rx_sc"]) {
                if (!sc.contains("sa"))
                    continue;
                for (const json& sa : sc["sa"]) {
                    const labels sl{{"lag", lag},
                                    {"port", port},
                                    {"sci", str(sc, "sci")},
                                    {"an", std::to_string(num(sa, "an"))}};
                    f.gauge("dpdk_lag_macsec_rx_sa_lowest_acceptable_pn", "the receive SA's lowest acceptable PN",
                            sl, num(sa, "lowest_acceptable_pn"));
                    f.counter("dpdk_lag_macsec_rx_sa_late_packets_total", "frames the receive SA dropped as late",
                              sl, num(sa, "late"));
                }
            }
    }
}

} // namespace

std::string prometheus_text(const json& lags, const json& stats, const json& xstats, const json& macsec) {
    families f;
    lag_metrics(f, lags);
    port_metrics(f, stats, xstats);
    macsec_metrics(f, macsec);
    return f.text();
}

result<void> write_metrics_file(const std::string& path, std::string_view text) {
    const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return make_error("metrics-file", fmt::format("{}: {}", tmp, std::strerror(errno)));
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return make_error("metrics-file", fmt::format("{}: {}", tmp, std::strerror(e)));
        }
        done += static_cast<size_t>(n);
    }
    ::fchmod(fd, 0644); // whatever the umask
    if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        return make_error("metrics-file", fmt::format("{}: {}", path, std::strerror(e)));
    }
    return ok_v;
}

} // namespace lag::lagd
