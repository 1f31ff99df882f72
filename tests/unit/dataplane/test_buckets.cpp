// Bucket table rebuild: stability on leave/join, even shares, determinism,
// examples and a property test over random membership sequences.
#include "lag/lag.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace lag::model {
namespace {

std::map<uint16_t, size_t> shares(const std::vector<uint16_t>& t) {
    std::map<uint16_t, size_t> m;
    for (uint16_t id : t)
        ++m[id];
    return m;
}

// Every bucket belongs to an active member and every active member holds
// floor or ceil of nbuckets / active.
void expect_balanced(const std::vector<uint16_t>& t, const std::set<uint16_t>& active,
                     size_t nbuckets) {
    ASSERT_EQ(t.size(), nbuckets);
    if (active.empty()) {
        EXPECT_TRUE(std::all_of(t.begin(), t.end(), [](uint16_t v) { return v == no_member; }));
        return;
    }
    const size_t lo = nbuckets / active.size();
    const size_t hi = lo + (nbuckets % active.size() ? 1 : 0);
    auto m = shares(t);
    for (auto [id, n] : m)
        EXPECT_TRUE(active.count(id)) << "bucket owner " << id << " is not active";
    for (uint16_t id : active) {
        EXPECT_GE(m[id], lo) << id;
        EXPECT_LE(m[id], hi) << id;
    }
}

TEST(buckets, empty_active_is_all_no_member) {
    auto t = rebuild_buckets({}, {}, 256);
    ASSERT_EQ(t.size(), 256u);
    EXPECT_TRUE(std::all_of(t.begin(), t.end(), [](uint16_t v) { return v == no_member; }));
    const std::vector<uint16_t> only_none{no_member};
    auto prev = rebuild_buckets({}, std::vector<uint16_t>{1, 2});
    t = rebuild_buckets(prev, only_none);
    EXPECT_TRUE(std::all_of(t.begin(), t.end(), [](uint16_t v) { return v == no_member; }));
}

TEST(buckets, zero_buckets_is_an_empty_table) {
    EXPECT_TRUE(rebuild_buckets({}, std::vector<uint16_t>{1}, 0).empty());
}

TEST(buckets, first_build_is_even_and_interleaved) {
    const std::vector<uint16_t> active{7, 3, 5};
    auto t = rebuild_buckets({}, active);
    expect_balanced(t, {3, 5, 7}, default_bucket_count);
    // Fresh tables interleave members (3, 5, 7, 3, ...), lowest id first.
    EXPECT_EQ(t[0], 3);
    EXPECT_EQ(t[1], 5);
    EXPECT_EQ(t[2], 7);
    EXPECT_EQ(t[3], 3);
}

TEST(buckets, one_member_takes_everything) {
    auto t = rebuild_buckets({}, std::vector<uint16_t>{42}, 1024);
    expect_balanced(t, {42}, 1024);
}

TEST(buckets, more_members_than_buckets) {
    std::vector<uint16_t> active;
    for (uint16_t i = 0; i < 10; ++i)
        active.push_back(i);
    auto t = rebuild_buckets({}, active, 4);
    expect_balanced(t, std::set<uint16_t>(active.begin(), active.end()), 4);
    EXPECT_EQ(shares(t).size(), 4u);
}

TEST(buckets, order_and_duplicates_do_not_matter) {
    auto a = rebuild_buckets({}, std::vector<uint16_t>{1, 2, 3});
    auto b = rebuild_buckets({}, std::vector<uint16_t>{3, 1, 2, 2, 3});
    EXPECT_EQ(a, b);
    auto a2 = rebuild_buckets(a, std::vector<uint16_t>{1, 3, 9});
    auto b2 = rebuild_buckets(b, std::vector<uint16_t>{9, 3, 1, 9});
    EXPECT_EQ(a2, b2);
}

TEST(buckets, previous_of_another_size_is_a_fresh_build) {
    auto small = rebuild_buckets({}, std::vector<uint16_t>{1, 2}, 64);
    auto t = rebuild_buckets(small, std::vector<uint16_t>{1, 2}, 256);
    EXPECT_EQ(t, rebuild_buckets({}, std::vector<uint16_t>{1, 2}, 256));
}

TEST(buckets, leave_moves_only_the_leavers_buckets) {
    auto before = rebuild_buckets({}, std::vector<uint16_t>{0, 1, 2, 3});
    auto after = rebuild_buckets(before, std::vector<uint16_t>{0, 1, 3});
    for (size_t b = 0; b < before.size(); ++b) {
        if (before[b] != 2)
            EXPECT_EQ(after[b], before[b]) << b;
        else
            EXPECT_NE(after[b], 2) << b;
    }
    expect_balanced(after, {0, 1, 3}, 256);
}

TEST(buckets, join_takes_a_share_from_the_others_only) {
    auto before = rebuild_buckets({}, std::vector<uint16_t>{0, 1, 3});
    auto after = rebuild_buckets(before, std::vector<uint16_t>{0, 1, 2, 3});
    size_t moved = 0;
    std::map<uint16_t, size_t> taken_from;
    for (size_t b = 0; b < before.size(); ++b) {
        if (after[b] != before[b]) {
            EXPECT_EQ(after[b], 2) << b;
            ++taken_from[before[b]];
            ++moved;
        }
    }
    EXPECT_EQ(moved, 64u);
    // Each of the three gave 21 or 22 buckets.
    for (auto [id, n] : taken_from)
        EXPECT_TRUE(n == 21 || n == 22) << id << " gave " << n;
    expect_balanced(after, {0, 1, 2, 3}, 256);
}

TEST(buckets, unbalanced_previous_is_rebalanced_keeping_what_it_can) {
    std::vector<uint16_t> prev(256, 1); // member 1 holds everything
    for (size_t b = 0; b < 16; ++b)
        prev[b] = 99; // a member that left
    auto t = rebuild_buckets(prev, std::vector<uint16_t>{1, 2});
    expect_balanced(t, {1, 2}, 256);
    // Member 1 keeps 128 of the buckets it held.
    size_t kept = 0;
    for (size_t b = 0; b < 256; ++b)
        kept += prev[b] == 1 && t[b] == 1;
    EXPECT_EQ(kept, 128u);
}

// Property: random join/leave sequences. A bucket moves only if its member
// left or its new member joined; a single leave moves exactly the leaver's
// buckets; a single join moves exactly the joiner's share; shares are always
// within one of even; results do not depend on order or history of calls.
void run_sequence(uint32_t seed, size_t nbuckets, size_t pool_size, int steps) {
    std::mt19937 rng(seed);
    std::vector<uint16_t> pool;
    while (pool.size() < pool_size) {
        auto id = static_cast<uint16_t>(rng() % 0xffff); // never no_member
        if (std::find(pool.begin(), pool.end(), id) == pool.end())
            pool.push_back(id);
    }
    std::set<uint16_t> active;
    std::vector<uint16_t> table;
    for (int step = 0; step < steps; ++step) {
        std::set<uint16_t> next = active;
        // 1 to 3 changes at once, mostly one.
        const int changes = rng() % 4 == 0 ? 1 + static_cast<int>(rng() % 3) : 1;
        for (int c = 0; c < changes; ++c) {
            uint16_t id = pool[rng() % pool.size()];
            if (next.count(id))
                next.erase(id);
            else
                next.insert(id);
        }
        std::vector<uint16_t> ids(next.begin(), next.end());
        std::shuffle(ids.begin(), ids.end(), rng);
        auto t = rebuild_buckets(table, ids, nbuckets);
        SCOPED_TRACE(testing::Message() << "seed " << seed << " step " << step);
        expect_balanced(t, next, nbuckets);
        EXPECT_EQ(t, rebuild_buckets(table, std::vector<uint16_t>(next.begin(), next.end()), nbuckets))
            << "depends on the order of active ids";

        if (!table.empty() && !next.empty()) {
            std::vector<uint16_t> left, joined;
            std::set_difference(active.begin(), active.end(), next.begin(), next.end(),
                                std::back_inserter(left));
            std::set_difference(next.begin(), next.end(), active.begin(), active.end(),
                                std::back_inserter(joined));
            size_t moved = 0;
            for (size_t b = 0; b < nbuckets; ++b) {
                if (t[b] == table[b])
                    continue;
                ++moved;
                const bool old_left = table[b] == no_member || !next.count(table[b]);
                const bool new_joined = !active.count(t[b]);
                EXPECT_TRUE(old_left || new_joined)
                    << "bucket " << b << " moved from " << table[b] << " to " << t[b];
            }
            const auto old_shares = shares(table);
            const auto new_shares = shares(t);
            if (left.size() == 1 && joined.empty()) {
                EXPECT_EQ(moved, old_shares.at(left[0]));
            }
            if (joined.size() == 1 && left.empty()) {
                EXPECT_EQ(moved, new_shares.at(joined[0]));
            }
        }
        active = next;
        table = t;
    }
}

TEST(buckets_property, random_join_leave_256) {
    for (uint32_t seed = 1; seed <= 200; ++seed)
        run_sequence(seed, 256, 2 + seed % 15, 60);
}

TEST(buckets_property, random_join_leave_1024) {
    for (uint32_t seed = 1000; seed < 1050; ++seed)
        run_sequence(seed, 1024, 2 + seed % 31, 60);
}

} // namespace
} // namespace lag::model
