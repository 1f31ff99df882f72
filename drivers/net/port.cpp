#include "port.hpp"

#include "dpdk/dpdk.hpp"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_mbuf.h>

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace lag::net {

namespace {
std::array<bool, RTE_MAX_ETHPORTS> lsc_on{};
std::array<bool, RTE_MAX_ETHPORTS> started{}; // by configure_and_start, until stop
std::array<uint16_t, RTE_MAX_ETHPORTS> rxq_of{}; // RX queues configure_and_start set up

// A device whose RX queues exist from its probe, as its devargs made them:
// net_af_packet's qpairs=N (N sockets in one fanout group: the kernel
// spreads frames over all of them), net_pcap's rx streams. Every one of
// them is configured, and so polled, whatever the worker count.
constexpr std::array<uint8_t, 128> symmetric_rss_key = [] {
    std::array<uint8_t, 128> k{};
    for (size_t i = 0; i < k.size(); ++i)
        k[i] = i % 2 == 0 ? 0x6d : 0x5a;
    return k;
}();

bool rx_queues_fixed(const rte_eth_dev_info& info) {
    const std::string_view drv = info.driver_name != nullptr ? info.driver_name : "";
    return drv == "net_af_packet" || drv == "net_pcap";
}

std::string device_name(const std::string& device) {
    auto comma = device.find(',');
    return comma == std::string::npos ? device : device.substr(0, comma);
}
// The kernel interfaces a net_pcap or net_af_packet port sends and receives
// on (its devargs' iface=, rx_iface=, rx_iface_in=, tx_iface=); none for
// any other device.
std::vector<std::string> kernel_ifaces(uint16_t port, const rte_eth_dev_info& info) {
    std::vector<std::string> out;
    const std::string_view drv = info.driver_name != nullptr ? info.driver_name : "";
    if (drv != "net_pcap" && drv != "net_af_packet")
        return out;
    const rte_devargs* da = info.device != nullptr ? rte_dev_devargs(info.device) : nullptr;
    if (da == nullptr || da->args == nullptr)
        return out;
    std::string_view args = da->args;
    (void)port;
    while (!args.empty()) {
        auto comma = args.find(',');
        std::string_view kv = args.substr(0, comma);
        args = comma == std::string_view::npos ? std::string_view{} : args.substr(comma + 1);
        auto eq = kv.find('=');
        if (eq == std::string_view::npos)
            continue;
        std::string_view k = kv.substr(0, eq), v = kv.substr(eq + 1);
        if (k == "iface" || k == "rx_iface" || k == "rx_iface_in" || k == "tx_iface") {
            std::string name(v);
            bool seen = false;
            for (const auto& o : out)
                seen = seen || o == name;
            if (!seen)
                out.push_back(std::move(name));
        }
    }
    return out;
}

// Raises a kernel interface's MTU to `mtu` where it is lower.
result<void> raise_kernel_mtu(const std::string& port_name, const std::string& iface, uint16_t mtu) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return make_error("mtu", fmt::format("{}: no socket to set interface {}'s MTU: {}", port_name, iface,
                                             std::strerror(errno)));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, iface.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFMTU, &ifr) != 0) {
        int e = errno;
        close(fd);
        return make_error("mtu", fmt::format("{}: cannot read interface {}'s MTU: {}", port_name, iface,
                                             std::strerror(e)));
    }
    const int had = ifr.ifr_mtu;
    if (had >= mtu) {
        close(fd);
        return ok_v;
    }
    ifr.ifr_mtu = mtu;
    int rc = ioctl(fd, SIOCSIFMTU, &ifr);
    int e = errno;
    close(fd);
    if (rc != 0)
        return make_error("mtu", fmt::format("{}: interface {} cannot take MTU {} (it has {}): {}", port_name,
                                             iface, mtu, had, std::strerror(e)));
    return ok_v;
}
// The value of devargs key `key` of the port's device ("" if none).
std::string devarg(const rte_eth_dev_info& info, std::string_view key) {
    const rte_devargs* da = info.device != nullptr ? rte_dev_devargs(info.device) : nullptr;
    std::string_view args = da != nullptr && da->args != nullptr ? da->args : "";
    while (!args.empty()) {
        auto comma = args.find(',');
        std::string_view kv = args.substr(0, comma);
        args = comma == std::string_view::npos ? std::string_view{} : args.substr(comma + 1);
        auto eq = kv.find('=');
        if (eq != std::string_view::npos && kv.substr(0, eq) == key)
            return std::string(kv.substr(eq + 1));
    }
    return {};
}

