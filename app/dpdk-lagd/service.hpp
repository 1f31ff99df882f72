#pragma once
// The one core function behind dpdk-lagd's control socket, its `-i` prompt
// and lagctl: a command line in, a reply out. It runs on the control core
// (the main loop polls the socket), so it reads and changes the LAG model and
// the control object without any lock. Every change goes through the LAG
// model, so its rules reach the user as one-line errors naming the rule and
// a refused command changes nothing.

#include "cli/cli.hpp"
#include "config.hpp"
#include "control/control.hpp"
#include "sock/sock.hpp"

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace lag::lagd {

struct port_info {
    std::string name;
    std::string role; // "access" or "member"
    uint16_t id;
};

// A member's MKA session (no key material).
struct mka_view {
    bool on = false;
    bool secured = false;
    bool key_server = false;    // this side distributes the SAK
    unsigned live_peers = 0;
    std::string key_server_sci; // empty: none elected
    int an = -1;                // latest SAK's AN, -1: none
    std::string cipher;         // its suite
};

// What protocols say about a member, for `show lag` and `show lacp`.
struct member_view {
    std::string lacp_mux = "static"; // the LACP mux state, or "static" without LACP
    std::string partner_system;      // empty when no partner is known
    unsigned partner_key = 0;
    std::string macsec = "off";
    mka_view mka;
};
using member_view_fn = std::function<member_view(std::string_view port)>;

class service {
public:
    service(daemon_config& cfg, model::lag_model& model, ctl::control& control,
            std::vector<port_info> ports, std::string config_path);

    // Parses and runs one command line.
    sock::reply execute(std::string_view line, time_point now);

    void set_member_view(member_view_fn f) { _member_view = std::move(f); }
    // MKA's run-time commands (`set lag NAME macsec rekey`, `set lag NAME
    // macsec ckn ...`, `unset lag NAME macsec`): the reply, or why not. Without
    // a handler (no MKA) they are refused.
    using mka_fn = std::function<result<std::string>(const cli::parsed_command&, time_point)>;
    void set_mka(mka_fn f) { _mka = std::move(f); }
    // Called after every successful change when autosave is on.
    void set_autosave(bool on) { _autosave = on; }

    // What `show lag NAME json` and `show stats json` answer; also what the
    // telemetry endpoints publish.
    nlohmann::json lag_json() const;
    nlohmann::json stats_json() const;

    // The config as it would be saved: the file (or the embedded default)
    // with run-time changes applied, as TOML.
    result<std::string> current_config_text() const;

private:
    sock::reply show_lag(const cli::parsed_command& c) const;
    sock::reply show_lacp(const cli::parsed_command& c) const;
    sock::reply show_stats(const cli::parsed_command& c) const;
    sock::reply save_config();
    sock::reply changed();
    const port_info* find_port(std::string_view name) const;
    dp::port_totals totals(const port_info& p) const;

    daemon_config& _cfg;
    model::lag_model& _model;
    ctl::control& _control;
    std::vector<port_info> _ports;
    std::string _config_path; // empty: started on the embedded default
    std::vector<dp::port_totals> _baseline; // per _ports entry, for `clear stats`
    member_view_fn _member_view;
    mka_fn _mka;
    bool _autosave = false;
};

// Writes `text` to `path` atomically: a temporary file in the same folder,
// fsync, rename over, fsync of the folder. The file keeps `path`'s mode if it
// exists (0600 otherwise). A crash leaves either the old or the new file.
result<void> write_file_atomically(const std::string& path, std::string_view text);

} // namespace lag::lagd
