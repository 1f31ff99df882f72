#pragma once
// Churn Detection machines, IEEE 802.1AX-2014 6.4.17 (figures 6-23, 6-24):
// the actor's or the partner's port failed to reach Synchronization within
// Churn_Detection_Time. Internal to lib/lacp.

#include "lacp/port_vars.hpp"

#include <string_view>

namespace lag::lacp {

enum class actor_churn_state : uint8_t {
    actor_churn_monitor,
    no_actor_churn,
    actor_churn,
};
constexpr std::string_view to_string(actor_churn_state s) {
    switch (s) {
    case actor_churn_state::actor_churn_monitor: return "ACTOR_CHURN_MONITOR";
    case actor_churn_state::no_actor_churn: return "NO_ACTOR_CHURN";
    case actor_churn_state::actor_churn: return "ACTOR_CHURN";
    }
    return "?";
}

enum class partner_churn_state : uint8_t {
    partner_churn_monitor,
    no_partner_churn,
    partner_churn,
};
constexpr std::string_view to_string(partner_churn_state s) {
    switch (s) {
    case partner_churn_state::partner_churn_monitor: return "PARTNER_CHURN_MONITOR";
    case partner_churn_state::no_partner_churn: return "NO_PARTNER_CHURN";
    case partner_churn_state::partner_churn: return "PARTNER_CHURN";
    }
    return "?";
}

// Both machines take the same events, about the actor's or the partner's
// Synchronization bit and timer.
enum class churn_event : uint8_t {
    begin_or_port_disabled, // BEGIN || !Port_Enabled
    in_sync,                // *_Oper_Port_State.Synchronization
    out_of_sync,            // !*_Oper_Port_State.Synchronization
    churn_timer_expired,    // actor_churn_timer / partner_churn_timer expired
};
constexpr std::string_view to_string(churn_event e) {
    switch (e) {
    case churn_event::begin_or_port_disabled: return "BEGIN || !Port_Enabled";
    case churn_event::in_sync: return "Synchronization";
    case churn_event::out_of_sync: return "!Synchronization";
    case churn_event::churn_timer_expired: return "churn_timer expired";
    }
    return "?";
}

int run_actor_churn_machine(port_vars& p, const step_context& ctx);
int run_partner_churn_machine(port_vars& p, const step_context& ctx);

} // namespace lag::lacp
