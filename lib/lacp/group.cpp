#include "lacp/group.hpp"

#include "lacp/receive_machine.hpp"
#include "lacp/selection_logic.hpp"

#include <fmt/format.h>

namespace lag::lacp {

group::group(const group_config& c) : _cfg(c) {}

result<uint16_t> group::add_port(const port_config& pc, time_point now, actions& out) {
    if (_ports.size() >= 0xffff)
        return make_error("lacp-ports", "too many ports in one LACP group");
    if (pc.port_number == 0)
        return make_error("lacp-port-number", "port number 0 is reserved");
    if (pc.mac.is_multicast() || pc.mac.is_zero())
        return make_error("lacp-port-mac", "a port's source MAC must be a unicast address");
    for (const auto& p : _ports)
        if (p.actor.port == pc.port_number)
            return make_error("lacp-port-number",
                              fmt::format("port number {} is already used", pc.port_number));
    port_vars p;
    p.index = static_cast<uint16_t>(_ports.size());
    p.mac = pc.mac;
    p.admin_key = _cfg.key;
    p.actor.system_priority = _cfg.system_priority;
    p.actor.system = _cfg.system_id;
    p.actor.key = _cfg.key;
    p.actor.port_priority = pc.port_priority;
    p.actor.port = pc.port_number;
    p.actor.set(state_bit::lacp_activity, _cfg.mode == lacp_mode::active);
    p.actor.set(state_bit::lacp_timeout, _cfg.rate == lacp_rate::fast);
    p.actor.set(state_bit::aggregation, true);
    // Partner_Admin_*: nothing known. Passive, individual, out of sync: a
    // defaulted port never collects or distributes, and a passive one stays
    // silent. Its LACP_Timeout follows our own rate, so a defaulted port keeps
    // sending at that rate and a mended link comes back within one period
    // (with Long, a fast LAG would wait up to Slow_Periodic_Time).
    p.partner_admin = port_info{};
    p.partner_admin.set(state_bit::lacp_timeout, _cfg.rate == lacp_rate::fast);
    p.partner = p.partner_admin;
    p.begin = true;
    _ports.push_back(p);
    step(now, out);
    return p.index;
}

void group::set_link(uint16_t port, bool up, time_point now, actions& out) {
    if (port >= _ports.size())
        return;
    port_vars& p = _ports[port];
    // Not in the figures: a port that comes up says so at once instead of
    // after the first periodic_timer (NTT may be set at any time; the
    // Transmit machine's limit still holds).
    if (up && !p.port_enabled)
        p.ntt = true;
    p.port_enabled = up;
    step(now, out);
}

std::optional<parse_error> group::on_frame(uint16_t port, byte_view frame, time_point now,
                                           actions& out) {
    if (port >= _ports.size())
        return std::nullopt;
    port_vars& p = _ports[port];
    decoded d = decode(frame);
    if (auto* e = std::get_if<parse_error>(&d)) {
        ++p.counters.errors[static_cast<size_t>(*e)];
        ++p.counters.illegal_rx;
        return *e;
    }
    if (auto* m = std::get_if<marker_pdu>(&d)) {
        if (m->response) {
            ++p.counters.marker_response_pdus_rx;
            return std::nullopt;
        }
        ++p.counters.marker_pdus_rx;
        if (!p.port_enabled) {
            ++p.counters.rx_while_disabled;
            return std::nullopt;
        }
        // Marker Responder (6.5.4.2): the same information back, as a response.
        marker_pdu r = *m;
        r.source = p.mac;
        r.version = 1;
        r.response = true;
        action a;
        a.kind = action_kind::transmit;
        a.port = port;
        a.tx = encode(r);
        out.push_back(a);
        ++p.counters.marker_response_pdus_tx;
        _last_now = now;
        return std::nullopt;
    }
    ++p.counters.lacpdus_rx;
    if (!p.port_enabled) {
        ++p.counters.rx_while_disabled;
        return std::nullopt;
    }
    p.rx = std::get<lacpdu>(d);
    p.pdu_pending = true;
    step(now, out);
    return std::nullopt;
}

void group::tick(time_point now, actions& out) { step(now, out); }

void group::set_port_key(uint16_t port, uint16_t key, time_point now, actions& out) {
    if (port >= _ports.size())
        return;
    port_vars& p = _ports[port];
    p.admin_key = key;
    p.actor.key = key;
    p.ntt = true;
    step(now, out);
}

void group::set_system(uint16_t priority, const mac_addr& id, time_point now, actions& out) {
    _cfg.system_priority = priority;
    _cfg.system_id = id;
    for (auto& p : _ports) {
        p.actor.system_priority = priority;
        p.actor.system = id;
        p.ntt = true;
    }
    step(now, out);
}

void group::set_rate(lacp_rate rate, time_point now, actions& out) {
    _cfg.rate = rate;
    bool fast = rate == lacp_rate::fast;
    for (auto& p : _ports) {
        p.actor.set(state_bit::lacp_timeout, fast);
        p.partner_admin.set(state_bit::lacp_timeout, fast);
        if (p.rx_state == receive_state::defaulted)
            p.partner.set(state_bit::lacp_timeout, fast); // recordDefault's copy
        p.ntt = true;
    }
    step(now, out);
}

std::optional<time_point> group::next_deadline() const {
    std::optional<time_point> best;
    auto consider = [&](std::optional<time_point> t) {
        if (t && *t > _last_now && (!best || *t < *best))
            best = t;
    };
    for (const auto& p : _ports) {
        consider(p.current_while.deadline);
        consider(p.periodic.deadline);
        consider(p.wait_while.deadline);
        consider(p.actor_churn_timer.deadline);
        consider(p.partner_churn_timer.deadline);
        consider(tx_window_opens(p));
    }
    return best;
}

port_status group::status(uint16_t port) const {
    const port_vars& p = _ports.at(port);
    port_status s{};
    s.receive = p.rx_state;
    s.periodic = p.periodic_st;
    s.mux = p.mux_st;
    s.actor_churn_st = p.actor_churn_st;
    s.partner_churn_st = p.partner_churn_st;
    s.selected = p.selected;
    s.reason = p.reason;
    s.actor = p.actor;
    s.partner = p.partner;
    s.heard_partner = observe(p).partner;
    s.collecting = p.actor.has(state_bit::collecting);
    s.distributing = p.actor.has(state_bit::distributing);
    s.actor_churn = p.actor_churn;
    s.partner_churn = p.partner_churn;
    return s;
}

group::observed group::observe(const port_vars& p) const {
    observed o{};
    o.collecting = p.actor.has(state_bit::collecting);
    o.distributing = p.actor.has(state_bit::distributing);
    o.actor_churn = p.actor_churn;
    o.partner_churn = p.partner_churn;
    o.selected = p.selected;
    o.reason = p.reason;
    if (p.port_enabled && !p.actor.has(state_bit::defaulted) &&
        (p.rx_state == receive_state::current || p.rx_state == receive_state::expired))
        o.partner = partner_of(p);
    return o;
}

// One step of every machine of every port at `now`: Receive and Periodic,
// then the Selection Logic over the LAG, then Mux, repeated until nothing
// moves (a change in one can enable an arrow in another); then Churn
// Detection and Transmit, so one step sends at most one LACPDU per port with
// everything that changed in it.
void group::step(time_point now, actions& out) {
    if (now > _last_now)
        _last_now = now;
    std::vector<observed> before;
    before.reserve(_ports.size());
    for (const auto& p : _ports)
        before.push_back(observe(p));

    step_context ctx{now, _ports, _cfg.key, &out};
    for (int pass = 0; pass < 8; ++pass) {
        int changed = 0;
        for (auto& p : _ports) {
            changed += run_receive_machine(p, ctx);
            changed += run_periodic_machine(p, ctx);
        }
        changed += run_selection_logic(_aggregator_partner, ctx);
        for (auto& p : _ports)
            changed += run_mux_machine(p, ctx);
        bool began = false;
        for (auto& p : _ports)
            if (p.begin) {
                p.begin = false;
                began = true;
            }
        if (changed == 0 && !began)
            break;
    }
    for (auto& p : _ports) {
        run_actor_churn_machine(p, ctx);
        run_partner_churn_machine(p, ctx);
        run_transmit_machine(p, ctx);
        p.pdu_pending = false;
    }

    for (size_t i = 0; i < _ports.size(); ++i) {
        const observed& was = before[i];
        observed now_o = observe(_ports[i]);
        action a;
        a.port = static_cast<uint16_t>(i);
        if (now_o.selected != was.selected || now_o.reason != was.reason) {
            a.kind = action_kind::selection;
            a.selected = now_o.selected;
            a.reason = now_o.reason;
            out.push_back(a);
        }
        if (now_o.partner != was.partner) {
            a.kind = action_kind::partner;
            a.partner = now_o.partner;
            out.push_back(a);
            a.partner.reset();
        }
        auto flag = [&](action_kind k, bool old_v, bool new_v) {
            if (old_v != new_v) {
                a.kind = k;
                a.on = new_v;
                out.push_back(a);
            }
        };
        flag(action_kind::collecting, was.collecting, now_o.collecting);
        flag(action_kind::distributing, was.distributing, now_o.distributing);
        flag(action_kind::actor_churn, was.actor_churn, now_o.actor_churn);
        flag(action_kind::partner_churn, was.partner_churn, now_o.partner_churn);
    }
}

} // namespace lag::lacp
