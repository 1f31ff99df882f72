#include "lacp/receive_machine.hpp"

namespace lag::lacp {

namespace {

using st = receive_state;
using ev = receive_event;

// Figure 6-18, one row per arrow, in priority order.
constexpr std::array receive_table{
    global(ev::begin, st::initialize),
    global(ev::port_disabled, st::port_disabled),
    from(st::initialize, ev::uct, st::port_disabled),
    from(st::port_disabled, ev::port_moved, st::initialize),
    from(st::port_disabled, ev::port_enabled_lacp_enabled, st::expired),
    from(st::port_disabled, ev::port_enabled_lacp_disabled, st::lacp_disabled),
    from(st::lacp_disabled, ev::lacp_enabled, st::port_disabled),
    from(st::expired, ev::lacpdu_received, st::current),
    from(st::expired, ev::current_while_timer_expired, st::defaulted),
    from(st::defaulted, ev::lacpdu_received, st::current),
    from(st::current, ev::lacpdu_received, st::current),
    from(st::current, ev::current_while_timer_expired, st::expired),
};

// Partner_Oper values that identify the partner's port and aggregation.
bool same_partner_port(const port_info& a, const port_info& b) {
    return a.port == b.port && a.port_priority == b.port_priority && a.system == b.system &&
           a.system_priority == b.system_priority && a.key == b.key &&
           a.has(state_bit::aggregation) == b.has(state_bit::aggregation);
}

// recordDefault (6.4.9).
void record_default(port_vars& p) {
    p.partner = p.partner_admin;
    p.actor.set(state_bit::defaulted, true);
}

// update_Selected (6.4.9): the partner information in the PDU is not what we
// had: the port must be selected again.
void update_selected(port_vars& p) {
    if (!same_partner_port(p.rx.actor, p.partner) && p.selected != selected_state::unselected) {
        p.selected = selected_state::unselected;
        p.reason = unselected_reason::partner_changed;
    }
}

// update_Default_Selected (6.4.9).
void update_default_selected(port_vars& p) {
    if (!same_partner_port(p.partner_admin, p.partner) && p.selected != selected_state::unselected) {
        p.selected = selected_state::unselected;
        p.reason = unselected_reason::partner_changed;
    }
}

// update_NTT (6.4.9): the partner's view of us is out of date.
void update_ntt(port_vars& p) {
    constexpr uint8_t bits = state_bit::lacp_activity | state_bit::lacp_timeout |
                             state_bit::synchronization | state_bit::aggregation;
    const port_info& seen = p.rx.partner;
    if (seen.port != p.actor.port || seen.port_priority != p.actor.port_priority ||
        seen.system != p.actor.system || seen.system_priority != p.actor.system_priority ||
        seen.key != p.actor.key || (seen.state & bits) != (p.actor.state & bits))
        p.ntt = true;
}

// recordPDU (6.4.9).
void record_pdu(port_vars& p) {
    const lacpdu& pdu = p.rx;
    p.partner = pdu.actor;
    p.actor.set(state_bit::defaulted, false);
    const port_info& seen = pdu.partner; // the partner's view of us
    bool matches = seen.port == p.actor.port && seen.port_priority == p.actor.port_priority &&
                   seen.system == p.actor.system &&
                   seen.system_priority == p.actor.system_priority && seen.key == p.actor.key &&
                   seen.has(state_bit::aggregation) == p.actor.has(state_bit::aggregation);
    bool partner_sync = pdu.actor.has(state_bit::synchronization);
    bool individual = !pdu.actor.has(state_bit::aggregation);
    p.partner.set(state_bit::synchronization, (matches && partner_sync) || (individual && partner_sync));
}

void enter(port_vars& p, const step_context& ctx, st to) {
    switch (to) {
    case st::initialize:
        p.selected = selected_state::unselected;
        record_default(p);
        p.actor.set(state_bit::expired, false);
        p.port_moved = false;
        break;
    case st::port_disabled:
        p.partner.set(state_bit::synchronization, false);
        break;
    case st::expired:
        p.partner.set(state_bit::synchronization, false);
        p.partner.set(state_bit::lacp_timeout, true); // Short Timeout
        p.current_while.start(ctx.now, short_timeout_time);
        p.actor.set(state_bit::expired, true);
        break;
    case st::lacp_disabled:
        p.selected = selected_state::unselected;
        record_default(p);
        p.partner.set(state_bit::aggregation, false);
        p.actor.set(state_bit::expired, false);
        break;
    case st::defaulted:
        update_default_selected(p);
        record_default(p);
        p.actor.set(state_bit::expired, false);
        break;
    case st::current:
        update_selected(p);
        update_ntt(p);
        record_pdu(p);
        p.current_while.start(ctx.now, p.actor.has(state_bit::lacp_timeout) ? short_timeout_time
                                                                            : long_timeout_time);
        p.actor.set(state_bit::expired, false);
        p.pdu_pending = false;
        break;
    }
}

} // namespace

int run_receive_machine(port_vars& p, const step_context& ctx) {
    auto active = [&](ev e) {
        switch (e) {
        case ev::begin: return p.begin;
        case ev::port_disabled: return !p.port_enabled && !p.port_moved;
        case ev::port_moved: return p.port_moved;
        case ev::port_enabled_lacp_enabled: return p.port_enabled && p.lacp_enabled;
        case ev::port_enabled_lacp_disabled: return p.port_enabled && !p.lacp_enabled;
        case ev::lacp_enabled: return p.lacp_enabled;
        case ev::lacpdu_received: return p.pdu_pending;
        case ev::current_while_timer_expired: return p.current_while.expired(ctx.now);
        case ev::uct: return true;
        }
        return false;
    };
    return dispatch(receive_table, p.rx_state, active, [&](st was, st to, ev) {
        enter(p, ctx, to);
        if (was != to)
            ctx.transition(p, "receive", to_string(was), to_string(to));
    });
}

} // namespace lag::lacp