// The frame overhead rte_eth_dev_configure and rte_eth_dev_set_mtu count
// (the driver's, where it states one through max_mtu, else header and CRC).
uint32_t ethdev_overhead(const rte_eth_dev_info& info) {
    return info.max_mtu != UINT16_MAX && info.max_rx_pktlen > info.max_mtu ? info.max_rx_pktlen - info.max_mtu
                                                                           : uint32_t{RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN};
}
// Whether ethdev itself takes `mtu` (its configure and set_mtu check it
// against max_rx_pktlen).
bool ethdev_takes(const rte_eth_dev_info& info, uint16_t mtu) {
    return mtu <= info.max_mtu && mtu + ethdev_overhead(info) <= info.max_rx_pktlen;
}
// net_af_packet states the Ethernet default as its longest frame
// (max_rx_pktlen 1518) whatever its ring frames hold, so ethdev refuses any
// MTU above 1500 on it; its frames are limited by the ring's frame size
// (devargs framesz, 2048 by default, less the 32-octet tpacket header) and
// by the kernel interface's MTU, which set_mtu raises. 0: not af_packet.
uint32_t af_packet_max_mtu(const rte_eth_dev_info& info) {
    const std::string_view drv = info.driver_name != nullptr ? info.driver_name : "";
    if (drv != "net_af_packet")
        return 0;
    const std::string fs = devarg(info, "framesz");
    const unsigned long framesz = fs.empty() ? 2048ul : std::strtoul(fs.c_str(), nullptr, 0);
    return framesz > 32 + frame_overhead ? static_cast<uint32_t>(framesz - 32 - frame_overhead) : 0u;
}

// The device's MTU range and the pool's data room (no chained frames).
result<void> check_mtu_info(const std::string& name, const rte_eth_dev_info& info, uint16_t mtu, const rte_mempool* pool) {
    if (const uint32_t afp = af_packet_max_mtu(info); afp != 0) {
        if (mtu > afp || mtu < info.min_mtu)
            return make_error("mtu", fmt::format("{}: MTU {} is outside what the device ({}) allows, {} to {} "
                                                 "(its ring's frame size, devargs framesz)",
                                                 name, mtu, info.driver_name, info.min_mtu, afp));
    } else {
        if (mtu > info.max_mtu || mtu < info.min_mtu)
            return make_error("mtu", fmt::format("{}: MTU {} is outside what the device ({}) allows, {} to {}", name,
                                                 mtu, info.driver_name, info.min_mtu, info.max_mtu));
        // The frame the MTU makes, as rte_eth_dev_configure counts it,
        // against the longest the device receives: a PMD may say nothing
        // through max_mtu (net_tap takes 1522-octet frames at most).
        const uint32_t overhead = ethdev_overhead(info);
        if (mtu + overhead > info.max_rx_pktlen)
            return make_error("mtu", fmt::format("{}: MTU {} makes {}-octet frames, the device ({}) takes at most {}",
                                                 name, mtu, mtu + overhead, info.driver_name, info.max_rx_pktlen));
    }
    if (pool != nullptr) {
        const unsigned room =
            rte_pktmbuf_data_room_size(const_cast<rte_mempool*>(pool)) - unsigned{RTE_PKTMBUF_HEADROOM};
        if (mtu + frame_overhead > room)
            return make_error("mtu", fmt::format("{}: MTU {} needs {} octets of mbuf, the pool's have {} "
                                                 "(frames are not chained)",
                                                 name, mtu, mtu + frame_overhead, room));
    }
    return ok_v;
}
} // namespace

result<uint16_t> probe(const std::string& device) {
    std::string name = device_name(device);
    uint16_t port = 0;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port) == 0)
        return port;
    int rc = rte_dev_probe(device.c_str());
    if (rc != 0)
        return make_error("probe", fmt::format("cannot probe device '{}': {}", device, rte_strerror(-rc)));
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port) != 0)
        return make_error("probe", fmt::format("device '{}' probed but no ethdev port named '{}'", device, name));
    return port;
}

result<uint16_t> reprobe(const std::string& device) {
    std::string name = device_name(device);
    uint16_t port = 0;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port) == 0) {
        rte_eth_dev_info info{};
        const bool vdev = rte_eth_dev_info_get(port, &info) == 0 && info.device != nullptr &&
                          rte_dev_bus(info.device) != nullptr &&
                          std::string_view(rte_bus_name(rte_dev_bus(info.device))) == "vdev";
        if (vdev && port < RTE_MAX_ETHPORTS && !started[port])
            stop_and_close(port);
    }
    return probe(device);
}

