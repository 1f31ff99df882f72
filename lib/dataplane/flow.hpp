#pragma once
// lib/dataplane/flow.hpp: what the data plane reads from a frame to pick a
// member. Parsing and CRC32 hashing are pure (library lag_flow, flow_dep, no
// DPDK). hash_function() itself, which also offers Toeplitz through DPDK's
// rte_softrss, is defined in lag_flow_hash (flow_hash_dep), the DPDK side; pure
// code that only needs CRC32 calls crc32_hash_function().

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lag::dp {

enum class hash_policy : uint8_t { l2, l23, l34, sym_l34 };
std::string_view to_string(hash_policy) noexcept; // "l2","l23","l34","sym-l34"
std::optional<hash_policy> parse_hash_policy(std::string_view) noexcept;

enum class hash_algo : uint8_t { crc32, toeplitz }; // crc32 = SSE4.2, default
std::string_view to_string(hash_algo) noexcept;     // "crc32","toeplitz"
std::optional<hash_algo> parse_hash_algo(std::string_view) noexcept;

// Per-packet hash of a whole Ethernet frame (starting at the destination MAC),
// chosen once when a snapshot is built, never per packet. Never reads past
// len; a truncated or unparseable frame hashes on what could be parsed (L2).
//
// What each policy hashes (on the flow_key parse_flow fills):
//   l2       MACs and outer VLAN ID
//   l23      l2 + IP addresses (when there is an IP header)
//   l34      IP addresses, IP protocol and L4 ports; fragments: addresses and
//            protocol only, so every fragment of a datagram hashes alike; no IP
//            header: as l2
//   sym_l34  l34 with the two (address, port) ends put in a canonical order,
//            so a->b and b->a hash alike
// Toeplitz (standard 40-byte RSS key, see rss_key) hashes for l34 exactly the
// RSS input (src ip, dst ip[, src port, dst port]), so it matches NIC RSS.
using frame_hash_fn = uint32_t (*)(const uint8_t* frame, uint32_t len) noexcept;
// Defined in lag_flow_hash (flow_hash_dep). Never null.
frame_hash_fn hash_function(hash_policy p, hash_algo a = hash_algo::crc32) noexcept;
// The pure CRC32 variant (lag_flow). Never null.
frame_hash_fn crc32_hash_function(hash_policy p) noexcept;

// The parse behind it, exposed for tests, fuzzing and classification:
// Ethernet, 802.1Q/802.1ad VLAN and QinQ, IPv4 (fragments -> L3 only), IPv6
// with extension headers (hop-by-hop, routing, fragment, destination options,
// AH), TCP, UDP, SCTP.
//   ok              parsed as far as the frame goes (non-IP frames with a known
//                   L2 stop at L2: see unsupported_l3)
//   truncated       the frame ends inside a header; fields up to there are set
//   unsupported_l3  innermost EtherType is not IPv4/IPv6 (ARP, LACP, ...)
//   bad_header      an IP header is malformed (version, IHL, lengths); L2 set
enum class parse_status : uint8_t { ok, truncated, unsupported_l3, bad_header };
std::string_view to_string(parse_status) noexcept;

struct flow_key {
    uint8_t dst_mac[6], src_mac[6];
    uint16_t outer_vlan;  // VID of outermost tag, 0 if untagged
    uint16_t ether_type;  // innermost EtherType
    uint8_t l3;           // 0 none, 4, 6
    uint8_t l4_proto;     // IP protocol (after IPv6 extension headers), 0 if none
    bool fragment;
    uint8_t src_ip[16], dst_ip[16]; // IPv4 in the first 4 bytes
    uint16_t src_port, dst_port;    // host order, 0 if none or fragment
};
// Zeroes `out`, then fills what the frame holds. Never reads past len.
parse_status parse_flow(const uint8_t* frame, uint32_t len, flow_key& out) noexcept;

// The CRC32 hash of an already parsed key; crc32_hash_function(p)(f, n) ==
// hash_key_crc32(k, p) where parse_flow(f, n, k).
uint32_t hash_key_crc32(const flow_key& k, hash_policy p) noexcept;

// EtherTypes the worker classifies on ingress.
inline constexpr uint16_t ether_type_ipv4 = 0x0800;
inline constexpr uint16_t ether_type_ipv6 = 0x86DD;
inline constexpr uint16_t ether_type_vlan = 0x8100;  // 802.1Q C-tag
inline constexpr uint16_t ether_type_qinq = 0x88A8;  // 802.1ad S-tag
inline constexpr uint16_t ether_type_qinq_old = 0x9100;
inline constexpr uint16_t ether_type_slow = 0x8809;  // LACP, Marker
inline constexpr uint16_t ether_type_eapol = 0x888E; // MKA
inline constexpr uint16_t ether_type_macsec = 0x88E5;

constexpr bool is_vlan_tpid(uint16_t t) noexcept {
    return t == ether_type_vlan || t == ether_type_qinq || t == ether_type_qinq_old;
}

// Outer EtherType of a frame (the one at offset 12, or with skip_vlan the first
// after any VLAN tags), 0 if the frame is too short to hold it.
uint16_t outer_ether_type(const uint8_t* frame, uint32_t len, bool skip_vlan = false) noexcept;

} // namespace lag::dp
