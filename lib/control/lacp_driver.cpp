#include "control/lacp_driver.hpp"

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace lag::ctl {

bool queue_tx::send(uint16_t port, std::span<const uint8_t> frame) {
    rte_mbuf* m = dpdk::mbuf_copy(_pool, frame);
    if (m == nullptr)
        return false;
    // A member without a spare TX queue: to its ring, which a worker drains
    // (the ring counts what it refused).
    dp::port_io* io = _control.config().io;
    if (dp::ctl_tx_ring* r = io != nullptr ? io->ctl_ring_in_use(port) : nullptr; r != nullptr) {
        if (!r->enqueue(m))
            return false;
    } else if (rte_eth_tx_burst(port, _queue, &m, 1) != 1) {
        rte_pktmbuf_free(m);
        return false;
    }
    dp::port_counters& pc = _control.control_tx_counters(port);
    pc.tx_packets.add(1);
    pc.tx_bytes.add(frame.size());
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
    std::unique_ptr<lacp_driver> d(new lacp_driver(c, model, cfg, std::move(members), tx));
    for (const auto& mb : d->_members) {
        if (model.port(mb.name) == nullptr)
            return make_error("lacp-members", fmt::format("port '{}' is not in the LAG model", mb.name));
        auto r = d->_group.add_port({.mac = mb.mac, .port_number = mb.port_number, .port_priority = mb.port_priority},
                                    now, d->_out);
        if (!r)
            return make_error(r.err().code, fmt::format("port '{}': {}", mb.name, r.err().message));
    }
    for (size_t i = 0; i < d->_members.size(); ++i) {
        d->apply_speed(i, now);
        d->_group.set_link(static_cast<uint16_t>(i), dpdk::link_up(d->_members[i].port), now, d->_out);
    }
    d->apply(now);
    c.set_punt_handler(d.get());
    c.set_link_handler(d.get());
    return d;
}

int lacp_driver::member_of(uint16_t port) const noexcept {
    for (size_t i = 0; i < _members.size(); ++i)
        if (_members[i].active && _members[i].port == port)
            return static_cast<int>(i);
    return -1;
}

void lacp_driver::on_frame(uint16_t port, std::span<const uint8_t> frame, time_point now) {
    ++_counters.frames_in;
    int i = member_of(port);
    if (i < 0) {
        ++_counters.not_a_member;
        dpdk::log(dpdk::log_type::lacp, dpdk::log_level::debug, "frame from DPDK port {}, not a member: ignored", port);
        return;
    }
    dpdk::log(dpdk::log_type::lacp, dpdk::log_level::debug, "{} received {} octets", _members[i].name, frame.size());
    // EAPOL is punted too; only slow protocols are ours (the group counts
    // anything else under not_slow_protocols).
    (void)_group.on_frame(static_cast<uint16_t>(i), frame, now, _out);
    apply(now);
}

void lacp_driver::on_link(uint16_t port, bool up, time_point now) {
    int i = member_of(port);
    if (i < 0)
        return;
    apply_speed(static_cast<size_t>(i), now);
    _group.set_link(static_cast<uint16_t>(i), up, now, _out);
    apply(now);
}

void lacp_driver::apply_speed(size_t i, time_point now) {
    const std::string& name = _members[i].name;
    const model::port_state* p = _model.port(name);
    const bool mismatch = p != nullptr && p->link_mbps && _model.status_of(name) == model::member_status::speed_mismatch;
    const uint16_t lag_key = _group.config().key;
    const uint16_t key = mismatch ? lacp::derive_key(lag_key & 0x0fff, *p->link_mbps) : lag_key;
    const uint16_t port = static_cast<uint16_t>(i);
    if (port >= _group.port_count() || (!mismatch && !_members[i].speed_key))
        return;
    _members[i].speed_key = mismatch;
    _group.set_port_key(port, key, now, _out);
    dpdk::log(dpdk::log_type::lacp, dpdk::log_level::notice, "{}: actor key {:#06x}{}", name, key,
              mismatch ? " (speed-mismatch)" : "");
}

result<void> lacp_driver::add_member(lacp_member m, time_point now) {
    for (size_t i = 0; i < _members.size(); ++i) {
        if (_members[i].name != m.name)
            continue;
        if (_members[i].active)
            return make_error("already-member", fmt::format("port '{}' is already in the LACP group", m.name));
        _members[i].active = true;
        _members[i].port = m.port;
        apply_speed(i, now);
        _group.set_link(static_cast<uint16_t>(i), dpdk::link_up(m.port), now, _out);
        dpdk::log(dpdk::log_type::lacp, dpdk::log_level::info, "{} back in the LACP group as port {}", m.name,
                  _members[i].port_number);
        apply(now);
        return ok_v;
    }
    if (m.port_number == 0) {
        uint16_t top = 0;
        for (const auto& x : _members)
            top = std::max(top, x.port_number);
        m.port_number = static_cast<uint16_t>(top + 1);
    }
    auto r = _group.add_port({.mac = m.mac, .port_number = m.port_number, .port_priority = m.port_priority}, now, _out);
    if (!r)
        return make_error(r.err().code, fmt::format("port '{}': {}", m.name, r.err().message));
    m.active = true;
    _members.push_back(std::move(m));
    const auto& added = _members.back();
    apply_speed(_members.size() - 1, now);
    _group.set_link(*r, dpdk::link_up(added.port), now, _out);
    dpdk::log(dpdk::log_type::lacp, dpdk::log_level::info, "{} joined the LACP group as port {}", added.name,
              added.port_number);
    apply(now);
    return ok_v;
}

void lacp_driver::remove_member(std::string_view name, time_point now) {
    for (size_t i = 0; i < _members.size(); ++i) {
        if (_members[i].name != name || !_members[i].active)
            continue;
        _members[i].active = false;
        _group.set_link(static_cast<uint16_t>(i), false, now, _out);
        dpdk::log(dpdk::log_type::lacp, dpdk::log_level::info, "{} left the LACP group", name);
        apply(now);
    }
}

void lacp_driver::set_rate(lacp::lacp_rate rate, time_point now) {
    _group.set_rate(rate, now, _out);
    dpdk::log(dpdk::log_type::lacp, dpdk::log_level::info, "rate {}", rate == lacp::lacp_rate::fast ? "fast" : "slow");
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
    using dpdk::log_level;
    using dpdk::log_type;
    for (const auto& a : _out) {
        if (a.port >= _members.size())
            continue;
        const lacp_member& mb = _members[a.port];
        if (!mb.active)
            continue; // removed: nothing of it reaches the wire, the model or control
        // Machine transitions and LACPDUs sent at debug; outcomes at info.
        bool outcome = a.kind == lacp::action_kind::partner || a.kind == lacp::action_kind::collecting ||
                       a.kind == lacp::action_kind::distributing || a.kind == lacp::action_kind::selection;
        if (auto level = outcome ? log_level::info : log_level::debug; dpdk::log_enabled(log_type::lacp, level))
            dpdk::log_write(log_type::lacp, level, fmt::format("{} {}", mb.name, a.to_string()));
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
        if (!state_changed[i] || !_members[i].active)
            continue;
        auto s = _group.status(static_cast<uint16_t>(i));
        if (!_control.set_member_state(_members[i].name, s.distributing, s.collecting, now))
            ++_counters.apply_failed;
    }
}

} // namespace lag::ctl
