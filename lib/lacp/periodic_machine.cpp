#include "lacp/periodic_machine.hpp"

namespace lag::lacp {

namespace {

using st = periodic_state;
using ev = periodic_event;

// Figure 6-19, one row per arrow, in priority order.
constexpr std::array periodic_table{
    global(ev::no_periodic, st::no_periodic),
    from(st::no_periodic, ev::uct, st::fast_periodic),
    from(st::fast_periodic, ev::periodic_timer_expired, st::periodic_tx),
    from(st::fast_periodic, ev::partner_long_timeout, st::slow_periodic),
    from(st::slow_periodic, ev::periodic_timer_expired, st::periodic_tx),
    from(st::slow_periodic, ev::partner_short_timeout, st::periodic_tx),
    from(st::periodic_tx, ev::partner_short_timeout, st::fast_periodic),
    from(st::periodic_tx, ev::partner_long_timeout, st::slow_periodic),
};

void enter(port_vars& p, const step_context& ctx, st to) {
    switch (to) {
    case st::no_periodic: p.periodic.stop(); break;
    case st::fast_periodic: p.periodic.start(ctx.now, fast_periodic_time); break;
    case st::slow_periodic: p.periodic.start(ctx.now, slow_periodic_time); break;
    case st::periodic_tx: p.ntt = true; break;
    }
}

} // namespace

int run_periodic_machine(port_vars& p, const step_context& ctx) {
    auto active = [&](ev e) {
        switch (e) {
        case ev::no_periodic:
            return p.begin || !p.lacp_enabled || !p.port_enabled ||
                   (!p.actor.has(state_bit::lacp_activity) &&
                    !p.partner.has(state_bit::lacp_activity));
        case ev::periodic_timer_expired: return p.periodic.expired(ctx.now);
        case ev::partner_short_timeout: return p.partner.has(state_bit::lacp_timeout);
        case ev::partner_long_timeout: return !p.partner.has(state_bit::lacp_timeout);
        case ev::uct: return true;
        }
        return false;
    };
    return dispatch(periodic_table, p.periodic_st, active, [&](st was, st to, ev) {
        enter(p, ctx, to);
        // The once-a-period trip through PERIODIC_TX is routine: not reported.
        if (was != to && was != st::periodic_tx && to != st::periodic_tx)
            ctx.transition(p, "periodic", to_string(was), to_string(to));
    });
}

} // namespace lag::lacp
