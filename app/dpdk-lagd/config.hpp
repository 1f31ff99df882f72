#pragma once
// dpdk-lagd's configuration file (TOML): what it holds, how it is read, and
// the check against the LAG model. No DPDK here: tests read files without an
// EAL.
//
//   profile = "provider"            # optional: "provider" (default) or "ieee"
//   [daemon]                        # optional
//   burst = 32                      # RX burst, 1..64
//   rx_desc = 1024                  # descriptors per queue
//   tx_desc = 1024
//   mbufs = 0                       # mbuf pool size, 0 = computed
//   link_poll_ms = 0                # link polling period, 0 = every control iteration (LSC acts at once)
//   stats_interval = 0              # seconds between counter prints, 0 = at exit only
//   autosave = false                # write run-time changes back to this file at once
//   socket = "/run/dpdk-lagd/dpdk-lagd.sock"  # control socket ("none": no socket)
//   [[port]]
//   name = "access0"
//   device = "net_ring0"            # any EAL device: PCI address or vdev string
//   speed = "10G"                   # optional: 1G, 10G (default), 100G
//   port_priority = 32768           # optional: LACP port priority of a member, 1..65535
//   mac = "02:00:00:00:00:01"       # optional: the port's MAC address: the source of its LACPDUs
//                                   # and MKPDUs and MKA's SCI, also set on the device if it can
//                                   # (net_pcap cannot); default: the device's
//   [[lag]]
//   name = "lag0"
//   access = "access0"
//   members = ["m0", "m1"]
//   min_links = 1                   # optional, default 0
//   hash = "l34"                    # optional: l2, l23, l34 (default), sym-l34
//   hash_algo = "crc32"             # optional: crc32 (default), toeplitz
//   buckets = 256                   # optional: power of two, 256..65536
//   [lag.lacp]                      # optional; without it the LAG is static (mode "off")
//   mode = "active"                 # active (default), passive, off (static: link up = member)
//   rate = "fast"                   # fast (default: 1 s / 3 s timeout) or slow (30 s / 90 s)
//   system_priority = 32768         # 1..65535
//   system_id = "02:00:00:00:00:01" # default: the first member's MAC
//   [lag.macsec]                    # optional: MACsec, see macsec_config.hpp
//   [[lag]]                         # more LAGs: each its own access port and members
//   name = "lag1"
//   access = "access1"
//   members = ["m2"]
//
// Unknown keys, wrong types and bad values are errors naming the file, line
// and rule; so is anything the LAG model refuses (with the model's rule code).

#include "common/mac_addr.hpp"
#include "common/result.hpp"
#include "dataplane/flow.hpp"
#include "lacp/lacp.hpp"
#include "macsec_config.hpp"
#include "lag/lag.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lag::lagd {

struct port_config {
    std::string name;
    std::string device;
    model::port_speed speed = model::port_speed::g10;
    bool speed_declared = false;    // `speed` given; else the device's (port_speed.hpp)
    bool speed_from_device = false; // `speed` is what the device reported at start
    std::optional<bool> check_speed; // nullopt: on for a physical device, off for a vdev
    uint16_t port_priority = 32768; // LACP, members only
    std::optional<mac_addr> mac;    // set at start; nullopt: the device's own
    unsigned line = 0;
};

// [lag.lacp], in lib/lacp's own terms: no mode (mode "off", or no table)
// is a static LAG.
struct lacp_config {
    std::optional<lacp::lacp_mode> mode;
    lacp::lacp_rate rate = lacp::lacp_rate::fast;
    uint16_t system_priority = 32768;
    std::optional<mac_addr> system_id; // nullopt: the first member's MAC
    unsigned line = 0;
};

struct lag_config {
    std::string name;
    std::string access;
    std::vector<std::string> members; // may be empty: the LAG waits (pending) for `add member`
    // [[lag]] `speed`: the LAG's (`create lag NAME speed S`); nullopt: its
    // first member's. An empty LAG saved by `save config` keeps it here.
    std::optional<model::port_speed> speed;
    unsigned min_links = 0;
    dp::hash_policy hash = dp::hash_policy::l34;
    dp::hash_algo hash_algo = dp::hash_algo::crc32;
    size_t buckets = 256;
    // `mtu`: the largest IP packet the LAG carries (the access port's MTU);
    // each member runs at mtu + member_mtu_overhead().
    uint16_t mtu = 1500;
    lacp_config lacp;
    macsec_config macsec;            // enabled only with a [lag.macsec] table
    unsigned line = 0, members_line = 0, min_links_line = 0, access_line = 0;
};

