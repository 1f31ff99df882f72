#include "lag/buckets.hpp"

#include <algorithm>

namespace lag::model {

namespace {

struct share {
    uint16_t id;
    size_t held;  // buckets it keeps from `previous`
    size_t quota; // buckets it must end with
};

} // namespace

std::vector<uint16_t> rebuild_buckets(std::span<const uint16_t> previous,
                                      std::span<const uint16_t> active,
                                      size_t nbuckets) {
    std::vector<uint16_t> table(nbuckets, no_member);

    std::vector<uint16_t> ids(active.begin(), active.end());
    std::erase(ids, no_member);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.empty() || nbuckets == 0)
        return table;

    // Keep every bucket whose member is still active.
    if (previous.size() == nbuckets)
        for (size_t b = 0; b < nbuckets; ++b)
            if (std::binary_search(ids.begin(), ids.end(), previous[b]))
                table[b] = previous[b];

    std::vector<share> shares;
    shares.reserve(ids.size());
    for (uint16_t id : ids)
        shares.push_back({id, static_cast<size_t>(std::count(table.begin(), table.end(), id)), 0});

    // Ceil shares to those that hold the most already (ties: lower id).
    std::vector<size_t> order(shares.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return shares[a].held > shares[b].held; });
    const size_t base = nbuckets / ids.size();
    const size_t extra = nbuckets % ids.size();
    for (size_t rank = 0; rank < order.size(); ++rank)
        shares[order[rank]].quota = base + (rank < extra ? 1 : 0);

    // Members over their share release their highest-numbered surplus buckets.
    for (share& s : shares) {
        for (size_t b = nbuckets; s.held > s.quota && b-- > 0;) {
            if (table[b] == s.id) {
                table[b] = no_member;
                --s.held;
            }
        }
    }

    // Free buckets, in order, go round-robin (by id) to members below share.
    size_t next = 0;
    for (size_t b = 0; b < nbuckets; ++b) {
        if (table[b] != no_member)
            continue;
        while (shares[next].held >= shares[next].quota)
            next = (next + 1) % shares.size();
        table[b] = shares[next].id;
        ++shares[next].held;
        next = (next + 1) % shares.size();
    }
    return table;
}

} // namespace lag::model
