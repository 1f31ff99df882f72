// [lag.lacp] and [[port]] port_priority in dpdk-lagd's config: values read,
// defaults, and refusals that name the file, the line and the rule.
#include "config.hpp"

#include <gtest/gtest.h>

using namespace lag;
using namespace lag::lagd;

namespace {

// Lines 1..11; the [[lag]] table starts on line 12.
const char* base = R"([[port]]
name = "acc"
device = "net_null0"
[[port]]
name = "m0"
device = "net_null1"
port_priority = 100
[[port]]
name = "m1"
device = "net_null2"

[[lag]]
name = "lag0"
access = "acc"
members = ["m0", "m1"]
)";

result<daemon_config> read(const std::string& extra) {
    auto c = parse_config(std::string(base) + extra, "t.toml");
    if (!c)
        return c;
    model::lag_model m;
    if (auto ok = check_config(*c, m); !ok)
        return ok.err();
    return c;
}

TEST(lagd_lacp_config, without_the_table_the_lag_is_static) {
    auto c = read("");
    ASSERT_TRUE(c.ok()) << c.err().message;
    EXPECT_FALSE(c->lags[0].lacp.mode.has_value());
    EXPECT_EQ(c->port("m0")->port_priority, 100);
    EXPECT_EQ(c->port("m1")->port_priority, 32768);
}

TEST(lagd_lacp_config, an_empty_table_is_active_fast_with_the_default_system) {
    auto c = read("[lag.lacp]\n");
    ASSERT_TRUE(c.ok()) << c.err().message;
    const auto& l = c->lags[0].lacp;
    EXPECT_EQ(l.mode, lacp::lacp_mode::active);
    EXPECT_EQ(l.rate, lacp::lacp_rate::fast);
    EXPECT_EQ(l.system_priority, 32768);
    EXPECT_FALSE(l.system_id.has_value());
    EXPECT_EQ(l.line, 16u);
}

TEST(lagd_lacp_config, every_key_is_read) {
    auto c = read("[lag.lacp]\nmode = \"passive\"\nrate = \"slow\"\nsystem_priority = 7\n"
                  "system_id = \"02:00:00:00:aa:01\"\n");
    ASSERT_TRUE(c.ok()) << c.err().message;
    const auto& l = c->lags[0].lacp;
    EXPECT_EQ(l.mode, lacp::lacp_mode::passive);
    EXPECT_EQ(l.rate, lacp::lacp_rate::slow);
    EXPECT_EQ(l.system_priority, 7);
    ASSERT_TRUE(l.system_id.has_value());
    EXPECT_EQ(*l.system_id, *mac_addr::parse("02:00:00:00:aa:01"));
    auto off = read("[lag.lacp]\nmode = \"off\"\n");
    ASSERT_TRUE(off.ok());
    EXPECT_FALSE(off->lags[0].lacp.mode.has_value());
}

struct refusal_case {
    const char* extra;
    const char* code;
    const char* where; // "t.toml:LINE:"
};

TEST(lagd_lacp_config, bad_values_and_unknown_keys_name_file_line_and_rule) {
    const refusal_case cases[] = {
        {"[lag.lacp]\nmode = \"active\"\ntimeout = 3\n", "unknown-key", "t.toml:18:"},
        {"[lag.lacp]\nmode = \"on\"\n", "value", "t.toml:17:"},
        {"[lag.lacp]\nrate = \"medium\"\n", "value", "t.toml:17:"},
        {"[lag.lacp]\nrate = 1\n", "type", "t.toml:17:"},
        {"[lag.lacp]\nsystem_priority = 0\n", "value", "t.toml:17:"},
        {"[lag.lacp]\nsystem_priority = 65536\n", "value", "t.toml:17:"},
        {"[lag.lacp]\nsystem_id = \"02:00:00:00:00\"\n", "value", "t.toml:17:"},
        {"[lag.lacp]\nsystem_id = \"01:80:c2:00:00:02\"\n", "value", "t.toml:17:"},
        {"[lag.lacp]\nsystem_id = \"00:00:00:00:00:00\"\n", "value", "t.toml:17:"},
        {"lacp = 1\n", "type", "t.toml:16:"},
    };
    for (const auto& k : cases) {
        auto c = read(k.extra);
        ASSERT_FALSE(c.ok()) << k.extra;
        EXPECT_EQ(c.err().code, k.code) << k.extra << " -> " << c.err().message;
        EXPECT_NE(c.err().message.find(k.where), std::string::npos) << k.extra << " -> " << c.err().message;
    }
    auto p = parse_config("[[port]]\nname = \"m0\"\ndevice = \"net_null1\"\nport_priority = 0\n", "t.toml");
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.err().code, "value");
    EXPECT_NE(p.err().message.find("t.toml:4:"), std::string::npos) << p.err().message;
}

} // namespace