// [[lag]] `mtu` bounds (IPv4's minimum; the largest jumbo frames NICs take).
inline constexpr int64_t min_mtu = 68;
inline constexpr int64_t max_mtu = 9216;

// What MACsec adds to a frame on a member of `l`: the SecTAG (16 octets with
// the SCI, 8 without) and the 16-octet ICV; 0 without [lag.macsec].
inline uint16_t member_mtu_overhead(const lag_config& l) noexcept {
    return l.macsec.enabled ? static_cast<uint16_t>((l.macsec.include_sci ? 16 : 8) + 16) : 0;
}

// The mbuf data room (after the headroom) that a frame of a LAG with this
// MTU needs on any of its ports: Ethernet header, two VLAN tags, CRC and
// the most MACsec adds (32), rounded up to 64 octets.
inline unsigned mbuf_room(unsigned mtu) noexcept { return (mtu + 14 + 8 + 4 + 32 + 63) / 64 * 64; }

// The longest untagged frame a LAG with this MTU sends: Ethernet header
// and the MTU, no CRC (what an mbuf's pkt_len counts). Its workers drop a
// longer one from the access port as tx_drop_over_mtu, less 4 octets per
// VLAN tag it carries (two at most): dp::snapshot::max_frame.
inline uint32_t max_frame(unsigned mtu) noexcept { return mtu + 14; }

struct daemon_config {
    std::string source; // file name, or "<embedded default>"
    std::string profile = "provider";
    unsigned profile_line = 0;
    uint16_t burst = 32;
    uint16_t rx_desc = 1024;
    uint16_t tx_desc = 1024;
    unsigned mbufs = 0;
    unsigned link_poll_ms = 0;
    unsigned stats_interval = 0;
    bool autosave = false;
    std::string socket; // empty: the default (or --socket)
    std::vector<port_config> ports;
    std::vector<lag_config> lags;

    const port_config* port(std::string_view name) const;
    // The [[lag]] called `name`, or null. Look it up each time: `create lag`
    // and `delete lag` change `lags`.
    const lag_config* lag(std::string_view name) const;
    lag_config* lag(std::string_view name);
    // The LAG whose access port or member `port` is, or null.
    const lag_config* lag_of(std::string_view port) const;
};

// Parses TOML text. `source` names it in error messages. Error codes:
// "syntax", "unknown-key", "missing-key", "type", "value", plus the checks
// check_config() makes.
result<daemon_config> parse_config(std::string_view text, std::string source);
// A [[port]] without `speed` runs at what its device reports (read at start,
// port_speed.hpp); until then, and where the device reports none, it is taken
// at its LAG's speed: the LAG's `speed`, else that of its first member whose
// speed is known, else 10G. parse_config calls it; so does the start after
// reading the devices.
void assume_speeds(daemon_config& c);
result<daemon_config> load_config(const std::string& path);

// Checks the config against the LAG model under its profile and fills
// `model` (ports, then LAGs). Errors carry the model's rule code
// ("max-members", "min-links", "no-such-port", "port-in-lag", ...) and the
// line of the key that broke it. Any number of [[lag]] tables (none:
// `create lag` makes them at run time), each with its own access port. Also:
// "access" (the access port is missing, is a member, or is another LAG's
// access port), "device" (two ports on one device).
result<void> check_config(const daemon_config& c, model::lag_model& model);

// [lag.macsec] mode "mka": the profile's MACsec rules for every member with a
// CAK of `cak_len` bytes (check_config uses the suite's key length; dpdk-lagd
// calls this again once it read the CAK file, before the EAL starts), and
// the chain's other CAK files and the fallback's: each read (mode, syntax,
// then wiped) and its length checked the same way. The first overload
// checks c.lags.front().
result<void> check_mka_key(const daemon_config& c, size_t cak_len);
result<void> check_mka_key(const daemon_config& c, const lag_config& l, size_t cak_len);

// The embedded default: a static LAG of two net_null members and a net_null
// access port, for the demo and for `dpdk-lagd` without --config.
std::string_view default_config_text();

} // namespace lag::lagd
