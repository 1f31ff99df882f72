#pragma once
// What the LACP machines ask of the world, returned from every call into a
// lacp::group: frames to send and changes the LAG model and the data path act
// on. The caller owns the vector and clears it; reusing one keeps its capacity.
//
// Not for direct inclusion: use "lacp/lacp.hpp".

#include "lacp/pdu.hpp"
#include "lacp/types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lag::lacp {

enum class action_kind : uint8_t {
    transmit,     // send `tx` on member `port`
    collecting,   // `on`: the port may (or may no longer) collect
    distributing, // `on`: the port may (or may no longer) distribute: lag_model::set_distributable
    partner,      // the port's partner changed: lag_model::set_partner(partner)
    selection,    // Selected changed: `selected`, `reason` says why not
    actor_churn,  // `on`: actor churn detected / cleared
    partner_churn,
    transition,   // a machine changed state: `machine`, `from`, `to` (logs, tests)
};
constexpr std::string_view to_string(action_kind k) {
    switch (k) {
    case action_kind::transmit: return "transmit";
    case action_kind::collecting: return "collecting";
    case action_kind::distributing: return "distributing";
    case action_kind::partner: return "partner";
    case action_kind::selection: return "selection";
    case action_kind::actor_churn: return "actor-churn";
    case action_kind::partner_churn: return "partner-churn";
    case action_kind::transition: return "transition";
    }
    return "?";
}

struct action {
    action_kind kind = action_kind::transition;
    uint16_t port = 0; // index of the port in its group
    bool on = false;
    std::optional<partner_id> partner;
    selected_state selected = selected_state::unselected;
    unselected_reason reason = unselected_reason::none;
    std::string_view machine, from, to; // static strings
    frame tx;

    std::string to_string() const;
};

using actions = std::vector<action>;

} // namespace lag::lacp
