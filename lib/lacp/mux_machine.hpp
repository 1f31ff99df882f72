#pragma once
// Mux machine with coupled control, IEEE 802.1AX-2014 6.4.15 (figure 6-21):
// collecting and distributing are switched on and off together.
// Internal to lib/lacp.

#include "lacp/port_vars.hpp"

#include <string_view>

namespace lag::lacp {

enum class mux_state : uint8_t {
    detached,
    waiting,
    attached,
    collecting_distributing,
};
constexpr std::string_view to_string(mux_state s) {
    switch (s) {
    case mux_state::detached: return "DETACHED";
    case mux_state::waiting: return "WAITING";
    case mux_state::attached: return "ATTACHED";
    case mux_state::collecting_distributing: return "COLLECTING_DISTRIBUTING";
    }
    return "?";
}

enum class mux_event : uint8_t {
    begin,                     // BEGIN
    selected,                  // Selected == SELECTED
    standby,                   // Selected == STANDBY
    unselected,                // Selected == UNSELECTED
    selected_and_ready,        // (Selected == SELECTED) && Ready
    selected_and_partner_sync, // (Selected == SELECTED) && Partner_Oper_Port_State.Synchronization
    partner_out_of_sync,       // !Partner_Oper_Port_State.Synchronization
};
constexpr std::string_view to_string(mux_event e) {
    switch (e) {
    case mux_event::begin: return "BEGIN";
    case mux_event::selected: return "Selected == SELECTED";
    case mux_event::standby: return "Selected == STANDBY";
    case mux_event::unselected: return "Selected == UNSELECTED";
    case mux_event::selected_and_ready: return "(Selected == SELECTED) && Ready";
    case mux_event::selected_and_partner_sync: return "(Selected == SELECTED) && Partner.Sync";
    case mux_event::partner_out_of_sync: return "!Partner.Sync";
    }
    return "?";
}

// Ready (6.4.8): every port selected for the aggregator and waiting to attach
// has seen its wait_while_timer expire (ready_n), and there is one at least.
bool aggregator_ready(const step_context& ctx);

int run_mux_machine(port_vars& p, const step_context& ctx);

} // namespace lag::lacp
