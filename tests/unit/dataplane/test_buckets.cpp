// Bucket table rebuild: stability on leave/join, even shares, determinism.
#include "lag/lag.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace lag::model {
namespace {

std::map<uint16_t, size_t> shares(const std::vector<uint16_t>& t) {
    std::map<uint16_t, size_t> m;
    for (uint16_t id : t)
        ++m[id];
    return m;
}

TEST(buckets, empty_active_is_all_no_member) {
    auto t = rebuild_buckets({}, {}, 256);
    ASSERT_EQ(t.size(), 256u);
    EXPECT_TRUE(std::all_of(t.begin(), t.end(), [](uint16_t v) { return v == no_member; }));
}

TEST(buckets, first_build_is_even) {
    const std::vector<uint16_t> active{7, 3, 5};
    auto t = rebuild_buckets({}, active);
    ASSERT_EQ(t.size(), default_bucket_count);
    auto m = shares(t);
    ASSERT_EQ(m.size(), 3u);
    for (auto [id, n] : m) {
        EXPECT_TRUE(id == 3 || id == 5 || id == 7);
        EXPECT_TRUE(n == 85 || n == 86) << id << " " << n;
    }
}

TEST(buckets, leave_moves_only_the_leavers_buckets) {
    const std::vector<uint16_t> four{0, 1, 2, 3};
    const std::vector<uint16_t> three{0, 1, 3};
    auto before = rebuild_buckets({}, four);
    auto after = rebuild_buckets(before, three);
    for (size_t b = 0; b < before.size(); ++b)
        if (before[b] != 2)
            EXPECT_EQ(after[b], before[b]) << b;
        else
            EXPECT_NE(after[b], 2) << b;
    for (auto [id, n] : shares(after))
        EXPECT_TRUE(n == 85 || n == 86) << id << " " << n;
}

TEST(buckets, join_takes_a_share_from_the_others_only) {
    const std::vector<uint16_t> three{0, 1, 3};
    const std::vector<uint16_t> four{0, 1, 2, 3};
    auto before = rebuild_buckets({}, three);
    auto after = rebuild_buckets(before, four);
    size_t moved = 0;
    for (size_t b = 0; b < before.size(); ++b)
        if (after[b] != before[b]) {
            EXPECT_EQ(after[b], 2) << b;
            ++moved;
        }
    EXPECT_EQ(moved, 64u);
}

} // namespace
} // namespace lag::model
