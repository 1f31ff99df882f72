#pragma once
// lib/engine: port I/O behind an interface. Everything the host does to a
// device goes through a port_io: probe, queue set-up and start, stop, MTU,
// link state and speed, MAC, and sending one control frame. The daemon hands
// the engine the ethdev implementation (drivers/net/port_io_ethdev.hpp);
// tests hand it fake_port_io (fake_port_io.hpp), which can refuse to start,
// reports the link and speed a test sets and records every control frame
// sent, so that a whole host runs in one process in virtual time.
//
// Pure: no DPDK here; port ids are the implementation's (ethdev port ids,
// or the fake's own).

#include "common/mac_addr.hpp"
#include "common/result.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace lag::engine {

// A port's queues and mode, as configure_and_start takes them.
struct port_setup {
    uint16_t rx_queues = 1;
    uint16_t tx_queues = 1;
    uint16_t rx_desc = 1024;
    uint16_t tx_desc = 1024;
    bool lsc = true;         // link-status-change interrupts where the device raises them
    bool promiscuous = true; // a bump in the wire forwards every MAC
    uint16_t mtu = 0;        // largest IP packet; 0: the device's default

    bool operator==(const port_setup&) const = default;
};

struct link_status {
    bool up = false;
    uint32_t speed_mbps = 0; // 0: unknown (or down)

    bool operator==(const link_status&) const = default;
};

class port_io {
public:
    virtual ~port_io() = default;

    // The port of `device` ("0000:03:00.0", "net_ring0", "net_pcap0,..."),
    // probed unless it exists.
    virtual result<uint16_t> probe(const std::string& device) = 0;
    // probe() for a port that comes back after it left a LAG: a virtual
    // device that is stopped is closed and probed afresh (its id may change).
    virtual result<uint16_t> reprobe(const std::string& device) = 0;
    // The most TX queues the device takes (0: it cannot say).
    virtual uint16_t max_tx_queues(uint16_t port) const = 0;
    // Configures the queues and starts the port; refuses (naming the rule,
    // "port-queues", "mtu", "port") and leaves it stopped.
    virtual result<void> configure_and_start(uint16_t port, const port_setup& s) = 0;
    // Stops the port; it stays probed and configured.
    virtual void stop(uint16_t port) noexcept = 0;
    // Stops and closes the port (a virtual device is removed too).
    virtual void stop_and_close(uint16_t port) noexcept = 0;
    // Whether the port is started (configure_and_start, until stop).
    virtual bool started(uint16_t port) const noexcept = 0;

    // The MTU checks alone (device range, buffer room): changes nothing.
    virtual result<void> check_mtu(uint16_t port, uint16_t mtu) const = 0;
    virtual result<void> set_mtu(uint16_t port, uint16_t mtu) = 0;
    virtual uint16_t mtu(uint16_t port) const noexcept = 0; // 0: unknown

    // The link now, without waiting.
    virtual link_status link(uint16_t port) const noexcept = 0;
    // Sets the port's own MAC; a device that cannot keeps its own and that
    // is no error (callers use the address they configured either way).
    virtual result<void> set_mac(uint16_t port, const mac_addr& mac) = 0;
    virtual std::optional<mac_addr> mac(uint16_t port) const = 0;
    // Sends one whole Ethernet frame on TX queue `queue`; false if it could not.
    virtual bool send(uint16_t port, uint16_t queue, std::span<const uint8_t> frame) = 0;
    // The port's device name ("net_ring0").
    virtual std::string name(uint16_t port) const = 0;
};

// A member's queue set-up: `with_control` (the workers' queues and a spare
// TX queue, the last, for control frames) where the device has the TX queues
// for it, else without the spare queue, unless `required` (LACP or MKA run):
// then refused ("port-queues"), naming the port. The bool: the spare queue
// is there.
result<std::pair<port_setup, bool>> member_setup(const port_io& io, uint16_t port, const std::string& name,
                                                 const port_setup& with_control, bool required);

struct mtu_change {
    std::string name; // the port's, for messages
    uint16_t port;
    uint16_t mtu;
};

// Sets each port's MTU, all or none: every one is checked first (a refusal
// changes nothing and names the port, "mtu"); a device that takes the check
// and then refuses puts the ports already changed back to what they had.
result<void> apply_mtus(port_io& io, const std::vector<mtu_change>& plan);

} // namespace lag::engine
