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
#include "control/macsec_driver.hpp"
#include "engine/engine.hpp"
#include "sock/sock.hpp"

#include <functional>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace lag::lagd {

struct port_info {
    std::string name;
    engine::port_role role; // standalone: left the LAG at run time, still open
    uint16_t id;
    std::string lag;  // the LAG whose runtime has it open (and counts its frames)
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
    std::string ckn;            // the CKN its session runs with, in hex (public; never the CAK)
    unsigned key_server_priority = 0;
    uint32_t rekey_interval = 0; // seconds, 0: off
    int64_t since_rekey = -1;    // whole seconds since its latest SAK was installed, -1: none
    // The member's key chain: each key's CKN (hex), state (associating,
    // associated, disassociating, disassociated), start (RFC 3339, empty:
    // from the start) and whether it is the fallback. Never a CAK.
    struct key {
        std::string ckn;
        std::string state;
        std::string start;
        bool fallback = false;
    };
    std::vector<key> keys;
    bool fallback = false;           // the CA in use is the fallback's
    uint64_t fallback_activations = 0; // times the member moved to the fallback
    uint64_t rollovers = 0;          // times it moved to a newer key
    // Why MACsec keeps the member from distributing, or makes it send in the
    // clear (empty: neither): e.g. its session lost under must_encrypt.
    std::string reason;
};

// What protocols say about a member, for `show lag` and `show lacp`.
struct member_view {
    std::string lacp_mux = "static"; // the LACP mux state, or "static" without LACP
    std::string partner_system;      // empty when no partner is known
    unsigned partner_key = 0;
    std::string macsec = "off";
    mka_view mka;
    // Where its EAPOL and clear LACP frames reach control: "punt" (the
    // workers pass them on) or "rte_flow" (steered to RX queue
    // control_rx_queue, polled by control); steer_refused: the device
    // refused the rules (counted; the punt path taken).
    std::string control_rx = "punt";
    int control_rx_queue = -1;
    uint64_t steer_refused = 0;
};

// What the service drives below the LAG model: dpdk-lagd's LAGs (any
// number, each with its ports, control, LACP and MACsec; lag_runtime.hpp).
// Each change either does all of it or returns the error naming the rule and
// leaves things as they were.
class host {
public:
    virtual ~host() = default;
    virtual ctl::control* control(std::string_view lag) noexcept = 0; // null: no such LAG runs
    virtual const ctl::macsec_driver* macsec(std::string_view lag) const noexcept = 0;
    virtual std::vector<port_info> ports() const = 0; // the ports open now, every LAG's
    virtual member_view view(std::string_view port) const = 0;
    // Returns the member's DPDK port id. A member of another LAG moves:
    // refused with nothing changed, or removed there and added here.
    virtual result<uint16_t> add_member(const std::string& lag, const std::string& port, time_point now) = 0;
    virtual result<void> remove_member(const std::string& lag, const std::string& port, time_point now) = 0;
    virtual result<void> set_lacp_rate(const std::string& lag, lacp::lacp_rate rate, time_point now) = 0;
    // The LAG's MTU on its access port and members (plus MACsec's there):
    // every port checked first, a refusal [rule: mtu] changes nothing.
    virtual result<void> set_mtu(const std::string& lag, unsigned mtu, time_point now) = 0;
    // `l` (name, access, members, min_links) becomes one more LAG.
    virtual result<void> create_lag(const lag_config& l, model::port_speed speed, time_point now) = 0;
    virtual result<void> delete_lag(const std::string& lag, time_point now) = 0;
    // MKA's run-time commands (`set lag NAME macsec rekey`, `set lag NAME
    // macsec ckn ...`, `unset lag NAME macsec`): the reply, or why not.
    virtual bool has_mka(std::string_view lag) const noexcept = 0;
    virtual result<std::string> mka_command(const std::string& lag, const cli::parsed_command& c,
                                            time_point now) = 0;
};

class service {
public:
    service(daemon_config& cfg, model::lag_model& model, host& h, std::string config_path);

    // Parses and runs one command line.
    sock::reply execute(std::string_view line, time_point now);

    // Called after every successful change when autosave is on.
    void set_autosave(bool on) { _autosave = on; }

    // What `show lag NAME json` and `show stats json` answer (empty objects
    // for no such LAG); lags_json(): every LAG's, keyed by name (`show lag
    // json`, and what the telemetry endpoints publish).
    nlohmann::json lag_json(std::string_view name) const;
    nlohmann::json lags_json() const;
    nlohmann::json stats_json() const;
    // The speed the member's running link reports where it is checked (Mb/s), else null.
    nlohmann::json link_speed_json(std::string_view port) const;
    // Per port, every counter under its xstats name (dataplane/xstats.hpp).
    nlohmann::json xstats_json() const;
    // Per member of every LAG, its SecY and SAs (never a key); what `show
    // macsec json` answers.
    nlohmann::json macsec_json() const;

    // The config as it would be saved: the file (or the embedded default)
    // with run-time changes applied, as TOML.
    result<std::string> current_config_text() const;

private:
    sock::reply run(std::string_view line, time_point now);
    sock::reply show_lag(const cli::parsed_command& c) const;
    std::string lag_text(const nlohmann::json& lag) const;
    sock::reply show_lacp(const cli::parsed_command& c) const;
    sock::reply show_stats(const cli::parsed_command& c) const;
    sock::reply show_macsec(const cli::parsed_command& c) const;
    sock::reply save_config();
    sock::reply changed();
    sock::reply add_member(const cli::parsed_command& c, time_point now);
    sock::reply remove_member(const cli::parsed_command& c, time_point now);
    sock::reply set_lacp_rate(const cli::parsed_command& c, time_point now);
    sock::reply create_lag(const cli::parsed_command& c, time_point now);
    sock::reply delete_lag(const cli::parsed_command& c, time_point now);
    std::optional<port_info> find_port(std::string_view name) const;
    dp::port_totals totals(const port_info& p) const;
    const lag_config* lag(std::string_view name) const { return _cfg.lag(name); }
    const lag_config* access_of(std::string_view port) const; // the LAG whose access port it is

    daemon_config& _cfg;
    model::lag_model& _model;
    host& _host;
    std::string _config_path; // empty: started on the embedded default
    std::map<std::string, dp::port_totals, std::less<>> _baseline; // per port, for `clear stats`
    std::string _last_access; // the access port of a LAG deleted at run time
    bool _autosave = false;
};

// Writes `text` to `path` atomically: a temporary file in the same folder,
// fsync, rename over, fsync of the folder. The file keeps `path`'s mode if it
// exists (0600 otherwise). A crash leaves either the old or the new file.
result<void> write_file_atomically(const std::string& path, std::string_view text);

} // namespace lag::lagd
