#include "dataplane/snapshot.hpp"

#include "lag/buckets.hpp"

#include <bit>

namespace lag::dp {

unsigned snapshot::distributing_count() const noexcept { return static_cast<unsigned>(std::popcount(distributing)); }

std::unique_ptr<const snapshot> build_snapshot(const membership& m, const snapshot* previous,
                                               std::span<const uint16_t> renumber) {
    size_t n = m.member_ports.size();
    if (n > max_members || m.distributing.size() != n || m.collecting.size() != n)
        return nullptr;
    if (m.bucket_count < 256 || m.bucket_count > 65536 || !std::has_single_bit(m.bucket_count))
        return nullptr;
    auto s = std::make_unique<snapshot>();
    s->generation = previous != nullptr ? previous->generation + 1 : 1;
    s->access_port = m.access_port;
    s->member_count = static_cast<uint8_t>(n);
    std::vector<uint16_t> active;
    for (size_t i = 0; i < n; ++i) {
        s->member_ports[i] = m.member_ports[i];
        if (m.distributing[i]) {
            s->distributing |= 1u << i;
            active.push_back(static_cast<uint16_t>(i));
        }
        if (m.collecting[i])
            s->collecting |= 1u << i;
    }
    s->min_links = static_cast<uint16_t>(m.min_links);
    s->lag_up = m.lag_up && !active.empty();
    s->policy = m.policy;
    s->algo = m.algo;
    s->hash = hash_function(m.policy, m.algo);
    s->nic_hash = m.nic_hash;
    s->max_frame = m.max_frame;
    s->bucket_mask = static_cast<uint32_t>(m.bucket_count - 1);
    std::span<const uint16_t> prev;
    std::vector<uint16_t> renumbered;
    if (previous != nullptr && previous->buckets.size() == m.bucket_count) {
        prev = previous->buckets;
        if (!renumber.empty()) {
            renumbered.reserve(prev.size());
            for (uint16_t slot : prev)
                renumbered.push_back(slot < renumber.size() ? renumber[slot] : model::no_member);
            prev = renumbered;
        }
    }
    s->buckets = model::rebuild_buckets(prev, active, m.bucket_count);
    s->slot_of_bucket.resize(m.bucket_count);
    for (size_t b = 0; b < m.bucket_count; ++b) {
        uint16_t slot = s->buckets[b];
        s->slot_of_bucket[b] = slot < n ? static_cast<uint8_t>(slot) : drop_slot;
    }
    return s;
}

} // namespace lag::dp