result<void> configure_and_start(uint16_t port, const port_setup& s) {
    if (!rte_eth_dev_is_valid_port(port))
        return make_error("port", fmt::format("no port {}", port));
    std::string name = port_name(port);
    rte_eth_dev_info info{};
    int rc = rte_eth_dev_info_get(port, &info);
    if (rc != 0)
        return make_error("port", fmt::format("{}: cannot read device info: {}", name, rte_strerror(-rc)));
    if (s.rx_queues > info.max_rx_queues || s.tx_queues > info.max_tx_queues)
        return make_error("port-queues",
                          fmt::format("{}: needs {} RX and {} TX queues, the PMD ({}) has at most {} and {}",
                                      name, s.rx_queues, s.tx_queues, info.driver_name,
                                      info.max_rx_queues, info.max_tx_queues));
    if (s.pool == nullptr)
        return make_error("port", fmt::format("{}: no mbuf pool", name));
    const uint16_t nb_rx = rx_queues_fixed(info) ? std::max(s.rx_queues, info.max_rx_queues) : s.rx_queues;

    if (s.mtu != 0)
        if (auto ok = check_mtu_info(name, info, s.mtu, s.pool); !ok)
            return ok;

    rte_eth_conf conf{};
    // 0: RTE_ETHER_MTU; an MTU ethdev does not take (net_af_packet above
    // 1500) is the kernel interface's (set_mtu).
    conf.rxmode.mtu = ethdev_takes(info, s.mtu) ? s.mtu : 0;
    if (nb_rx > 1 && info.flow_type_rss_offloads != 0) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf =
            (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
        // The symmetric Toeplitz key: both directions of a flow hash alike,
        // so land on one worker. A PMD that states no key size takes
        // Microsoft's 40 octets.
        const uint8_t len = info.hash_key_size != 0 ? info.hash_key_size : uint8_t{40};
        if (len <= symmetric_rss_key.size()) {
            conf.rx_adv_conf.rss_conf.rss_key = const_cast<uint8_t*>(symmetric_rss_key.data());
            conf.rx_adv_conf.rss_conf.rss_key_len = len;
        }
        // The hash in each mbuf, where the device hands it over.
        if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH)
            conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
    }
    bool lsc = s.lsc && info.dev_flags != nullptr && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC) != 0;
    conf.intr_conf.lsc = lsc ? 1 : 0;
    if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;

    rc = rte_eth_dev_configure(port, nb_rx, s.tx_queues, &conf);
    if (rc != 0)
        return make_error("port", fmt::format("{}: configure failed: {}", name, rte_strerror(-rc)));
    if (s.mtu != 0)
        if (auto ok = set_mtu(port, s.mtu, s.pool); !ok)
            return ok;
    uint16_t rxd = s.rx_desc, txd = s.tx_desc;
    (void)rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
    int socket = rte_eth_dev_socket_id(port);
    if (socket < 0)
        socket = SOCKET_ID_ANY;
    // RX mbufs on the port's socket where there is a pool there.
    rte_mempool* rx_pool = s.pools != nullptr ? s.pools->for_socket(socket) : s.pool;
    for (uint16_t q = 0; q < nb_rx; ++q) {
        rc = rte_eth_rx_queue_setup(port, q, rxd, static_cast<unsigned>(socket), nullptr, rx_pool);
        if (rc != 0)
            return make_error("port", fmt::format("{}: RX queue {} set-up failed: {}", name, q, rte_strerror(-rc)));
    }
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = conf.txmode.offloads;
    for (uint16_t q = 0; q < s.tx_queues; ++q) {
        rc = rte_eth_tx_queue_setup(port, q, txd, static_cast<unsigned>(socket), &txconf);
        if (rc != 0)
            return make_error("port", fmt::format("{}: TX queue {} set-up failed: {}", name, q, rte_strerror(-rc)));
    }
    if (s.promiscuous)
        (void)rte_eth_promiscuous_enable(port); // not every PMD has it; harmless then
    rc = rte_eth_dev_start(port);
    if (rc != 0)
        return make_error("port", fmt::format("{}: start failed: {}", name, rte_strerror(-rc)));
    // The key once more on the started port: some PMDs (net_null) keep
    // their own at configure and take one only here. Not every PMD can
    // (-ENOTSUP): then the configure-time key stands.
    if (conf.rx_adv_conf.rss_conf.rss_key != nullptr)
        (void)rte_eth_dev_rss_hash_update(port, &conf.rx_adv_conf.rss_conf);
    lsc_on[port] = lsc;
    started[port] = true;
    rxq_of[port] = nb_rx;
    return ok_v;
}

