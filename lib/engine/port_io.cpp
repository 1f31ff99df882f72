#include "engine/port_io.hpp"

#include <fmt/format.h>

namespace lag::engine {

result<std::pair<port_setup, bool>> member_setup(const port_io& io, uint16_t port, const std::string& name,
                                                 const port_setup& with_control, bool required) {
    const uint16_t room = io.max_tx_queues(port);
    if (room >= with_control.tx_queues)
        return std::pair{with_control, true};
    if (required)
        return make_error("port-queues",
                          fmt::format("port '{}': LACP and MKA need a spare TX queue, the device has {} TX queue{} "
                                      "for {} worker queue{}",
                                      name, room, room == 1 ? "" : "s", with_control.tx_queues - 1,
                                      with_control.tx_queues == 2 ? "" : "s"));
    port_setup s = with_control;
    --s.tx_queues;
    return std::pair{s, false};
}

result<void> apply_mtus(port_io& io, const std::vector<mtu_change>& plan) {
    // Every port is checked before any changes.
    for (const auto& c : plan)
        if (auto ok = io.check_mtu(c.port, c.mtu); !ok)
            return make_error("mtu", fmt::format("port '{}': {}", c.name, ok.err().message));
    std::vector<std::pair<uint16_t, uint16_t>> done; // port, the MTU it had
    for (const auto& c : plan) {
        const uint16_t had = io.mtu(c.port);
        if (auto ok = io.set_mtu(c.port, c.mtu); !ok) {
            for (auto it = done.rbegin(); it != done.rend(); ++it)
                (void)io.set_mtu(it->first, it->second);
            return make_error("mtu", fmt::format("port '{}': {}", c.name, ok.err().message));
        }
        done.emplace_back(c.port, had);
    }
    return ok_v;
}

} // namespace lag::engine
