#pragma once
// Periodic Transmission machine, IEEE 802.1AX-2014 6.4.13 (figure 6-19).
// Internal to lib/lacp.

#include "lacp/port_vars.hpp"

#include <string_view>

namespace lag::lacp {

enum class periodic_state : uint8_t {
    no_periodic,
    fast_periodic,
    slow_periodic,
    periodic_tx,
};
constexpr std::string_view to_string(periodic_state s) {
    switch (s) {
    case periodic_state::no_periodic: return "NO_PERIODIC";
    case periodic_state::fast_periodic: return "FAST_PERIODIC";
    case periodic_state::slow_periodic: return "SLOW_PERIODIC";
    case periodic_state::periodic_tx: return "PERIODIC_TX";
    }
    return "?";
}

enum class periodic_event : uint8_t {
    // BEGIN || !LACP_Enabled || !Port_Enabled ||
    // (Actor LACP_Activity == PASSIVE && Partner LACP_Activity == PASSIVE)
    no_periodic,
    periodic_timer_expired,
    partner_short_timeout, // Partner_Oper_Port_State.LACP_Timeout == Short Timeout
    partner_long_timeout,  // Partner_Oper_Port_State.LACP_Timeout == Long Timeout
    uct,
};
constexpr std::string_view to_string(periodic_event e) {
    switch (e) {
    case periodic_event::no_periodic:
        return "BEGIN || !LACP_Enabled || !Port_Enabled || (both PASSIVE)";
    case periodic_event::periodic_timer_expired: return "periodic_timer expired";
    case periodic_event::partner_short_timeout: return "Partner LACP_Timeout == Short";
    case periodic_event::partner_long_timeout: return "Partner LACP_Timeout == Long";
    case periodic_event::uct: return "UCT";
    }
    return "?";
}

int run_periodic_machine(port_vars& p, const step_context& ctx);

} // namespace lag::lacp
