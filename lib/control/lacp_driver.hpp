#pragma once
// LACP on the control core: one lacp::group per LAG fed by the control loop.
//
// lacp_driver is the control's punt_handler (LACPDUs and Marker PDUs that
// workers punt) and link_handler (member link changes), and runs the
// protocol's timers from poll(now). What the machines decide goes where the
// issue says: frames out through a frame_tx (a TX queue of each member kept
// for control traffic), "may collect / may distribute" to
// control::set_member_state (which feeds lag_model::set_distributable and
// publishes a snapshot), the partner to lag_model::set_partner.
// The control must be created with static_lag = false.
// Control path only: may allocate; never blocks on a worker.

#include "common/mac_addr.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "control/control.hpp"
#include "lacp/lacp.hpp"
#include "lag/lag.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct rte_mempool;

namespace lag::ctl {

// Where control frames leave a member port.
class frame_tx {
public:
    virtual ~frame_tx() = default;
    // Sends one whole Ethernet frame; false if it could not (counted by the caller).
    virtual bool send(uint16_t port, std::span<const uint8_t> frame) = 0;
};

// Sends on TX queue `queue` of each member (one the workers do not use),
// mbufs from `pool`.
class queue_tx : public frame_tx {
public:
    // Every frame sent is counted in c's control_tx_counters(port)
    // (control::totals: control_tx_packets, xstats tx_control_packets).
    queue_tx(rte_mempool* pool, uint16_t queue, control& c) : _pool(pool), _queue(queue), _control(c) {}
    bool send(uint16_t port, std::span<const uint8_t> frame) override;

private:
    rte_mempool* _pool;
    uint16_t _queue;
    control& _control;
};

struct lacp_member {
    std::string name;  // port name in the LAG model
    uint16_t port;     // DPDK port id
    mac_addr mac;      // source address of its LACPDUs
    uint16_t port_number;
    uint16_t port_priority = 32768;
    bool active = true; // false: removed at run time (its group port stays, link down)
    bool speed_key = false; // its actor key is the speed-mismatch one (apply_speed)
};

struct lacp_driver_counters {
    uint64_t frames_in = 0;
    uint64_t not_a_member = 0;  // punted from a port that is not one of ours
    uint64_t frames_out = 0;
    uint64_t tx_failed = 0;
    uint64_t apply_failed = 0;  // control or model refused a change (a bug if ever non-zero)
};

class lacp_driver final : public punt_handler, public link_handler {
public:
    // Adds every member to a new group, reads their links now, installs
    // itself as `c`'s punt and link handler. `c`, `model` and `tx` must
    // outlive it.
    static result<std::unique_ptr<lacp_driver>> create(control& c, model::lag_model& model,
                                                       const lacp::group_config& cfg,
                                                       std::vector<lacp_member> members, frame_tx& tx,
                                                       time_point now);
    ~lacp_driver() override;
    lacp_driver(const lacp_driver&) = delete;
    lacp_driver& operator=(const lacp_driver&) = delete;

    void on_frame(uint16_t port, std::span<const uint8_t> frame, time_point now) override;
    void on_link(uint16_t port, bool up, time_point now) override;
    // Runs the timers when one is due; returns 1 if it did work.
    unsigned poll(time_point now);

    // Run-time membership, after control::add_member / before nothing
    // (control::remove_member first: the model may refuse). A new port joins
    // the group with the next free port number (`m.port_number` 0) and its
    // link as it is now; a port that left comes back at its old group port.
    // remove_member takes the port's link down in the group (its machines
    // detach, no more LACPDUs) and forgets it. The group keeps a removed port
    // (there is no removal in 802.1AX's model), so indexes stay stable.
    result<void> add_member(lacp_member m, time_point now);
    void remove_member(std::string_view name, time_point now);
    // LACP rate of every member (lacp::group::set_rate).
    void set_rate(lacp::lacp_rate rate, time_point now);

    const lacp::group& group() const noexcept { return _group; }
    const std::vector<lacp_member>& members() const noexcept { return _members; }
    const lacp_driver_counters& counters() const noexcept { return _counters; }
    // Index of the (active) member on DPDK port `port`, or -1.
    int member_of(uint16_t port) const noexcept;

private:
    lacp_driver(control& c, model::lag_model& m, const lacp::group_config& cfg,
                std::vector<lacp_member> members, frame_tx& tx);
    void apply(time_point now);
    // Member i's actor key: the LAG's, or, while its link runs at another
    // speed than the LAG's (model: speed_mismatch), one derived from that
    // speed, so that it never aggregates (802.1AX 6.3.14, as Linux's and
    // DPDK's bonding do).
    void apply_speed(size_t i, time_point now);

    control& _control;
    model::lag_model& _model;
    lacp::group _group;
    std::vector<lacp_member> _members;
    frame_tx& _tx;
    lacp::actions _out;
    lacp_driver_counters _counters;
};

} // namespace lag::ctl
