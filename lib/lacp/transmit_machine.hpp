#pragma once
// Transmit machine, IEEE 802.1AX-2014 6.4.16. The standard gives it in prose:
// when NTT is TRUE a LACPDU is sent, no more than three in any
// Fast_Periodic_Time (a held-back NTT waits for the window to open), and
// nothing is sent (NTT is cleared) while the Periodic machine is in
// NO_PERIODIC or the port or LACP is disabled. Drawn here as three states.
// Internal to lib/lacp.

#include "lacp/port_vars.hpp"

#include <optional>
#include <string_view>

namespace lag::lacp {

enum class transmit_state : uint8_t {
    no_tx,    // nothing may be sent; NTT is discarded
    tx_ready, // waiting for NTT
    transmit, // send one LACPDU
};
constexpr std::string_view to_string(transmit_state s) {
    switch (s) {
    case transmit_state::no_tx: return "NO_TX";
    case transmit_state::tx_ready: return "TX_READY";
    case transmit_state::transmit: return "TRANSMIT";
    }
    return "?";
}

enum class transmit_event : uint8_t {
    tx_disabled,   // BEGIN || !Port_Enabled || !LACP_Enabled || Periodic in NO_PERIODIC
    tx_enabled,    // not tx_disabled
    ntt_allowed,   // NTT && fewer than 3 LACPDUs sent in the last Fast_Periodic_Time
    uct,
};
constexpr std::string_view to_string(transmit_event e) {
    switch (e) {
    case transmit_event::tx_disabled: return "BEGIN || !Port_Enabled || !LACP_Enabled || NO_PERIODIC";
    case transmit_event::tx_enabled: return "Port_Enabled && LACP_Enabled && periodic";
    case transmit_event::ntt_allowed: return "NTT && tx_count < 3 per Fast_Periodic_Time";
    case transmit_event::uct: return "UCT";
    }
    return "?";
}

// The LACPDU this port would send now (actor and partner as they stand).
lacpdu make_lacpdu(const port_vars& p);

// When a held-back NTT may be sent, if it is held back.
std::optional<time_point> tx_window_opens(const port_vars& p);

int run_transmit_machine(port_vars& p, const step_context& ctx);

} // namespace lag::lacp
