#include "lacp/mux_machine.hpp"

namespace lag::lacp {

namespace {

using st = mux_state;
using ev = mux_event;

// Figure 6-21, one row per arrow, in priority order.
constexpr std::array mux_table{
    global(ev::begin, st::detached),
    from(st::detached, ev::selected, st::waiting),
    from(st::detached, ev::standby, st::waiting),
    from(st::waiting, ev::unselected, st::detached),
    from(st::waiting, ev::selected_and_ready, st::attached),
    from(st::attached, ev::unselected, st::detached),
    from(st::attached, ev::standby, st::detached),
    from(st::attached, ev::selected_and_partner_sync, st::collecting_distributing),
    from(st::collecting_distributing, ev::unselected, st::attached),
    from(st::collecting_distributing, ev::standby, st::attached),
    from(st::collecting_distributing, ev::partner_out_of_sync, st::attached),
};

void enter(port_vars& p, const step_context& ctx, st to) {
    switch (to) {
    case st::detached:
        // Detach_Mux_From_Aggregator, Disable_Collecting_Distributing.
        p.actor.set(state_bit::synchronization, false);
        p.actor.set(state_bit::collecting, false);
        p.actor.set(state_bit::distributing, false);
        p.ready_n = false;
        p.wait_while.stop();
        p.ntt = true;
        break;
    case st::waiting:
        p.wait_while.start(ctx.now, aggregate_wait_time);
        p.ready_n = false;
        break;
    case st::attached:
        // Attach_Mux_To_Aggregator, Disable_Collecting_Distributing.
        p.actor.set(state_bit::synchronization, true);
        p.actor.set(state_bit::collecting, false);
        p.actor.set(state_bit::distributing, false);
        p.ntt = true;
        break;
    case st::collecting_distributing:
        // Enable_Collecting_Distributing.
        p.actor.set(state_bit::distributing, true);
        p.actor.set(state_bit::collecting, true);
        p.ntt = true;
        break;
    }
}

} // namespace

bool aggregator_ready(const step_context& ctx) {
    bool any = false;
    for (auto& q : ctx.ports) {
        if (q.selected != selected_state::selected || q.mux_st != st::waiting)
            continue;
        any = true;
        if (!q.wait_while.expired(ctx.now))
            return false;
    }
    return any;
}

int run_mux_machine(port_vars& p, const step_context& ctx) {
    auto active = [&](ev e) {
        bool partner_sync = p.partner.has(state_bit::synchronization);
        switch (e) {
        case ev::begin: return p.begin;
        case ev::selected: return p.selected == selected_state::selected;
        case ev::standby: return p.selected == selected_state::standby;
        case ev::unselected: return p.selected == selected_state::unselected;
        case ev::selected_and_ready:
            p.ready_n = p.mux_st == st::waiting && p.wait_while.expired(ctx.now);
            return p.selected == selected_state::selected && aggregator_ready(ctx);
        case ev::selected_and_partner_sync:
            return p.selected == selected_state::selected && partner_sync;
        case ev::partner_out_of_sync: return !partner_sync;
        }
        return false;
    };
    return dispatch(mux_table, p.mux_st, active, [&](st was, st to, ev) {
        enter(p, ctx, to);
        if (was != to)
            ctx.transition(p, "mux", to_string(was), to_string(to));
    });
}

} // namespace lag::lacp
