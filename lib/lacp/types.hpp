#pragma once
// LACP values shared by the codec and the machines: the port information
// carried in the Actor and Partner TLVs, the state bits, the selection state
// and the protocol's timer constants (IEEE 802.1AX-2014 6.4.4, 6.4.7).
//
// Not for direct inclusion: use "lacp/lacp.hpp".

#include "common/mac_addr.hpp"
#include "common/time.hpp"

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace lag::lacp {

// Actor_Oper_Port_State / Partner_Oper_Port_State bits (6.4.2.3 h).
namespace state_bit {
inline constexpr uint8_t lacp_activity = 0x01;   // 1 = Active
inline constexpr uint8_t lacp_timeout = 0x02;    // 1 = Short Timeout
inline constexpr uint8_t aggregation = 0x04;     // 1 = Aggregatable
inline constexpr uint8_t synchronization = 0x08; // 1 = IN_SYNC
inline constexpr uint8_t collecting = 0x10;
inline constexpr uint8_t distributing = 0x20;
inline constexpr uint8_t defaulted = 0x40;
inline constexpr uint8_t expired = 0x80;
} // namespace state_bit

// "ATGSCDFE"-style flags for logs: upper case when set, e.g. "ATGS...." .
std::string format_state(uint8_t state);

// The system, key and port a TLV describes (Actor or Partner information).
struct port_info {
    uint16_t system_priority = 0;
    mac_addr system;
    uint16_t key = 0;
    uint16_t port_priority = 0;
    uint16_t port = 0;
    uint8_t state = 0;

    constexpr auto operator<=>(const port_info&) const = default;
    constexpr bool has(uint8_t bit) const noexcept { return (state & bit) != 0; }
    constexpr void set(uint8_t bit, bool on) noexcept {
        state = static_cast<uint8_t>(on ? (state | bit) : (state & ~bit));
    }
};

// What identifies the far end of an aggregation: partner system and key. Same
// fields as lag::model::partner_id, which the control core fills from it.
struct partner_id {
    uint16_t system_priority = 0;
    mac_addr system;
    uint16_t key = 0;

    constexpr auto operator<=>(const partner_id&) const = default;
    std::string to_string() const;
};

// Selected (6.4.8): whether the Selection Logic has chosen an Aggregator.
enum class selected_state : uint8_t { unselected, selected, standby };
constexpr std::string_view to_string(selected_state s) {
    switch (s) {
    case selected_state::unselected: return "UNSELECTED";
    case selected_state::selected: return "SELECTED";
    case selected_state::standby: return "STANDBY";
    }
    return "?";
}

// Why a port is not selected. This is how the LAG's "every member goes to the
// same partner" rule shows up: a port whose partner differs is
// partner_mismatch and never attaches.
enum class unselected_reason : uint8_t {
    none,               // selected
    link_down,          // Port_Enabled is FALSE
    lacp_disabled,      // LACP_Enabled is FALSE
    no_partner,         // no LACPDU heard (receive machine not CURRENT/EXPIRED)
    partner_individual, // partner says its port is Individual
    key_mismatch,       // this port's own key is not the LAG's key
    loopback,           // the partner is this very system
    partner_mismatch,   // partner system or key differs from the aggregator's
    partner_changed,    // partner information changed; re-selecting
};
constexpr std::string_view to_string(unselected_reason r) {
    switch (r) {
    case unselected_reason::none: return "none";
    case unselected_reason::link_down: return "link-down";
    case unselected_reason::lacp_disabled: return "lacp-disabled";
    case unselected_reason::no_partner: return "no-partner";
    case unselected_reason::partner_individual: return "partner-individual";
    case unselected_reason::key_mismatch: return "key-mismatch";
    case unselected_reason::loopback: return "loopback";
    case unselected_reason::partner_mismatch: return "partner-mismatch";
    case unselected_reason::partner_changed: return "partner-changed";
    }
    return "?";
}

// Timer constants (6.4.4).
inline constexpr duration fast_periodic_time = seconds(1);
inline constexpr duration slow_periodic_time = seconds(30);
inline constexpr duration short_timeout_time = seconds(3);
inline constexpr duration long_timeout_time = seconds(90);
inline constexpr duration churn_detection_time = seconds(60);
inline constexpr duration aggregate_wait_time = seconds(2);
// Transmit machine (6.4.16): at most this many LACPDUs per Fast_Periodic_Time.
inline constexpr unsigned max_tx_per_fast_periodic = 3;

} // namespace lag::lacp
