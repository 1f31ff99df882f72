#include "control/lacp_driver.hpp"

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <fmt/format.h>

#include <cstring>

namespace lag::ctl {

bool queue_tx::send(uint16_t port, std::span<const uint8_t> frame) {
    rte_mbuf* m = rte_pktmbuf_alloc(_pool);
    if (m == nullptr)
        return false;
    char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
    if (p == nullptr) {
        rte_pktmbuf_free(m);
        return false;
    }
    std::memcpy(p, frame.data(), frame.size());
    if (rte_eth_tx_burst(port, _queue, &m, 1) != 1) {
        rte_pktmbuf_free(m);
        return false;
    }
    return true;
}

lacp_driver::lacp_driver(control& c, model::lag_model& m, const lacp::group_config& cfg,
                         std::vector<lacp_member> members, frame_tx& tx)
    : _control(c), _model(m), _group(cfg), _members(std::move(members)), _tx(tx) {}

lacp_driver::~lacp_driver() {
    _control.set_punt_handler(nullptr);
    _control.set_link_handler(nullptr);
}

result<std::unique_ptr<lacp_driver>> lacp_driver::create(control& c, model::lag_model& model,
                                                         const lacp::group_config& cfg,
                                                         std::vector<lacp_member> members, frame_tx& tx,
                                                         time_point now) {
    if (members.empty())
        return make_error("lacp-members", "a LACP LAG needs at least one member");
    std::unique_ptr<lacp_driver> d(new lacp_driver(c, model, cfg, std::move(members), tx));
    for (const auto& mb : d->_members) {
        if (model.port(mb.name) == nullptr)
            return make_error("lacp-members", fmt::format("port '{}' is not in the LAG model", mb.name));
        auto r = d->_group.add_port({.mac = mb.mac, .port_number = mb.port_number, .port_priority = mb.port_priority},
                                    now, d->_out);
        if (!r)
            return make_error(r.err().code, fmt::format("port '{}': {}", mb.name, r.err().message));
    }
    for (size_t i = 0; i < d->_members.size(); ++i)
        d->_group.set_link(static_cast<uint16_t>(i), dpdk::link_up(d->_members[i].port), now, d->_out);
    d->apply(now);
    c.set_punt_handler(d.get());
    c.set_link_handler(d.get());
    return d;
}

int lacp_driver::member_of(uint16_t port) const noexcept {
    for (size_t i = 0; i < _members.size(); ++i)
        if (_members[i].port == port)
            return static_cast<int>(i);
    return -1;
}

void lacp_driver::on_frame(uint16_t port, std::span<const uint8_t> frame, time_point now) {
    ++_counters.frames_in;
    int i = member_of(port);
    if (i < 0) {
        ++_counters.not_a_member;
        return;
    }
    // EAPOL is punted too; only slow protocols are ours (the group counts
    // anything else under not_slow_protocols).
    (void)_group.on_frame(static_cast<uint16_t>(i), frame, now, _out);
    apply(now);
}

void lacp_driver::on_link(uint16_t port, bool up, time_point now) {
    int i = member_of(port);
    if (i < 0)
        return;
    _group.set_link(static_cast<uint16_t>(i), up, now, _out);
    apply(now);
}

unsigned lacp_driver::poll(time_point now) {
    auto due = _group.next_deadline();
    if (!due || now < *due)
        return 0;
    _group.tick(now, _out);
    apply(now);
    return 1;
}

void lacp_driver::apply(time_point now) {
    std::vector<bool> state_changed(_members.size(), false);
    for (const auto& a : _out) {
        if (a.port >= _members.size())
            continue;
        const lacp_member& mb = _members[a.port];
        switch (a.kind) {
        case lacp::action_kind::transmit:
            if (_tx.send(mb.port, a.tx.view()))
                ++_counters.frames_out;
            else
                ++_counters.tx_failed;
            break;
        case lacp::action_kind::partner: {
            std::optional<model::partner_id> id;
            if (a.partner)
                id = model::partner_id{a.partner->system_priority, a.partner->system, a.partner->key};
            if (!_model.set_partner(mb.name, id))
                ++_counters.apply_failed;
            break;
        }
        case lacp::action_kind::collecting:
        case lacp::action_kind::distributing: state_changed[a.port] = true; break;
        default: break;
        }
    }
    _out.clear();
    // After the partners, so the snapshot published carries both.
    for (size_t i = 0; i < _members.size(); ++i) {
        if (!state_changed[i])
            continue;
        auto s = _group.status(static_cast<uint16_t>(i));
        if (!_control.set_member_state(_members[i].name, s.distributing, s.collecting, now))
            ++_counters.apply_failed;
    }
}

} // namespace lag::ctl
