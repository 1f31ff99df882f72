#pragma once
// lib/engine: a port_io for tests, in memory. Devices exist once a test adds
// them (a probe of any other refuses, "probe"); a test sets each device's
// link and speed, can make its next starts refuse ("port") and its sends
// fail, and reads back every control frame sent. Deterministic: no clock.

#include "engine/port_io.hpp"

#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace lag::engine {

class fake_port_io final : public port_io {
public:
    struct device {
        std::string name; // the device string up to its first comma
        bool started = false;
        bool closed = false;
        port_setup setup; // the last one started with
        unsigned starts = 0;
        unsigned refuse_starts = 0; // this many next configure_and_start calls refuse
        bool refuse_send = false;
        bool refuse_set_mtu = false; // takes check_mtu, refuses set_mtu
        unsigned mtu_sets = 0;       // set_mtu calls that changed it
        uint16_t max_tx = 16;
        uint16_t mtu = 1500;
        uint16_t max_mtu = 9600;
        link_status link{.up = true, .speed_mbps = 10'000};
        std::optional<mac_addr> mac;
    };
    struct sent_frame {
        uint16_t port;
        uint16_t queue;
        std::vector<uint8_t> bytes;
    };

    // A device that probe() finds; returns its port id.
    uint16_t add_device(std::string_view device, link_status link = {.up = true, .speed_mbps = 10'000});
    // The device a port id or device string names; null if none.
    device* find(std::string_view device);
    std::optional<uint16_t> id(std::string_view device) const; // its port id
    device& at(uint16_t port) { return _devs.at(port); }
    const device& at(uint16_t port) const { return _devs.at(port); }
    size_t device_count() const noexcept { return _devs.size(); }
    // Every frame sent since the last take_sent(), in order.
    std::vector<sent_frame> take_sent();
    const std::vector<sent_frame>& sent() const noexcept { return _sent; }

    result<uint16_t> probe(const std::string& device) override;
    result<uint16_t> reprobe(const std::string& device) override;
    uint16_t max_tx_queues(uint16_t port) const override;
    result<void> configure_and_start(uint16_t port, const port_setup& s) override;
    void stop(uint16_t port) noexcept override;
    void stop_and_close(uint16_t port) noexcept override;
    bool started(uint16_t port) const noexcept override;
    result<void> check_mtu(uint16_t port, uint16_t mtu) const override;
    result<void> set_mtu(uint16_t port, uint16_t mtu) override;
    uint16_t mtu(uint16_t port) const noexcept override;
    link_status link(uint16_t port) const noexcept override;
    result<void> set_mac(uint16_t port, const mac_addr& mac) override;
    std::optional<mac_addr> mac(uint16_t port) const override;
    bool send(uint16_t port, uint16_t queue, std::span<const uint8_t> frame) override;
    std::string name(uint16_t port) const override;

private:
    std::deque<device> _devs; // port id: index
    std::vector<sent_frame> _sent;
};

} // namespace lag::engine
