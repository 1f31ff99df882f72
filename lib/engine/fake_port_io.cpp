#include "engine/fake_port_io.hpp"

#include <fmt/format.h>

namespace lag::engine {

namespace {
std::string_view device_name(std::string_view device) { return device.substr(0, device.find(',')); }
error no_port(uint16_t port) { return make_error("port", fmt::format("no port {}", port)); }
} // namespace

uint16_t fake_port_io::add_device(std::string_view device, link_status link) {
    _devs.push_back({.name = std::string(device_name(device)), .link = link});
    return static_cast<uint16_t>(_devs.size() - 1);
}

fake_port_io::device* fake_port_io::find(std::string_view device) {
    for (auto& d : _devs)
        if (d.name == device_name(device))
            return &d;
    return nullptr;
}

std::optional<uint16_t> fake_port_io::id(std::string_view device) const {
    for (size_t i = 0; i < _devs.size(); ++i)
        if (_devs[i].name == device_name(device))
            return static_cast<uint16_t>(i);
    return std::nullopt;
}

std::vector<fake_port_io::sent_frame> fake_port_io::take_sent() {
    std::vector<sent_frame> v;
    v.swap(_sent);
    return v;
}

result<uint16_t> fake_port_io::probe(const std::string& device) {
    for (size_t i = 0; i < _devs.size(); ++i)
        if (_devs[i].name == device_name(device)) {
            _devs[i].closed = false;
            return static_cast<uint16_t>(i);
        }
    return make_error("probe", fmt::format("cannot probe device '{}': no such device", device));
}

result<uint16_t> fake_port_io::reprobe(const std::string& device) { return probe(device); }

uint16_t fake_port_io::max_tx_queues(uint16_t port) const { return port < _devs.size() ? _devs[port].max_tx : 0; }

result<void> fake_port_io::configure_and_start(uint16_t port, const port_setup& s) {
    if (port >= _devs.size() || _devs[port].closed)
        return no_port(port);
    device& d = _devs[port];
    if (s.tx_queues > d.max_tx)
        return make_error("port-queues", fmt::format("{}: needs {} TX queues, the device has at most {}", d.name,
                                                     s.tx_queues, d.max_tx));
    if (s.mtu != 0)
        if (auto ok = check_mtu(port, s.mtu); !ok)
            return ok;
    if (d.refuse_starts > 0) {
        --d.refuse_starts;
        return make_error("port", fmt::format("{}: start failed: refused (fake)", d.name));
    }
    d.setup = s;
    if (s.mtu != 0)
        d.mtu = s.mtu;
    d.started = true;
    ++d.starts;
    return ok_v;
}

void fake_port_io::stop(uint16_t port) noexcept {
    if (port < _devs.size())
        _devs[port].started = false;
}

void fake_port_io::stop_and_close(uint16_t port) noexcept {
    if (port < _devs.size()) {
        _devs[port].started = false;
        _devs[port].closed = true;
    }
}

bool fake_port_io::started(uint16_t port) const noexcept { return port < _devs.size() && _devs[port].started; }

result<void> fake_port_io::check_mtu(uint16_t port, uint16_t mtu) const {
    if (port >= _devs.size())
        return no_port(port);
    if (mtu < 68 || mtu > _devs[port].max_mtu)
        return make_error("mtu", fmt::format("{}: MTU {} is outside what the device allows, 68 to {}",
                                             _devs[port].name, mtu, _devs[port].max_mtu));
    return ok_v;
}

result<void> fake_port_io::set_mtu(uint16_t port, uint16_t mtu) {
    if (auto ok = check_mtu(port, mtu); !ok)
        return ok;
    if (_devs[port].refuse_set_mtu)
        return make_error("mtu", fmt::format("{}: the device refuses MTU {} (fake)", _devs[port].name, mtu));
    _devs[port].mtu = mtu;
    ++_devs[port].mtu_sets;
    return ok_v;
}

uint16_t fake_port_io::mtu(uint16_t port) const noexcept { return port < _devs.size() ? _devs[port].mtu : 0; }

link_status fake_port_io::link(uint16_t port) const noexcept {
    // A stopped port has no link, as a real one.
    if (port >= _devs.size() || !_devs[port].started)
        return {};
    return _devs[port].link;
}

result<void> fake_port_io::set_mac(uint16_t port, const mac_addr& mac) {
    if (port >= _devs.size())
        return no_port(port);
    _devs[port].mac = mac;
    return ok_v;
}

std::optional<mac_addr> fake_port_io::mac(uint16_t port) const {
    return port < _devs.size() ? _devs[port].mac : std::nullopt;
}

bool fake_port_io::send(uint16_t port, uint16_t queue, std::span<const uint8_t> frame) {
    if (port >= _devs.size() || !_devs[port].started || _devs[port].refuse_send || !_devs[port].link.up)
        return false;
    _sent.push_back({port, queue, std::vector<uint8_t>(frame.begin(), frame.end())});
    return true;
}

std::string fake_port_io::name(uint16_t port) const {
    return port < _devs.size() ? _devs[port].name : fmt::format("port{}", port);
}

} // namespace lag::engine
