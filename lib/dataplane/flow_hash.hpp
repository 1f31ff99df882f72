#pragma once
// lib/dataplane/flow_hash.hpp: Toeplitz flow hashing through DPDK's rte_softrss
// (header-only rte_thash.h) and hash_function(), which picks CRC32 or
// Toeplitz. Library lag_flow_hash (flow_hash_dep): DPDK headers, no DPDK
// runtime. The rest of the flow API is in dataplane/flow.hpp.

#include "dataplane/flow.hpp"

#include <array>
#include <cstdint>
#include <span>

namespace lag::dp {

// The standard 40-byte RSS key (Microsoft's RSS verification suite, the
// default of many NICs), extended with 12 more bytes so that the longer l2/l23
// inputs (up to 48 bytes) have key bits; l34 uses only the first 40.
inline constexpr size_t rss_key_len = 52;
extern const std::array<uint8_t, rss_key_len> rss_key;

// The Toeplitz hash of an already parsed key with rss_key. For l34 the input
// is exactly RSS's: src ip, dst ip, then (not for fragments, and only for
// TCP/UDP/SCTP) src port, dst port; so for such frames it equals what a NIC
// with the standard key computes. No IP header: l2 input (MACs, outer VLAN).
uint32_t hash_key_toeplitz(const flow_key& k, hash_policy p) noexcept;

// The Toeplitz variant of each policy. Never null.
frame_hash_fn toeplitz_hash_function(hash_policy p) noexcept;

} // namespace lag::dp
