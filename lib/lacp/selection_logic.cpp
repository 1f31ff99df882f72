#include "lacp/selection_logic.hpp"

#include "lacp/mux_machine.hpp"
#include "lacp/receive_machine.hpp"

namespace lag::lacp {

unselected_reason eligibility(const port_vars& p, uint16_t lag_key) {
    if (!p.port_enabled)
        return unselected_reason::link_down;
    if (!p.lacp_enabled)
        return unselected_reason::lacp_disabled;
    if (p.actor.key != lag_key)
        return unselected_reason::key_mismatch;
    if ((p.rx_state != receive_state::current && p.rx_state != receive_state::expired) ||
        p.actor.has(state_bit::defaulted))
        return unselected_reason::no_partner;
    if (!p.partner.has(state_bit::aggregation))
        return unselected_reason::partner_individual;
    if (p.partner.system == p.actor.system && p.partner.system_priority == p.actor.system_priority)
        return unselected_reason::loopback;
    return unselected_reason::none;
}

partner_id partner_of(const port_vars& p) {
    return {p.partner.system_priority, p.partner.system, p.partner.key};
}

int run_selection_logic(std::optional<partner_id>& aggregator_partner, const step_context& ctx) {
    bool in_use = false;
    for (const auto& p : ctx.ports)
        if (p.selected == selected_state::selected || p.mux_st != mux_state::detached)
            in_use = true;

    if (!in_use) {
        // Free: take the partner most eligible ports report.
        std::optional<partner_id> best;
        unsigned best_n = 0;
        for (const auto& p : ctx.ports) {
            if (eligibility(p, ctx.lag_key) != unselected_reason::none)
                continue;
            partner_id id = partner_of(p);
            unsigned n = 0;
            for (const auto& q : ctx.ports)
                if (eligibility(q, ctx.lag_key) == unselected_reason::none && partner_of(q) == id)
                    ++n;
            if (n > best_n) {
                best = id;
                best_n = n;
            }
        }
        aggregator_partner = best;
    }

    int changes = 0;
    for (auto& p : ctx.ports) {
        selected_state sel = p.selected;
        unselected_reason why = eligibility(p, ctx.lag_key);
        if (why == unselected_reason::none && aggregator_partner && partner_of(p) != *aggregator_partner)
            why = unselected_reason::partner_mismatch;
        if (why != unselected_reason::none) {
            sel = selected_state::unselected;
        } else if (p.selected == selected_state::unselected) {
            if (p.mux_st == mux_state::detached) {
                sel = selected_state::selected;
            } else {
                why = p.reason; // still detaching: keep saying why it left
            }
        }
        if (sel != p.selected || why != p.reason) {
            p.selected = sel;
            p.reason = why;
            ++changes;
        }
    }
    return changes;
}

} // namespace lag::lacp
