#pragma once
// The LACP side of one LAG: its Aggregation Ports and the one Aggregator they
// attach to, with every per-port machine of IEEE 802.1AX-2014 6.4.
//
// Pure and deterministic: the caller passes frames, link events and `now`
// in, and gets actions out (frames to send, may-collect / may-distribute,
// partner, selection, churn). Nothing here reads a clock or does I/O, so two
// groups wired back to back in a test run a minute of protocol in
// microseconds. The control core owns one group per LAG; port indices are the
// order of add_port.
//
// Not for direct inclusion: use "lacp/lacp.hpp".

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "lacp/actions.hpp"
#include "lacp/churn_machine.hpp"
#include "lacp/mux_machine.hpp"
#include "lacp/periodic_machine.hpp"
#include "lacp/port_vars.hpp"
#include "lacp/receive_machine.hpp"
#include "lacp/transmit_machine.hpp"

#include <optional>
#include <vector>

namespace lag::lacp {

enum class lacp_mode : uint8_t { active, passive };
enum class lacp_rate : uint8_t { fast, slow };

// Per LAG.
struct group_config {
    lacp_mode mode = lacp_mode::active;
    // fast: the partner is asked for a LACPDU every second and timed out
    // after 3 s; slow: every 30 s, timed out after 90 s.
    lacp_rate rate = lacp_rate::fast;
    uint16_t system_priority = 32768;
    mac_addr system_id; // default in the daemon: the first member's MAC
    uint16_t key = 1;   // Actor_Admin_Port_Key of every member (see derive_key)
};

// Per member port.
struct port_config {
    mac_addr mac;              // source address of its LACPDUs
    uint16_t port_number = 0;  // unique within the system, not 0
    uint16_t port_priority = 32768;
};

// A key from the LAG's number and its members' speed, so that LAGs, and
// members of different speeds, never share one: speed class in the top four
// bits (1 = 1G, 2 = 10G, 3 = 100G, 0 other), LAG number below.
constexpr uint16_t derive_key(uint16_t lag_number, uint32_t speed_mbps) {
    uint16_t cls = speed_mbps == 1'000 ? 1 : speed_mbps == 10'000 ? 2 : speed_mbps == 100'000 ? 3 : 0;
    return static_cast<uint16_t>(cls << 12 | (lag_number & 0x0fff));
}

struct port_status {
    receive_state receive;
    periodic_state periodic;
    mux_state mux;
    actor_churn_state actor_churn_st;
    partner_churn_state partner_churn_st;
    selected_state selected;
    unselected_reason reason;
    port_info actor;   // Actor_Oper_* as sent
    port_info partner; // Partner_Oper_*
    std::optional<partner_id> heard_partner; // when a partner has been heard
    bool collecting;
    bool distributing;
    bool actor_churn;
    bool partner_churn;
};

class group {
public:
    explicit group(const group_config& c);

    const group_config& config() const noexcept { return _cfg; }

    // Adds a member; it starts with its link down. Returns its index.
    result<uint16_t> add_port(const port_config& pc, time_point now, actions& out);
    size_t port_count() const noexcept { return _ports.size(); }

    // Port_Enabled (MAC_Operational): link up or down.
    void set_link(uint16_t port, bool up, time_point now, actions& out);

    // A slow-protocols frame received on the port (whole Ethernet frame).
    // Returns the parse error when the frame was dropped (and counted).
    std::optional<parse_error> on_frame(uint16_t port, byte_view frame, time_point now,
                                        actions& out);

    // Runs timers. Call at least at next_deadline().
    void tick(time_point now, actions& out);

    // The earliest time after the last call at which a timer expires or a held
    // back LACPDU may go; nullopt if none is running.
    std::optional<time_point> next_deadline() const;

    // Administrative changes on a running group.
    void set_port_key(uint16_t port, uint16_t key, time_point now, actions& out);
    void set_system(uint16_t priority, const mac_addr& id, time_point now, actions& out);
    // The LAG's rate: every port's Actor LACP_Timeout (what the partner's
    // periodic machine follows and our current_while uses from now on) and
    // Partner_Admin LACP_Timeout (a defaulted port too); NTT on every port.
    void set_rate(lacp_rate rate, time_point now, actions& out);

    port_status status(uint16_t port) const;
    const port_counters& counters(uint16_t port) const { return _ports.at(port).counters; }
    // The partner the Aggregator has taken, if any.
    std::optional<partner_id> aggregator_partner() const { return _aggregator_partner; }

private:
    struct observed {
        bool collecting, distributing, actor_churn, partner_churn;
        selected_state selected;
        unselected_reason reason;
        std::optional<partner_id> partner;
    };
    observed observe(const port_vars& p) const;
    void step(time_point now, actions& out);

    group_config _cfg;
    std::vector<port_vars> _ports;
    std::optional<partner_id> _aggregator_partner;
    time_point _last_now{};
};

} // namespace lag::lacp
