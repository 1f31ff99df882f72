#include "port_speed.hpp"

#include "dpdk/dpdk.hpp"
#include "port.hpp"

#include <fmt/format.h>

namespace lag::lagd {

std::optional<model::port_speed> speed_of_mbps(uint32_t mbps) noexcept {
    for (auto s : {model::port_speed::g1, model::port_speed::g10, model::port_speed::g100})
        if (model::speed_mbps(s) == mbps)
            return s;
    return std::nullopt;
}

bool speed_checked(const daemon_config& cfg, std::string_view port, uint16_t id) noexcept {
    const port_config* pc = cfg.port(port);
    if (pc != nullptr && pc->check_speed)
        return *pc->check_speed;
    return !dpdk::is_virtual(id);
}

result<void> resolve_port_speeds(daemon_config& cfg, model::lag_model& model) {
    bool changed = false;
    for (auto& p : cfg.ports) {
        if (p.speed_declared)
            continue;
        auto id = net::probe(p.device);
        if (!id)
            return make_error("device", fmt::format("port '{}': {}", p.name, id.err().to_string()));
        auto mbps = dpdk::device_speed_mbps(*id);
        if (!mbps) {
            fmt::print("dpdk-lagd: port '{}': the device reports no speed; taken as {} (set speed to say)\n", p.name,
                       model::to_string(p.speed));
            continue;
        }
        auto s = speed_of_mbps(*mbps);
        if (!s)
            return make_error("speed", fmt::format("port '{}': its device runs at {} Mb/s, and a LAG's members run at "
                                                   "1G, 10G or 100G",
                                                   p.name, *mbps));
        changed = changed || *s != p.speed;
        p.speed = *s;
        p.speed_from_device = true;
    }
    if (!changed)
        return ok_v;
    assume_speeds(cfg);
    return check_config(cfg, model);
}

} // namespace lag::lagd
