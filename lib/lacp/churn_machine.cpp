#include "lacp/churn_machine.hpp"

namespace lag::lacp {

namespace {

using ev = churn_event;

// Figure 6-23, one row per arrow, in priority order.
using ast = actor_churn_state;
constexpr std::array actor_churn_table{
    global(ev::begin_or_port_disabled, ast::actor_churn_monitor),
    from(ast::actor_churn_monitor, ev::in_sync, ast::no_actor_churn),
    from(ast::actor_churn_monitor, ev::churn_timer_expired, ast::actor_churn),
    from(ast::no_actor_churn, ev::out_of_sync, ast::actor_churn_monitor),
    from(ast::actor_churn, ev::in_sync, ast::no_actor_churn),
};

// Figure 6-24.
using pst = partner_churn_state;
constexpr std::array partner_churn_table{
    global(ev::begin_or_port_disabled, pst::partner_churn_monitor),
    from(pst::partner_churn_monitor, ev::in_sync, pst::no_partner_churn),
    from(pst::partner_churn_monitor, ev::churn_timer_expired, pst::partner_churn),
    from(pst::no_partner_churn, ev::out_of_sync, pst::partner_churn_monitor),
    from(pst::partner_churn, ev::in_sync, pst::no_partner_churn),
};

template <typename Table, typename State>
int run(const Table& table, State& state, timer& t, bool& churn, uint64_t& count, bool sync,
        State monitor, State detected, std::string_view name, port_vars& p,
        const step_context& ctx) {
    auto active = [&](ev e) {
        switch (e) {
        case ev::begin_or_port_disabled: return p.begin || !p.port_enabled;
        case ev::in_sync: return sync;
        case ev::out_of_sync: return !sync;
        case ev::churn_timer_expired: return t.expired(ctx.now);
        }
        return false;
    };
    return dispatch(table, state, active, [&](State was, State to, ev) {
        if (to == monitor) {
            churn = false;
            t.start(ctx.now, churn_detection_time);
        } else if (to == detected) {
            churn = true;
            ++count;
        } else {
            churn = false;
        }
        if (was != to)
            ctx.transition(p, name, to_string(was), to_string(to));
    });
}

} // namespace

int run_actor_churn_machine(port_vars& p, const step_context& ctx) {
    return run(actor_churn_table, p.actor_churn_st, p.actor_churn_timer, p.actor_churn,
               p.counters.actor_churn, p.actor.has(state_bit::synchronization),
               ast::actor_churn_monitor, ast::actor_churn, "actor-churn", p, ctx);
}

int run_partner_churn_machine(port_vars& p, const step_context& ctx) {
    return run(partner_churn_table, p.partner_churn_st, p.partner_churn_timer, p.partner_churn,
               p.counters.partner_churn, p.partner.has(state_bit::synchronization),
               pst::partner_churn_monitor, pst::partner_churn, "partner-churn", p, ctx);
}

} // namespace lag::lacp
