#pragma once
// Ethdev port set-up for any EAL device (PCI NIC or vdev): probe a device
// string, configure N RX / M TX queues (RSS on the RX side where the PMD has
// it and N > 1, LSC interrupts where the PMD raises them), start, stop,
// close. Control-path code: returns errors, never throws.

#include "common/result.hpp"

#include <cstdint>
#include <string>

struct rte_mempool;

namespace lag::dpdk {
class socket_pools;
}

namespace lag::net {

struct port_setup {
    uint16_t rx_queues = 1;
    uint16_t tx_queues = 1;
    uint16_t rx_desc = 1024;
    uint16_t tx_desc = 1024;
    rte_mempool* pool = nullptr; // RX mbufs come from here (and its data room bounds the MTU)
    // Where set, RX mbufs come from the pool on the port's NUMA socket
    // instead (same data room; `pool` where that socket has none).
    dpdk::socket_pools* pools = nullptr;
    bool lsc = true;             // ask for LSC interrupts if the PMD has them
    bool promiscuous = true;     // a bump in the wire forwards every MAC
    // The port's MTU (largest IP packet, what rte_eth_dev_set_mtu takes);
    // 0: the device's default.
    uint16_t mtu = 0;
};

// Probes `device` ("0000:03:00.0", "net_ring0", "net_pcap0,rx_pcap=a.pcap")
// unless a port of that name already exists, and returns its port id.
result<uint16_t> probe(const std::string& device);

// probe() for a port that comes back (a member added again after it left a
// LAG, or moved from another): a virtual device that exists and is stopped
// is closed, removed and probed afresh from `device`, so that it starts as
// it did the first time (DPDK 22.11's net_pcap does not reopen an
// rx_iface_in capture on a restart: it would receive nothing). Any other
// device: as probe(). The port id may differ from the one it had.
result<uint16_t> reprobe(const std::string& device);

// Configures and starts the port. Refuses (with the PMD's limits in the
// message) a port that has fewer queues than asked for. A device whose RX
// queues its devargs made (net_af_packet qpairs=N, net_pcap's rx streams)
// gets all of them, when it has more than rx_queues: the kernel or the
// files deliver to each, so each must be polled (rx_queue_count).
result<void> configure_and_start(uint16_t port, const port_setup& s);

// Sets the port's MTU (configured or started): the device's limit
// (rte_eth_dev_info max_mtu) and the pool's data room are checked first and
// a refusal [rule: mtu] names the port and both numbers, changing nothing.
// For net_pcap and net_af_packet on a kernel interface (veth, NIC), the
// interface's kernel MTU is raised to `mtu` where it is lower (net_pcap
// cannot set it, and the kernel drops a frame above it on send and
// receive); it is never lowered. A PMD with no MTU operation (net_pcap)
// takes any MTU within its range.
result<void> set_mtu(uint16_t port, uint16_t mtu, const rte_mempool* pool);

// set_mtu's checks alone (device range, mbuf room): changes nothing.
result<void> check_mtu(uint16_t port, uint16_t mtu, const rte_mempool* pool);

// The Ethernet octets a frame adds to its MTU in an mbuf: header, two VLAN
// tags (QinQ), CRC.
inline constexpr unsigned frame_overhead = 14 + 8 + 4;

// The most TX queues the port's PMD takes (0 if it cannot say).
uint16_t max_tx_queues(uint16_t port) noexcept;

// rte_flow steering of control frames (issue 17 §4), written for NICs whose
// PMDs take such rules (mlx5, ice, i40e; DPDK bonding's dedicated queues do
// the same): EAPOL (EtherType 0x888E), and with `clear_lacp` slow protocols
// (0x8809, LACP run clear), go to an RX queue of their own that the control
// core polls, so a saturated worker cannot starve MKA or LACP. The port,
// started by configure_and_start(s), is first asked whether it takes such a
// rule at all (rte_flow_validate to queue 0); then it is restarted with one
// RX queue more (RSS's redirection table kept to the workers' queues) and
// the rules made. Returns the control queue's index; a refusal (no flow
// support: every virtual device here; no RX queue to spare; a rule or the
// table refused) says why [rule: rte-flow] and leaves the port as
// configure_and_start(s) made it: control frames stay on the punt path.
result<uint16_t> steer_control_frames(uint16_t port, const port_setup& s, bool clear_lacp);

// The RX queues configure_and_start set up on the port (0: not started).
uint16_t rx_queue_count(uint16_t port) noexcept;

// Whether configure_and_start enabled LSC interrupts on the port.
bool lsc_enabled(uint16_t port) noexcept;

// Stops the port (it stays probed and configured: configure_and_start
// brings it back).
void stop(uint16_t port) noexcept;

// Stops and closes the port (close flushes what pcap and similar PMDs
// buffered); and for vdevs, removes the device.
void stop_and_close(uint16_t port) noexcept;

// The port's device name ("net_ring0").
std::string port_name(uint16_t port);

} // namespace lag::net
