#pragma once
// LACP in dpdk-lagd: turns [lag.lacp] into a ctl::lacp_driver on the control
// core (LACPDUs leave on a member TX queue no worker uses), runs its timers
// from the main loop, and prints each member's LACP state with the counters.
// Without [lag.lacp] (or with mode "off") the LAG stays static and none of
// this runs.

#include "config.hpp"
#include "control/lacp_driver.hpp"
#include "control/macsec_driver.hpp"
#include "service.hpp"

#include <memory>
#include <vector>

struct rte_mempool;

namespace lag::lagd {

inline bool lacp_enabled(const lag_config& l) noexcept { return l.lacp.mode.has_value(); }

// A member port's MAC address (LACP's and MKA's source address): its [[port]]
// `mac`, else the device's.
result<mac_addr> member_mac(const daemon_config& cfg, const ctl::member_binding& m);

// The group's settings: mode, rate, system priority, system id (`first_member`
// when the config names none) and the key derived from the members' speed.
lacp::group_config lacp_group_config(const lag_config& l, model::port_speed speed, const mac_addr& first_member);

class lacp_runtime {
public:
    // Creates the driver for `members` (slot order, as given to the control),
    // port numbers 1.. in that order, port priorities from [[port]]. `c` must
    // have static_lag = false and members with a TX queue `control_queue`.
    // `macsec`: see protect_with (set before the first LACPDU leaves).
    static result<std::unique_ptr<lacp_runtime>> start(const daemon_config& cfg, const lag_config& l,
                                                       ctl::control& c, model::lag_model& m,
                                                       const std::vector<ctl::member_binding>& members,
                                                       rte_mempool* pool, uint16_t control_queue, time_point now,
                                                       ctl::protected_tx::driver_fn macsec = {});
    lacp_runtime(const lacp_runtime&) = delete;
    lacp_runtime& operator=(const lacp_runtime&) = delete;

    unsigned poll(time_point now) { return _driver->poll(now); }
    // Run-time membership and rate (see lacp_driver): the port's MAC from
    // its ethdev, port priority from [[port]], the next free port number.
    result<void> add_member(const daemon_config& cfg, const ctl::member_binding& mb, time_point now);
    void remove_member(std::string_view name, time_point now) { _driver->remove_member(name, now); }
    void set_rate(lacp::lacp_rate r, time_point now) {
        _driver->set_rate(r, now);
    }
    const ctl::lacp_driver& driver() const noexcept { return *_driver; }
    // The LAG's MACsec driver (static keys or MKA's; null without MACsec):
    // on members whose SecY carries LACP ([lag.macsec] lacp = "protected"),
    // LACPDUs and Marker PDUs leave protected (ctl::protected_tx).
    void protect_with(ctl::protected_tx::driver_fn f) { _ptx.set_driver(std::move(f)); }

    // One line per member: mux state, receive state, selection, partner,
    // actor/partner state flags, LACPDUs in and out.
    void print() const;
    // One member's LACP state for `show lag` / `show lacp` / telemetry.
    member_view view(std::string_view port) const;

private:
    lacp_runtime(rte_mempool* pool, uint16_t queue, ctl::control& c) : _tx(pool, queue, c), _ptx(_tx, c) {}
    ctl::queue_tx _tx;
    ctl::protected_tx _ptx; // _tx, through the member's SecY
    std::unique_ptr<ctl::lacp_driver> _driver;
};

} // namespace lag::lagd