result<void> check_mtu(uint16_t port, uint16_t mtu, const rte_mempool* pool) {
    if (!rte_eth_dev_is_valid_port(port))
        return make_error("port", fmt::format("no port {}", port));
    rte_eth_dev_info info{};
    if (int rc = rte_eth_dev_info_get(port, &info); rc != 0)
        return make_error("port", fmt::format("{}: cannot read device info: {}", port_name(port), rte_strerror(-rc)));
    return check_mtu_info(port_name(port), info, mtu, pool);
}

result<void> set_mtu(uint16_t port, uint16_t mtu, const rte_mempool* pool) {
    if (!rte_eth_dev_is_valid_port(port))
        return make_error("port", fmt::format("no port {}", port));
    std::string name = port_name(port);
    rte_eth_dev_info info{};
    if (int rc = rte_eth_dev_info_get(port, &info); rc != 0)
        return make_error("port", fmt::format("{}: cannot read device info: {}", name, rte_strerror(-rc)));
    if (auto ok = check_mtu_info(name, info, mtu, pool); !ok)
        return ok;
    const auto ifaces = kernel_ifaces(port, info);
    // The kernel interfaces first: they are only raised, so a refusal
    // further on leaves them able to carry what the port had.
    for (const auto& i : ifaces)
        if (auto ok = raise_kernel_mtu(name, i, mtu); !ok)
            return ok;
    uint16_t had = 0;
    (void)rte_eth_dev_get_mtu(port, &had);
    // net_af_packet above what ethdev takes (checked above against its
    // frame size): the kernel interface's MTU, raised, is the limit.
    int rc = ethdev_takes(info, mtu) ? rte_eth_dev_set_mtu(port, mtu) : 0;
    // A PMD without an MTU operation (net_pcap, on files or interfaces)
    // limits no frame by it: within the device's range (checked above),
    // the MTU is the LAG's to keep; on an interface the kernel's is raised.
    if (rc == -ENOTSUP)
        rc = 0;
    if (rc != 0)
        return make_error("mtu", fmt::format("{}: the device refuses MTU {} (it has {}, maximum {}): {}", name, mtu,
                                             had, info.max_mtu, rte_strerror(-rc)));
    return ok_v;
}

namespace {
constexpr uint16_t ether_type_eapol = 0x888E;
// One ingress rule: EtherType `et` to RX queue `queue`; validated only, or made.
int flow_rule(uint16_t port, uint16_t et, uint16_t queue, bool create, rte_flow_error& err) {
    rte_flow_attr attr{};
    attr.ingress = 1;
    rte_flow_item_eth spec{}, mask{};
    spec.type = rte_cpu_to_be_16(et);
    mask.type = 0xffff;
    rte_flow_item pattern[2] = {};
    pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;
    pattern[0].spec = &spec;
    pattern[0].mask = &mask;
    pattern[1].type = RTE_FLOW_ITEM_TYPE_END;
    rte_flow_action_queue q{};
    q.index = queue;
    rte_flow_action actions[2] = {};
    actions[0].type = RTE_FLOW_ACTION_TYPE_QUEUE;
    actions[0].conf = &q;
    actions[1].type = RTE_FLOW_ACTION_TYPE_END;
    if (!create)
        return rte_flow_validate(port, &attr, pattern, actions, &err);
    return rte_flow_create(port, &attr, pattern, actions, &err) != nullptr ? 0 : -rte_errno;
}
std::string flow_reason(const rte_flow_error& e, int rc) {
    return e.message != nullptr ? std::string(e.message) : std::string(rte_strerror(rc < 0 ? -rc : rc));
}
} // namespace

