// dpdk::defer_queue, the one grace mechanism (rte_rcu_qsbr_dq): an item is
// freed only after every registered reader reported quiescence past the
// moment it was deferred, in the order deferred, also past a full queue;
// and the queue frees what is left once no reader is registered.
#include "dp_env.hpp"
#include "dpdk/dpdk.hpp"

#include <gtest/gtest.h>
#include <rte_rcu_qsbr.h>

#include <vector>

using namespace lag;

namespace {

struct defer_queue_test : ::testing::Test {
    void SetUp() override {
        ASSERT_NE(test::pool(), nullptr); // the EAL, from dp_env
        auto q = dpdk::make_qsbr(2);
        ASSERT_TRUE(q.ok());
        v = std::move(*q);
        ASSERT_EQ(rte_rcu_qsbr_thread_register(v.get(), 0), 0);
        rte_rcu_qsbr_thread_online(v.get(), 0);
    }
    void TearDown() override {
        rte_rcu_qsbr_thread_offline(v.get(), 0);
        (void)rte_rcu_qsbr_thread_unregister(v.get(), 0);
    }
    std::unique_ptr<dpdk::defer_queue> make(unsigned size) {
        static unsigned seq = 0;
        auto g = dpdk::defer_queue::create("tg" + std::to_string(seq++), v.get(), size);
        EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.err().to_string());
        return g.ok() ? std::move(*g) : nullptr;
    }
    dpdk::qsbr_ptr v;
    std::vector<int> freed;
};

TEST_F(defer_queue_test, an_item_waits_for_every_reader_to_pass_a_quiescent_state) {
    auto g = make(64);
    ASSERT_NE(g, nullptr);
    g->defer(dpdk::on_grace([this] { freed.push_back(1); }));
    EXPECT_EQ(g->pending(), 1u);
    EXPECT_EQ(g->reclaim(), 0u) << "reader 0 has not passed a quiescent state since";
    EXPECT_TRUE(freed.empty());
    rte_rcu_qsbr_quiescent(v.get(), 0);
    // Deferred after the reader's quiescent state: it must wait for the next.
    g->defer(dpdk::on_grace([this] { freed.push_back(2); }));
    EXPECT_EQ(g->reclaim(), 1u);
    EXPECT_EQ(freed, std::vector<int>{1});
    rte_rcu_qsbr_quiescent(v.get(), 0);
    EXPECT_EQ(g->reclaim(), 1u);
    EXPECT_EQ(freed, (std::vector<int>{1, 2}));
    EXPECT_EQ(g->pending(), 0u);
}

TEST_F(defer_queue_test, a_full_queue_holds_items_back_in_order_and_frees_them_all) {
    auto g = make(4);
    ASSERT_NE(g, nullptr);
    for (int i = 0; i < 40; ++i)
        g->defer(dpdk::on_grace([this, i] { freed.push_back(i); }));
    EXPECT_EQ(g->pending(), 40u);
    EXPECT_GT(g->overflows(), 0u) << "a queue of 4 cannot take 40";
    EXPECT_EQ(g->reclaim(), 0u);
    EXPECT_TRUE(freed.empty()) << "nothing freed under a reader that never passed a quiescent state";
    for (int round = 0; round < 40 && g->pending() != 0; ++round) {
        rte_rcu_qsbr_quiescent(v.get(), 0);
        g->reclaim();
    }
    ASSERT_EQ(freed.size(), 40u);
    for (int i = 0; i < 40; ++i)
        EXPECT_EQ(freed[static_cast<size_t>(i)], i) << "freed in the order deferred";
}

TEST_F(defer_queue_test, the_queue_frees_what_is_left_once_no_reader_is_registered) {
    auto g = make(8);
    ASSERT_NE(g, nullptr);
    for (int i = 0; i < 12; ++i)
        g->defer(dpdk::on_grace([this, i] { freed.push_back(i); }));
    EXPECT_TRUE(freed.empty());
    rte_rcu_qsbr_thread_offline(v.get(), 0);
    ASSERT_EQ(rte_rcu_qsbr_thread_unregister(v.get(), 0), 0);
    g.reset();
    EXPECT_EQ(freed.size(), 12u);
    ASSERT_EQ(rte_rcu_qsbr_thread_register(v.get(), 0), 0); // for TearDown
    rte_rcu_qsbr_thread_online(v.get(), 0);
}

} // namespace
