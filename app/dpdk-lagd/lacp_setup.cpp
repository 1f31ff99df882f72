#include "lacp_setup.hpp"

#include <fmt/format.h>
#include <rte_ethdev.h>

#include <cstdio>

namespace lag::lagd {

lacp::group_config lacp_group_config(const lag_config& l, model::port_speed speed, const mac_addr& first_member) {
    lacp::group_config g;
    g.mode = l.lacp.mode.value_or(lacp::lacp_mode::active);
    g.rate = l.lacp.rate;
    g.system_priority = l.lacp.system_priority;
    g.system_id = l.lacp.system_id.value_or(first_member);
    g.key = lacp::derive_key(1, model::speed_mbps(speed)); // this version runs one LAG
    return g;
}

result<mac_addr> member_mac(const daemon_config& cfg, const ctl::member_binding& m) {
    if (const port_config* pc = cfg.port(m.name); pc != nullptr && pc->mac)
        return *pc->mac;
    rte_ether_addr ea{};
    if (int rc = rte_eth_macaddr_get(m.port, &ea); rc != 0)
        return make_error("port-mac", fmt::format("port '{}': no MAC address ({})", m.name, rc));
    mac_addr mac;
    for (size_t b = 0; b < mac.bytes.size(); ++b)
        mac.bytes[b] = ea.addr_bytes[b];
    return mac;
}

namespace {

result<ctl::lacp_member> member_of(const daemon_config& cfg, const ctl::member_binding& mb, uint16_t number) {
    auto mac = member_mac(cfg, mb);
    if (!mac)
        return mac.err();
    const port_config* pc = cfg.port(mb.name);
    return ctl::lacp_member{mb.name, mb.port, *mac, number, pc != nullptr ? pc->port_priority : uint16_t{32768}};
}

} // namespace

result<void> lacp_runtime::add_member(const daemon_config& cfg, const ctl::member_binding& mb, time_point now) {
    auto m = member_of(cfg, mb, 0);
    if (!m)
        return m.err();
    return _driver->add_member(std::move(*m), now);
}

result<std::unique_ptr<lacp_runtime>> lacp_runtime::start(const daemon_config& cfg, const lag_config& l,
                                                          ctl::control& c, model::lag_model& m,
                                                          const std::vector<ctl::member_binding>& members,
                                                          rte_mempool* pool, uint16_t control_queue,
                                                          time_point now, ctl::protected_tx::driver_fn macsec) {
    std::vector<ctl::lacp_member> lm;
    for (size_t i = 0; i < members.size(); ++i) {
        auto m = member_of(cfg, members[i], static_cast<uint16_t>(i + 1));
        if (!m)
            return m.err();
        lm.push_back(std::move(*m));
    }
    // An empty LAG (pending) without a system_id takes its access port's MAC
    // as the system id: members join it later.
    mac_addr system = l.lacp.system_id.value_or(mac_addr{});
    if (!lm.empty()) {
        system = lm.front().mac;
    } else if (!l.lacp.system_id) {
        auto a = member_mac(cfg, {l.access, c.config().access_port});
        if (!a)
            return a.err();
        system = *a;
    }
    const port_config* first = members.empty() ? nullptr : cfg.port(members.front().name);
    auto speed = first != nullptr ? first->speed : l.speed.value_or(model::port_speed::g10);
    auto gc = lacp_group_config(l, speed, system);
    std::unique_ptr<lacp_runtime> rt(new lacp_runtime(pool, control_queue, c));
    rt->protect_with(std::move(macsec));
    auto d = ctl::lacp_driver::create(c, m, gc, std::move(lm), rt->_ptx, now);
    if (!d)
        return d.err();
    rt->_driver = std::move(*d);
    return rt;
}

member_view lacp_runtime::view(std::string_view port) const {
    member_view v;
    const auto& ms = _driver->members();
    for (size_t i = 0; i < ms.size(); ++i) {
        if (ms[i].name != port || !ms[i].active)
            continue;
        auto s = _driver->group().status(static_cast<uint16_t>(i));
        v.lacp_mux = std::string(lacp::to_string(s.mux));
        if (s.heard_partner) {
            v.partner_system = fmt::format("{:04x},{}", s.heard_partner->system_priority,
                                           s.heard_partner->system.to_string());
            v.partner_key = s.heard_partner->key;
        }
    }
    return v;
}

void lacp_runtime::print() const {
    const auto& g = _driver->group();
    const auto& gc = g.config();
    const auto& dc = _driver->counters();
    fmt::print("lacp: {} {}, system {},{}, key {:#06x}; {} frames in, {} out, {} tx failures\n",
               gc.mode == lacp::lacp_mode::active ? "active" : "passive",
               gc.rate == lacp::lacp_rate::fast ? "fast" : "slow", gc.system_priority, gc.system_id.to_string(),
               gc.key, dc.frames_in, dc.frames_out, dc.tx_failed);
    const auto& ms = _driver->members();
    for (size_t i = 0; i < ms.size(); ++i) {
        if (!ms[i].active)
            continue;
        auto s = g.status(static_cast<uint16_t>(i));
        const auto& pc = g.counters(static_cast<uint16_t>(i));
        fmt::print("lacp {:<8} mux {:<23} rx {:<9} {}{} actor {} partner {} {} port {} | lacpdus rx {} tx {} "
                   "illegal {}\n",
                   ms[i].name, lacp::to_string(s.mux), lacp::to_string(s.receive), lacp::to_string(s.selected),
                   s.reason == lacp::unselected_reason::none ? "" : fmt::format(" ({})", lacp::to_string(s.reason)),
                   lacp::format_state(s.actor.state),
                   s.heard_partner ? s.heard_partner->to_string() : std::string("none"),
                   lacp::format_state(s.partner.state), s.partner.port, pc.lacpdus_rx, pc.lacpdus_tx,
                   pc.illegal_rx);
    }
    std::fflush(stdout);
}

} // namespace lag::lagd
