// TSan self-check, built only in the ThreadSanitizer build (build-tsan) and
// registered there with should_fail: a deliberate data race between the
// main lcore and a worker lcore launched the way the engine launches its
// workers (rte_eal_remote_launch under EAL --no-huge). If ThreadSanitizer
// stops catching races across EAL lcores (wrong flags, a blanket
// suppression, an EAL that hides its threads), this test passes and the
// suite fails.
#include "dp_env.hpp"

#include <gtest/gtest.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <atomic>

namespace {

uint64_t g_racy = 0;             // written by both lcores without synchronisation
std::atomic<bool> g_go{false};   // only to make both loops overlap in time

int racy_writer(void*) {
    while (!g_go.load(std::memory_order_relaxed)) {
    }
    for (int i = 0; i < 100000; ++i)
        g_racy = g_racy + 1; // the race
    return 0;
}

TEST(tsan_selfcheck, a_plain_counter_written_from_two_lcores_is_reported) {
    unsigned lcore = rte_get_next_lcore(-1, 1, 0);
    ASSERT_LT(lcore, RTE_MAX_LCORE) << "the EAL was started with one lcore";
    ASSERT_EQ(rte_eal_remote_launch(racy_writer, nullptr, lcore), 0);
    g_go.store(true, std::memory_order_relaxed);
    for (int i = 0; i < 100000; ++i)
        g_racy = g_racy + 1; // the race
    EXPECT_EQ(rte_eal_wait_lcore(lcore), 0);
    EXPECT_GT(g_racy, 0u);
}

} // namespace
