#pragma once
// The per-port variables of 802.1AX 6.4.7 and 6.4.8 that the machines share,
// and the context a machine step runs in. Internal to lib/lacp.

#include "lacp/actions.hpp"
#include "lacp/machine.hpp"
#include "lacp/pdu.hpp"
#include "lacp/types.hpp"

#include <array>
#include <cstdint>
#include <span>

namespace lag::lacp {

enum class receive_state : uint8_t;
enum class periodic_state : uint8_t;
enum class mux_state : uint8_t;
enum class actor_churn_state : uint8_t;
enum class partner_churn_state : uint8_t;
enum class transmit_state : uint8_t;

// Counters of one port, as 802.1AX's aggregation port statistics, plus one
// per parse error.
struct port_counters {
    uint64_t lacpdus_rx = 0;
    uint64_t marker_pdus_rx = 0;
    uint64_t marker_response_pdus_rx = 0;
    uint64_t illegal_rx = 0;      // all parse errors together
    uint64_t rx_while_disabled = 0; // good PDUs dropped: port not enabled
    uint64_t lacpdus_tx = 0;
    uint64_t marker_response_pdus_tx = 0;
    uint64_t tx_rate_limited = 0; // NTT held back by the 3-per-second limit
    uint64_t actor_churn = 0;     // times actor churn was detected
    uint64_t partner_churn = 0;
    std::array<uint64_t, parse_error_count> errors{};

    uint64_t error(parse_error e) const { return errors[static_cast<size_t>(e)]; }
};

struct port_vars {
    uint16_t index = 0;
    mac_addr mac; // source address of frames sent on this port
    uint16_t admin_key = 0;

    port_info actor;         // Actor_Oper_* (system, key, port, state)
    port_info partner;       // Partner_Oper_*
    port_info partner_admin; // Partner_Admin_*, what recordDefault copies

    bool begin = true;
    bool port_enabled = false;
    bool lacp_enabled = true;
    bool port_moved = false;
    bool ntt = false;
    bool ready_n = false;
    selected_state selected = selected_state::unselected;
    unselected_reason reason = unselected_reason::link_down;

    bool pdu_pending = false; // a LACPDU arrived and waits for the receive machine
    lacpdu rx;

    timer current_while;
    timer periodic;
    timer wait_while;
    timer actor_churn_timer;
    timer partner_churn_timer;
    bool actor_churn = false;
    bool partner_churn = false;

    // Times of the last LACPDUs sent, for the Transmit machine's limit.
    std::array<time_point, max_tx_per_fast_periodic> tx_times{};
    unsigned tx_count = 0; // total sent, indexes tx_times round-robin

    receive_state rx_state{};
    periodic_state periodic_st{};
    mux_state mux_st{};
    actor_churn_state actor_churn_st{};
    partner_churn_state partner_churn_st{};
    transmit_state tx_st{};

    port_counters counters;
};

// What one machine step sees besides its port.
struct step_context {
    time_point now;
    std::span<port_vars> ports; // every port of the group (Ready, Selection)
    uint16_t lag_key = 0;
    actions* out = nullptr;

    void transition(const port_vars& p, std::string_view machine, std::string_view from,
                    std::string_view to) const {
        action a;
        a.kind = action_kind::transition;
        a.port = p.index;
        a.machine = machine;
        a.from = from;
        a.to = to;
        out->push_back(a);
    }
};

} // namespace lag::lacp
