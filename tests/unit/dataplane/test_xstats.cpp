// xstats names: ethdev style, unique, one per counter, fixed values for the
// names README documents.
#include "dataplane/xstats.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <map>
#include <set>
#include <string>

using namespace lag::dp;

TEST(xstats, names_unique_and_ethdev_style) {
    port_totals t;
    auto v = xstats(t);
    ASSERT_EQ(v.size(), xstat_count);
    std::set<std::string_view> seen;
    std::regex style("^(rx|tx)_[a-z0-9_]+$");
    for (const auto& x : v) {
        EXPECT_TRUE(seen.insert(x.name).second) << x.name;
        EXPECT_TRUE(std::regex_match(std::string(x.name), style)) << x.name;
    }
}

TEST(xstats, each_counter_lands_on_its_name) {
    port_totals t;
    t.rx_packets = 1;
    t.rx_bytes = 2;
    t.tx_packets = 3;
    t.tx_bytes = 4;
    t.punted = 5;
    t.drops[static_cast<size_t>(drop_reason::lag_down)] = 6;
    t.drops[static_cast<size_t>(drop_reason::not_collecting)] = 7;
    t.macsec_tx[static_cast<size_t>(lag::macsec::tx_status::protected_frame)] = 8;
    t.macsec_rx[static_cast<size_t>(lag::macsec::rx_status::drop_late)] = 9;
    t.macsec_rx[static_cast<size_t>(lag::macsec::rx_status::ok)] = 10;
    t.control_tx_packets = 11;
    t.control_tx_bytes = 12;
    t.control_ring_enqueued = 13;
    t.control_ring_sent = 14;
    t.control_ring_full = 15;
    t.control_ring_tx_full = 16;
    std::map<std::string_view, uint64_t> m;
    for (const auto& x : xstats(t))
        m[x.name] = x.value;
    EXPECT_EQ(m["rx_good_packets"], 1u);
    EXPECT_EQ(m["rx_good_bytes"], 2u);
    EXPECT_EQ(m["tx_good_packets"], 3u);
    EXPECT_EQ(m["tx_good_bytes"], 4u);
    EXPECT_EQ(m["rx_punted_packets"], 5u);
    EXPECT_EQ(m["tx_drop_lag_down"], 6u);
    EXPECT_EQ(m["rx_drop_not_collecting"], 7u);
    EXPECT_EQ(m["tx_macsec_protected"], 8u);
    EXPECT_EQ(m["rx_macsec_drop_replay"], 9u);
    EXPECT_EQ(m["rx_macsec_ok"], 10u);
    EXPECT_EQ(m["tx_drop_full"], 0u);
    EXPECT_EQ(m["tx_control_packets"], 11u);
    EXPECT_EQ(m["tx_control_bytes"], 12u);
    EXPECT_EQ(m["tx_control_ring_enqueued"], 13u);
    EXPECT_EQ(m["tx_control_ring_sent"], 14u);
    EXPECT_EQ(m["tx_control_ring_drop_full"], 15u);
    EXPECT_EQ(m["tx_control_ring_drop_tx_full"], 16u);
}

TEST(xstats, counts_since_a_baseline_cover_every_counter) {
    // `clear stats` shows totals.since(baseline): every xstat must be the
    // difference, so a counter since() forgot would show its full value
    // (or 0), not the difference.
    port_totals base, now;
    uint64_t v = 1;
    auto fill = [&](port_totals& t, uint64_t k) {
        for (uint64_t* f : {&t.rx_packets, &t.rx_bytes, &t.tx_packets, &t.tx_bytes, &t.punted,
                            &t.control_tx_packets, &t.control_tx_bytes, &t.control_ring_enqueued,
                            &t.control_ring_sent, &t.control_ring_full, &t.control_ring_tx_full})
            *f = k * v++;
        for (auto& d : t.drops)
            d = k * v++;
        for (auto& d : t.macsec_tx)
            d = k * v++;
        for (auto& d : t.macsec_rx)
            d = k * v++;
    };
    fill(base, 1);
    v = 1;
    fill(now, 3);
    const auto a = xstats(now), b = xstats(base), d = xstats(now.since(base));
    ASSERT_EQ(d.size(), xstat_count);
    for (size_t i = 0; i < d.size(); ++i) {
        EXPECT_EQ(d[i].name, a[i].name);
        EXPECT_EQ(d[i].value, a[i].value - b[i].value) << d[i].name;
        EXPECT_NE(d[i].value, 0u) << d[i].name;
    }
}
