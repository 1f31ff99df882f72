#pragma once
// Run-time membership for dpdk-lagd: what `add member` and `remove member`
// do below the LAG model, in this order.
//
// add member PORT: the model takes it (checked on a copy first), its
// [[lag.macsec.member]] exists when the LAG has MACsec, then the device is
// probed and configured/started with the workers' queues (and LACP's) while
// the workers run (no snapshot names it yet, so no worker touches it), its
// SecY and SAs go to the workers (ahead of the snapshot, on the same rings),
// control adds it to the model and publishes the snapshot that includes it,
// and the LACP driver takes it.
//
// Under MKA the CAK file and the profile's rules with it are checked first
// too; after the device starts, the port's MKA participant and SecY come
// before the snapshot, and under must_encrypt it joins the control with its
// gate closed: it distributes once its session secures.
//
// remove member PORT: control removes it from the model (refused below
// min-links) and publishes a snapshot without it, the LACP driver lets it
// go, its MKA participant ends and its SAs leave the workers (freed, keys
// wiped, after QSBR), and once every worker passed a quiescent state after
// that snapshot poll() stops the port. A static SecY stays for a later
// `add member`.
//
// One runtime_topology per LAG (`lag` names its [[lag]] in the config);
// moving a port between LAGs is lag_host's (remove here, add there).

#include "config.hpp"
#include "control/control.hpp"
#include "control/macsec_driver.hpp"
#include "engine/engine.hpp"
#include "lacp_setup.hpp"
#include "engine/port_io.hpp"
#include "mka_setup.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lag::lagd {

// A port dpdk-lagd opened: access, member, or standalone (left the LAG,
// stopped, ready to come back).
struct port_row {
    std::string name;
    engine::port_role role;
    uint16_t id;
    bool control_queue = false; // opened with the spare TX queue (LACPDUs, MKPDUs); else its ring
};

// After the port started (configure_and_start(s)): on a member, tries
// rte_flow steering of its EAPOL (and with `clear_lacp` its LACP) frames
// to a control-polled RX queue (a refusal is counted, logged the first
// time, and leaves the punt path); then tells the workers how many RX
// queues it has, and where its control frames leave (its spare TX queue,
// or its ring).
result<void> route_port_io(dp::port_io& io, engine::port_io& ports, uint16_t id, bool member, bool control_queue,
                           const engine::port_setup& s, bool clear_lacp, const std::string& name);
// LACP runs beside MACsec or without it: its frames are 0x8809 on the wire.
bool lacp_runs_clear(const lag_config& lc);

class runtime_topology {
public:
    // `setup` is a member's queue set-up (workers' queues and the spare one
    // for LACP and MKA); `mka` the LAG's MKA runtime, created at run time;
    // `io` every device operation (lib/engine's port_io, ethdev here).
    runtime_topology(std::string lag, const daemon_config& cfg, model::lag_model& model, ctl::control& c,
                     lacp_runtime* lacp, ctl::macsec_driver* macsec, const std::unique_ptr<mka_runtime>& mka,
                     const engine::port_setup& setup, std::vector<port_row>& rows, engine::port_io& io)
        : _lag(std::move(lag)), _cfg(cfg), _model(model), _control(c), _lacp(lacp), _macsec(macsec), _mka(mka),
          _setup(setup), _rows(rows), _io(io) {}

    // Every check add_member makes that can refuse, touching nothing (the
    // model on a copy: a port of another LAG is a move there).
    result<void> check_add(const std::string& port) const;
    result<uint16_t> add_member(const std::string& port, time_point now);
    result<void> remove_member(const std::string& port, time_point now);
    result<void> set_lacp_rate(lacp::lacp_rate rate, time_point now);

    // Stops the ports no worker uses any more; returns how many.
    unsigned poll();

private:
    port_row* row(const std::string& name);
    const lag_config& lag() const { return *_cfg.lag(_lag); }

    std::string _lag;
    const daemon_config& _cfg;
    model::lag_model& _model;
    ctl::control& _control;
    lacp_runtime* _lacp;
    ctl::macsec_driver* _macsec;
    const std::unique_ptr<mka_runtime>& _mka;
    engine::port_setup _setup;
    std::vector<port_row>& _rows;
    engine::port_io& _io;
};

} // namespace lag::lagd
