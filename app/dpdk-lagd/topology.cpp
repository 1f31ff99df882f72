#include "topology.hpp"

#include "macsec_setup.hpp"
#include "port_io_ethdev.hpp"
#include "port_speed.hpp"

#include <fmt/format.h>

namespace lag::lagd {

bool lacp_runs_clear(const lag_config& lc) {
    return lacp_enabled(lc) && (!lc.macsec.enabled || lc.macsec.lacp == macsec_lacp::clear);
}

result<void> route_port_io(dp::port_io& io, engine::port_io& ports, uint16_t id, bool member, bool control_queue,
                           const engine::port_setup& s, bool clear_lacp, const std::string& name) {
    // Steering is ethdev's (rte_flow); another port_io (a test's) punts.
    auto* eth = dynamic_cast<net::ethdev_port_io*>(&ports);
    if (member && eth != nullptr) {
        if (auto q = net::steer_control_frames(id, eth->net_setup(s), clear_lacp); q) {
            io.set_steered(id, *q);
            dpdk::log(dpdk::log_type::control, dpdk::log_level::notice,
                      "port '{}': EAPOL{} steered by rte_flow to RX queue {}, polled by control", name,
                      clear_lacp ? " and LACP" : "", *q);
        } else if (io.steer_refused(id)) {
            dpdk::log(dpdk::log_type::control, dpdk::log_level::warning,
                      "port '{}': {} [rule: rte-flow]; its control frames take the punt path", name,
                      q.err().message);
        }
    }
    io.set_rx_queues(id, net::rx_queue_count(id));
    if (!member || control_queue) {
        io.use_own_queue(id);
        return ok_v;
    }
    return io.use_ctl_ring(id);
}

port_row* runtime_topology::row(const std::string& name) {
    for (auto& r : _rows)
        if (r.name == name)
            return &r;
    return nullptr;
}

result<void> runtime_topology::check_add(const std::string& port) const {
    const lag_config& lc = lag();
    if (_cfg.port(port) == nullptr)
        return make_error("no-such-port", fmt::format("there is no [[port]] '{}'", port));
    {
        model::lag_model trial = _model;
        if (auto r = trial.add_member(lc.name, port); !r)
            return r.err();
    }
    if (_macsec != nullptr) {
        bool keyed = false;
        for (const auto& mm : lc.macsec.members)
            keyed = keyed || mm.port == port;
        if (!keyed)
            return make_error("macsec-member",
                              fmt::format("LAG {} runs MACsec and [lag.macsec] has no [[lag.macsec.member]] for '{}'",
                                          lc.name, port));
        if (auto k = load_key_file(lc.macsec.key_file); !k)
            return k.err();
    }
    // MKA: the CAK file and the profile's rules with it on this port (the
    // config it makes is dropped here, its CAK wiped).
    if (_mka)
        if (auto m = _mka->prepare_member(lc, port); !m)
            return m.err();
    return ok_v;
}

result<uint16_t> runtime_topology::add_member(const std::string& port, time_point now) {
    const lag_config& lc = lag();
    // Everything that can refuse, before any device is touched.
    if (auto ok = check_add(port); !ok)
        return ok.err();
    const port_config* pc = _cfg.port(port);
    std::optional<key_map> keys;
    if (_macsec != nullptr) {
        auto k = load_key_file(lc.macsec.key_file);
        if (!k)
            return k.err();
        keys = std::move(*k);
    }
    std::optional<ctl::mka_driver_config> mka;
    if (_mka) {
        auto m = _mka->prepare_member(lc, port);
        if (!m)
            return m.err();
        mka = std::move(*m);
    }

    // A port that left a LAG (this one or another) is stopped: probed
    // afresh, as at start. Not one the workers still use.
    if (auto old = _io.probe(pc->device); old && _control.leaving(*old))
        return make_error("port-busy", fmt::format("port '{}' is still leaving the workers; retry", port));
    auto id = _io.reprobe(pc->device);
    if (!id)
        return make_error("device", fmt::format("port '{}': {}", port, id.err().to_string()));
    auto setup = engine::member_setup(_io, *id, port, _setup, false);
    if (!setup)
        return setup.err();
    // The LAG's MTU now (`set lag NAME mtu N` changes it), plus MACsec's.
    setup->first.mtu = static_cast<uint16_t>(lc.mtu + member_mtu_overhead(lc));
    // From here each step that changed something says how to undo it; a
    // refusal further on undoes them in reverse (when `undo` goes out of
    // scope uncommitted): the one rollback of add member.
    engine::rollback undo;
    undo.push([this, dev = *id] { _io.stop(dev); });
    if (auto ok = _io.configure_and_start(*id, setup->first); !ok)
        return make_error("device", fmt::format("port '{}': {}", port, ok.err().to_string()));
    if (dp::port_io* io = _control.config().io; io != nullptr)
        if (auto ok = route_port_io(*io, _io, *id, true, setup->second, setup->first, lacp_runs_clear(lc), port); !ok)
            return ok.err();
    // MACsec before the snapshot: the SecY and SAs are on the workers' rings
    // ahead of it, so no frame leaves this member in the clear. (A static
    // SecY stays for a later add member: no undo step.)
    if (_macsec != nullptr)
        if (auto ok = add_static_macsec_port(*_macsec, lc, port, *id, *keys); !ok)
            return ok.err();
    keys.reset(); // wiped
    ctl::member_binding mb{port, *id, speed_checked(_cfg, port, *id)};
    // MKA likewise: its participant and SecY before the snapshot.
    if (mka) {
        if (auto ok = _mka->add_member(mb, *mka, now); !ok)
            return ok.err();
        mka.reset(); // the CAK wiped (the participant keeps ICK and KEK)
        undo.push([this, &port, dev = *id] { // no snapshot named it: its SecY goes at once
            _mka->remove_member(port);
            _mka->released(dev);
        });
    }
    if (auto ok = _control.add_member(mb, now, !_mka || _mka->gate_open_at_join()); !ok)
        return ok.err();
    // Control owns the port now: taking it out of control is the whole undo
    // (poll() stops the port and frees its SecY once the workers let go).
    undo.replace([this, &port, now] {
        (void)_control.remove_member(port, now);
        if (_mka)
            _mka->remove_member(port);
    });
    if (_lacp != nullptr)
        if (auto ok = _lacp->add_member(_cfg, mb, now); !ok)
            return ok.err();
    undo.commit();
    if (port_row* r = row(port)) {
        r->id = *id; // reprobed: it may have another id
        r->role = engine::port_role::member;
        r->control_queue = setup->second;
    } else {
        _rows.push_back({port, engine::port_role::member, *id, setup->second});
    }
    return *id;
}

result<void> runtime_topology::remove_member(const std::string& port, time_point now) {
    if (auto ok = _control.remove_member(port, now); !ok)
        return ok;
    if (_lacp != nullptr)
        _lacp->remove_member(port, now);
    if (_mka)
        _mka->remove_member(port);
    if (port_row* r = row(port))
        r->role = engine::port_role::standalone;
    return ok_v;
}

result<void> runtime_topology::set_lacp_rate(lacp::lacp_rate rate, time_point now) {
    if (_lacp == nullptr)
        return make_error("lacp-off", fmt::format("LAG {} runs without LACP (no [lag.lacp])", _lag));
    _lacp->set_rate(rate, now);
    return ok_v;
}

unsigned runtime_topology::poll() {
    auto ports = _control.take_released();
    for (uint16_t id : ports) {
        if (_mka)
            _mka->released(id);
        _io.stop(id);
        dpdk::log(dpdk::log_type::control, dpdk::log_level::info, "DPDK port {} stopped", id);
    }
    return static_cast<unsigned>(ports.size());
}

} // namespace lag::lagd