result<uint16_t> steer_control_frames(uint16_t port, const port_setup& s, bool clear_lacp) {
    if (!rte_eth_dev_is_valid_port(port) || port >= RTE_MAX_ETHPORTS || !started[port])
        return make_error("rte-flow", fmt::format("port {} is not started", port));
    const std::string name = port_name(port);
    rte_eth_dev_info info{};
    if (int rc = rte_eth_dev_info_get(port, &info); rc != 0)
        return make_error("rte-flow", fmt::format("{}: cannot read device info: {}", name, rte_strerror(-rc)));
    const char* drv = info.driver_name != nullptr ? info.driver_name : "?";
    rte_flow_error fe{};
    if (int rc = flow_rule(port, ether_type_eapol, 0, false, fe); rc != 0)
        return make_error("rte-flow", fmt::format("{}: the device ({}) takes no rte_flow rule steering EtherType "
                                                  "0x888E to an RX queue: {}",
                                                  name, drv, flow_reason(fe, rc)));
    const uint16_t nb_rx = rxq_of[port];
    if (info.max_rx_queues <= nb_rx)
        return make_error("rte-flow", fmt::format("{}: the device ({}) has no RX queue to spare for control "
                                                  "frames ({} of {} used)",
                                                  name, drv, nb_rx, info.max_rx_queues));
    // As configure_and_start(s) made it, on any refusal from here.
    auto back = [&](std::string why) -> error {
        (void)rte_flow_flush(port, &fe);
        stop(port);
        (void)configure_and_start(port, s);
        return make_error("rte-flow", fmt::format("{}: {}", name, why));
    };
    stop(port);
    port_setup t = s;
    t.rx_queues = static_cast<uint16_t>(nb_rx + 1);
    if (auto ok = configure_and_start(port, t); !ok)
        return back(ok.err().message);
    rxq_of[port] = nb_rx; // the workers' queues; the last is control's
    // RSS over the workers' queues only.
    if (rte_eth_dev_info_get(port, &info) == 0 && info.reta_size != 0) {
        std::vector<rte_eth_rss_reta_entry64> reta((info.reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) /
                                                   RTE_ETH_RETA_GROUP_SIZE);
        for (size_t i = 0; i < info.reta_size; ++i) {
            reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= uint64_t{1} << (i % RTE_ETH_RETA_GROUP_SIZE);
            reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = static_cast<uint16_t>(i % nb_rx);
        }
        if (int rc = rte_eth_dev_rss_reta_update(port, reta.data(), info.reta_size); rc != 0)
            return back(fmt::format("cannot keep RSS off the control queue: {}", rte_strerror(-rc)));
    }
    for (uint16_t et : {uint16_t{ether_type_eapol}, uint16_t{RTE_ETHER_TYPE_SLOW}}) {
        if (et == RTE_ETHER_TYPE_SLOW && !clear_lacp)
            continue;
        if (int rc = flow_rule(port, et, nb_rx, true, fe); rc != 0)
            return back(fmt::format("the device ({}) refuses the rule steering EtherType {:#06x} to RX queue {}: {}",
                                    drv, et, nb_rx, flow_reason(fe, rc)));
    }
    return nb_rx;
}

uint16_t rx_queue_count(uint16_t port) noexcept { return port < RTE_MAX_ETHPORTS ? rxq_of[port] : 0; }

bool lsc_enabled(uint16_t port) noexcept { return port < RTE_MAX_ETHPORTS && lsc_on[port]; }

void stop(uint16_t port) noexcept {
    if (rte_eth_dev_is_valid_port(port))
        (void)rte_eth_dev_stop(port);
    if (port < RTE_MAX_ETHPORTS)
        started[port] = false;
}

void stop_and_close(uint16_t port) noexcept {
    if (!rte_eth_dev_is_valid_port(port))
        return;
    rte_eth_dev_info info{};
    bool have_info = rte_eth_dev_info_get(port, &info) == 0;
    rte_device* dev = have_info ? info.device : nullptr;
    (void)rte_eth_dev_stop(port);
    (void)rte_eth_dev_close(port);
    if (port < RTE_MAX_ETHPORTS) {
        lsc_on[port] = false;
        started[port] = false;
    }
    if (dev != nullptr && rte_dev_bus(dev) != nullptr &&
        std::string_view(rte_bus_name(rte_dev_bus(dev))) == "vdev")
        (void)rte_dev_remove(dev);
}

uint16_t max_tx_queues(uint16_t port) noexcept {
    rte_eth_dev_info info{};
    return rte_eth_dev_info_get(port, &info) == 0 ? info.max_tx_queues : 0;
}

std::string port_name(uint16_t port) {
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    if (rte_eth_dev_get_name_by_port(port, name) != 0)
        return fmt::format("port{}", port);
    return name;
}

} // namespace lag::net
