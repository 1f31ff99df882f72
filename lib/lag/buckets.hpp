#pragma once
// Bucket table builder: flow hash -> bucket -> member id. Pure: no DPDK.
//
// The data plane maps a flow's hash to one of N buckets and each bucket to a
// member. The control core rebuilds the table on every membership change so
// that as few flows as possible move: buckets of a member that stays keep it,
// buckets of a member that left are spread over the others, and a member that
// joins takes an even share from the others and nothing else moves.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace lag::model {

inline constexpr uint16_t no_member = 0xffff;
inline constexpr size_t default_bucket_count = 256;

// Rebuilds a bucket -> member-id table of `nbuckets` entries.
//
// `previous` is the old table (empty on the first build; a table of another
// size is treated as empty). `active` holds the ids of the members now
// distributing (any uint16_t ids other than no_member, e.g. DPDK port ids;
// order and duplicates do not matter).
//
// - Buckets whose member is still active keep it, unless that member holds
//   more than its share (only possible after a join, or from an unbalanced
//   `previous`): then its highest-numbered surplus buckets are released.
// - Released buckets and those of members that left go, in bucket order and
//   round-robin, to the members below their share.
// - Every active member ends with floor or ceil of nbuckets / active.size()
//   buckets; the ceil shares go to the members that already hold the most
//   (ties: lower id), so that as little as possible moves.
// - Deterministic: the same inputs give the same table.
// - `active` empty (or only no_member) -> every bucket is no_member.
std::vector<uint16_t> rebuild_buckets(std::span<const uint16_t> previous,
                                      std::span<const uint16_t> active,
                                      size_t nbuckets = default_bucket_count);

} // namespace lag::model
