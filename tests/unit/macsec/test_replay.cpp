// Replay window: properties against a reference model, and XPN PN recovery.

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "macsec/macsec.hpp"

using namespace lag::macsec;

TEST(replay, window_zero_is_strictly_increasing) {
    replay_window w(0, 1);
    EXPECT_EQ(w.check(1, true), replay_verdict::ok);
    w.accept(1);
    EXPECT_EQ(w.check(1, true), replay_verdict::late);
    EXPECT_EQ(w.check(5, true), replay_verdict::ok);
    w.accept(5);
    EXPECT_EQ(w.check(4, true), replay_verdict::late);
    EXPECT_EQ(w.check(6, true), replay_verdict::ok);
    EXPECT_EQ(w.next_pn(), 6u);
    // Without replay protection anything goes (but the state still moves).
    EXPECT_EQ(w.check(2, false), replay_verdict::ok);
}

TEST(replay, matches_reference_model) {
    // Reference: accepted set S, next = max(S)+1 (or the start). A PN is late
    // below next - window, a duplicate if in S and within the tracked bitmap,
    // else ok.
    for (uint32_t window : {0u, 1u, 5u, 64u, 100u, 1023u, 1024u, 5000u}) {
        std::mt19937_64 rng(window + 17);
        const uint64_t start = (window % 2) ? 1 : 0xFFFFF000ull;
        replay_window w(window, start);
        std::set<uint64_t> seen;
        uint64_t next = start, hi = start;
        for (int i = 0; i < 20000; ++i) {
            uint64_t pn;
            switch (rng() % 4) {
            case 0: pn = hi + 1 + rng() % 3; break;                 // ahead
            case 1: pn = hi > 2000 ? hi - rng() % 2000 : hi; break; // behind
            case 2: pn = seen.empty() ? hi : *seen.rbegin() - (rng() % 3); break;
            default: pn = hi + rng() % 1500; break; // jump
            }
            if (pn == 0)
                pn = 1;
            const uint64_t lowest = next > window ? next - window : 0;
            replay_verdict want = replay_verdict::ok;
            if (pn < lowest)
                want = replay_verdict::late;
            else if (pn < next && seen.count(pn) && next - 1 - pn < replay_window::tracked)
                want = replay_verdict::duplicate;
            ASSERT_EQ(w.check(pn, true), want) << "window " << window << " pn " << pn << " i " << i;
            ASSERT_EQ(w.lowest_pn(), lowest);
            if (want == replay_verdict::ok) {
                w.accept(pn);
                seen.insert(pn);
                if (pn >= next)
                    next = pn + 1;
                hi = std::max(hi, pn);
            }
            ASSERT_EQ(w.next_pn(), next);
        }
    }
}

TEST(replay, accepted_pn_is_never_accepted_again_within_the_bitmap) {
    replay_window w(1024, 1);
    std::mt19937 rng(3);
    std::vector<uint64_t> order(1000);
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i + 1;
    std::shuffle(order.begin(), order.end(), rng);
    for (auto pn : order) {
        ASSERT_EQ(w.check(pn, true), replay_verdict::ok) << pn;
        w.accept(pn);
    }
    for (auto pn : order)
        ASSERT_NE(w.check(pn, true), replay_verdict::ok) << pn;
    EXPECT_EQ(w.next_pn(), 1001u);
}

TEST(replay, xpn_recovery) {
    // Same half.
    EXPECT_EQ(recover_xpn(0x00000005'00000010ull, 0x00000020), 0x00000005'00000020ull);
    EXPECT_EQ(recover_xpn(0x00000005'00000010ull, 0x00000010), 0x00000005'00000010ull);
    // Wrapped past 2^32 relative to the lowest acceptable PN.
    EXPECT_EQ(recover_xpn(0x00000005'FFFFFFF0ull, 0x00000003), 0x00000006'00000003ull);
    // The IEEE XPN vectors: lowest PN = the frame's PN.
    EXPECT_EQ(recover_xpn(0xB0DF459C'76D457EDull, 0x76D457ED), 0xB0DF459C'76D457EDull);
}
