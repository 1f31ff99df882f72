#pragma once
// Selection Logic, IEEE 802.1AX-2014 6.4.14, for a LAG with one Aggregator.
// Internal to lib/lacp.
//
// The standard leaves the selection policy open within its rules; this one:
// - a port can be selected only with the LAG's key, link and LACP up, a
//   partner heard (not defaulted) that is aggregatable and is not this system;
// - the aggregator takes one partner (system priority, system id, key): while
//   any port is selected or still attached it keeps the partner it has; when
//   it is free it takes the partner most eligible ports report (the lowest
//   port index breaks a tie);
// - a port whose partner differs is UNSELECTED with partner_mismatch, so it
//   never attaches: that is the LAG's "one partner endpoint" rule;
// - a port that was UNSELECTED is selected again only once its Mux is
//   DETACHED (the standard's order of detach, then re-select).

#include "lacp/port_vars.hpp"

#include <optional>
#include <span>

namespace lag::lacp {

// Why this port may not be selected at all, or none.
unselected_reason eligibility(const port_vars& p, uint16_t lag_key);

// The partner of this port as the aggregator compares it.
partner_id partner_of(const port_vars& p);

// Runs the selection logic over every port of the LAG; updates the
// aggregator's partner. Returns the number of ports whose Selected or reason
// changed.
int run_selection_logic(std::optional<partner_id>& aggregator_partner, const step_context& ctx);

} // namespace lag::lacp
