#pragma once
// One daemon per device. Before the EAL probes anything, dpdk-lagd takes an
// exclusive, non-blocking flock(2) on a file named after each port's
// physical resources: each kernel interface a vdev names (`iface=`,
// `rx_iface=`, `rx_iface_in=`, `tx_iface=`: net_pcap, net_af_packet,
// net_af_xdp, net_tap) or the PCI address of a NIC. A second daemon on any of them stops with `device-in-use`, naming
// the port, before it touches a device. The kernel releases the locks when
// the process ends, however it ends (SIGKILL included). Virtual devices
// with no shared resource (net_null, net_ring, pcap files) take no lock.
#include "common/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace lag::lagd {

struct daemon_config;

// The lock names of a device string ("iface-veth0", "pci-0000:01:00.0"),
// none if it has no resource another process could share.
std::vector<std::string> device_resources(std::string_view device);

class device_locks {
public:
    static constexpr const char* default_dir = "/run/dpdk-lagd/devices";
    // Locks every port's resource under `dir` (created 0700 if missing).
    static result<device_locks> take(const daemon_config& cfg, const std::string& dir = default_dir);
    device_locks() = default;
    device_locks(device_locks&& o) noexcept : _fds(std::move(o._fds)) { o._fds.clear(); }
    device_locks& operator=(device_locks&&) = delete;
    device_locks(const device_locks&) = delete;
    ~device_locks();

private:
    std::vector<int> _fds;
};

} // namespace lag::lagd
