#pragma once
// Receive machine, IEEE 802.1AX-2014 6.4.12 (figure 6-18). Internal to lib/lacp.

#include "lacp/port_vars.hpp"

#include <string_view>

namespace lag::lacp {

enum class receive_state : uint8_t {
    initialize,
    port_disabled,
    expired,
    lacp_disabled,
    defaulted,
    current,
};
constexpr std::string_view to_string(receive_state s) {
    switch (s) {
    case receive_state::initialize: return "INITIALIZE";
    case receive_state::port_disabled: return "PORT_DISABLED";
    case receive_state::expired: return "EXPIRED";
    case receive_state::lacp_disabled: return "LACP_DISABLED";
    case receive_state::defaulted: return "DEFAULTED";
    case receive_state::current: return "CURRENT";
    }
    return "?";
}

enum class receive_event : uint8_t {
    begin,                        // BEGIN
    port_disabled,                // !Port_Enabled && !Port_Moved
    port_moved,                   // Port_Moved
    port_enabled_lacp_enabled,    // Port_Enabled && LACP_Enabled
    port_enabled_lacp_disabled,   // Port_Enabled && !LACP_Enabled
    lacp_enabled,                 // LACP_Enabled
    lacpdu_received,              // LACPDU Received
    current_while_timer_expired,  // current_while_timer expired
    uct,                          // unconditional
};
constexpr std::string_view to_string(receive_event e) {
    switch (e) {
    case receive_event::begin: return "BEGIN";
    case receive_event::port_disabled: return "!Port_Enabled && !Port_Moved";
    case receive_event::port_moved: return "Port_Moved";
    case receive_event::port_enabled_lacp_enabled: return "Port_Enabled && LACP_Enabled";
    case receive_event::port_enabled_lacp_disabled: return "Port_Enabled && !LACP_Enabled";
    case receive_event::lacp_enabled: return "LACP_Enabled";
    case receive_event::lacpdu_received: return "LACPDU Received";
    case receive_event::current_while_timer_expired: return "current_while_timer expired";
    case receive_event::uct: return "UCT";
    }
    return "?";
}

// Runs the machine for one port; returns the transitions taken.
int run_receive_machine(port_vars& p, const step_context& ctx);

} // namespace lag::lacp
