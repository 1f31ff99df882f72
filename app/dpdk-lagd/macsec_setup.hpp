#pragma once
// dpdk-lagd: static MACsec keys from [lag.macsec] onto the workers, and the
// MACsec counters printed at exit. Keys are read from the key file here,
// handed to the SAs (which expand and keep them) and wiped; never printed.

#include "config.hpp"
#include "control/macsec_driver.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lag::lagd {

// (port name, DPDK port id) of each LAG member.
using port_ids = std::vector<std::pair<std::string, uint16_t>>;

// Null (and no error) when the LAG has no [lag.macsec].
result<std::unique_ptr<ctl::macsec_driver>> start_static_macsec(ctl::control& c, const lag_config& l,
                                                                const port_ids& members);

// Keys one more member from its [[lag.macsec.member]] (run-time `add
// member`): SecY, rx SA, tx SA, enable. A port keyed before keeps its SAs.
result<void> add_static_macsec_port(ctl::macsec_driver& d, const lag_config& l, const std::string& port,
                                    uint16_t id, const key_map& keys);

// The 802.1AE counters per member (call after the workers stopped).
void print_macsec_counters(const ctl::macsec_driver& d, const ctl::control& c, const port_ids& members);

} // namespace lag::lagd
