#pragma once
// The immutable membership snapshot a worker forwards with. Control builds a
// new one on every membership change and publishes it to every worker; a
// worker never writes to it. Not for direct inclusion: use
// "dataplane/dataplane.hpp".

#include "dataplane/flow.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace lag::dp {

// Members per LAG the data plane supports (the IEEE profile's eight).
inline constexpr size_t max_members = 8;
// The scatter slot of frames whose bucket has no member.
inline constexpr uint8_t drop_slot = max_members;

struct snapshot {
    uint64_t generation = 0;   // increases with every snapshot control builds
    uint16_t access_port = 0;  // DPDK port id of the access port
    uint8_t member_count = 0;  // slots used in member_ports
    std::array<uint16_t, max_members> member_ports{}; // slot -> DPDK port id, config order
    uint32_t distributing = 0; // bit per slot: in the bucket table
    uint32_t collecting = 0;   // bit per slot: ingress accepted
    uint16_t min_links = 0;
    bool lag_up = false;       // false: egress dropped as lag_down
    frame_hash_fn hash = nullptr;  // chosen when built, never per packet
    hash_policy policy = hash_policy::l34;
    hash_algo algo = hash_algo::crc32;
    // The access port delivers an RSS hash computed over the policy's fields
    // with this LAG's key and algorithm (control checked the port's RSS
    // set-up): a frame flagged RTE_MBUF_F_RX_RSS_HASH is bucketed by that
    // hash without reading the frame; an unflagged one takes `hash`.
    bool nic_hash = false;
    // The longest untagged frame egress sends (pkt_len: the Ethernet header
    // and the LAG's MTU, no CRC), 4 octets more per VLAN tag (802.1Q or
    // 802.1ad, two at most); a longer one is dropped as over_mtu. 0: no
    // limit.
    uint32_t max_frame = 0;
    uint32_t bucket_mask = 0;      // bucket count - 1 (a power of two)
    std::vector<uint8_t> slot_of_bucket; // bucket -> slot, drop_slot if none
    std::vector<uint16_t> buckets;       // the same as rebuild_buckets returned (slot ids or no_member)

    bool distributing_slot(unsigned s) const noexcept { return (distributing >> s) & 1u; }
    bool collecting_slot(unsigned s) const noexcept { return (collecting >> s) & 1u; }
    unsigned distributing_count() const noexcept;
    // The slot a frame with this hash goes to (drop_slot if none).
    uint8_t slot_for_hash(uint32_t h) const noexcept { return slot_of_bucket[h & bucket_mask]; }
};

// What control knows about a LAG when it builds a snapshot.
struct membership {
    uint16_t access_port = 0;
    std::vector<uint16_t> member_ports; // slot order, at most max_members
    std::vector<bool> distributing;     // per slot
    std::vector<bool> collecting;       // per slot
    unsigned min_links = 0;
    bool lag_up = false;
    hash_policy policy = hash_policy::l34;
    hash_algo algo = hash_algo::crc32;
    bool nic_hash = false; // see snapshot::nic_hash
    uint32_t max_frame = 0; // see snapshot::max_frame
    size_t bucket_count = 256; // a power of two, 256 to 65536
};

// Builds the next snapshot. `previous` is the snapshot being replaced (or
// null on the first build): its bucket table is the starting point, so only
// the buckets of members that left move, and a member that joined takes an
// even share. Returns null if the membership is malformed (too many members,
// vectors of different lengths, bad bucket count).
// `renumber`, when not empty, maps each slot of `previous` to its slot in
// `m` (model::no_member for a member that left): after a removal the slots
// behind it move down, and its buckets are the only ones that move.
std::unique_ptr<const snapshot> build_snapshot(const membership& m, const snapshot* previous,
                                               std::span<const uint16_t> renumber = {});

} // namespace lag::dp
