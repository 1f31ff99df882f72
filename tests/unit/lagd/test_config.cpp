// dpdk-lagd's config reader: every refusal names the file, the line and the
// rule; the LAG model's rules come through with their own codes.
#include "config.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace lag;
using namespace lag::lagd;

namespace {

const char* ports4 = R"([[port]]
name = "acc"
device = "net_null0"
[[port]]
name = "m0"
device = "net_null1"
[[port]]
name = "m1"
device = "net_null2"
[[port]]
name = "m2"
device = "net_null3"
[[port]]
name = "m3"
device = "net_null4"
[[port]]
name = "m4"
device = "net_null5"
)"; // 18 lines

// Parses and checks; returns the error (code, message) or an empty code.
error refusal(const std::string& text) {
    auto c = parse_config(text, "t.toml");
    if (!c)
        return c.err();
    model::lag_model m;
    auto ok = check_config(*c, m);
    if (!ok)
        return ok.err();
    return {};
}

void expect_refused(const std::string& text, const std::string& code, int line) {
    error e = refusal(text);
    EXPECT_EQ(e.code, code) << e.message;
    EXPECT_NE(e.message.find("t.toml:" + std::to_string(line) + ":"), std::string::npos)
        << "expected line " << line << " in: " << e.message;
}

TEST(lagd_config, embedded_default_is_valid) {
    auto c = parse_config(default_config_text(), "<embedded default>");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    model::lag_model m;
    auto ok = check_config(*c, m);
    ASSERT_TRUE(ok.ok()) << ok.err().to_string();
    ASSERT_EQ(c->lags.size(), 1u);
    EXPECT_EQ(c->lags[0].members, (std::vector<std::string>{"m0", "m1"}));
    EXPECT_EQ(c->lags[0].hash, dp::hash_policy::l34);
    ASSERT_NE(m.lag("lag0"), nullptr);
    EXPECT_EQ(m.lag("lag0")->members.size(), 2u);
}

TEST(lagd_config, reads_every_key) {
    auto c = parse_config(std::string(R"(profile = "ieee"
[daemon]
burst = 16
rx_desc = 512
tx_desc = 256
mbufs = 20000
link_poll_ms = 5
stats_interval = 2
)") + ports4 + R"([[lag]]
name = "lag0"
access = "acc"
members = ["m0", "m1", "m2", "m3", "m4"]
min_links = 2
hash = "sym-l34"
hash_algo = "toeplitz"
buckets = 1024
mtu = 9000
)",
                          "t.toml");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    EXPECT_EQ(c->profile, "ieee");
    EXPECT_EQ(c->burst, 16);
    EXPECT_EQ(c->rx_desc, 512);
    EXPECT_EQ(c->tx_desc, 256);
    EXPECT_EQ(c->mbufs, 20000u);
    EXPECT_EQ(c->link_poll_ms, 5u);
    EXPECT_EQ(c->stats_interval, 2u);
    const auto& l = c->lags.at(0);
    EXPECT_EQ(l.min_links, 2u);
    EXPECT_EQ(l.hash, dp::hash_policy::sym_l34);
    EXPECT_EQ(l.hash_algo, dp::hash_algo::toeplitz);
    EXPECT_EQ(l.buckets, 1024u);
    EXPECT_EQ(l.mtu, 9000);
    EXPECT_EQ(member_mtu_overhead(l), 0); // no [lag.macsec]
    model::lag_model m;
    auto ok = check_config(*c, m); // five members: the IEEE profile allows eight
    EXPECT_TRUE(ok.ok()) << ok.err().to_string();
}

TEST(lagd_config, mtu_defaults_to_1500_and_members_add_what_macsec_adds) {
    auto c = parse_config(std::string(ports4) + "[[lag]]\nname = \"l\"\naccess = \"acc\"\nmembers = [\"m0\"]\n",
                          "t.toml");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    lag_config l = c->lags.at(0);
    EXPECT_EQ(l.mtu, 1500);
    EXPECT_EQ(member_mtu_overhead(l), 0);
    l.macsec.enabled = true;
    EXPECT_EQ(member_mtu_overhead(l), 32); // SecTAG with SCI 16, ICV 16
    l.macsec.include_sci = false;
    EXPECT_EQ(member_mtu_overhead(l), 24); // SecTAG 8, ICV 16
    // One mbuf holds the largest frame: MTU, Ethernet, two VLAN tags, CRC, MACsec.
    EXPECT_EQ(mbuf_room(1500), 1600u);
    EXPECT_LE(mbuf_room(1500), 2048u); // DPDK's default data room at the default MTU
    EXPECT_GE(mbuf_room(9000), 9000u + 14 + 8 + 4 + 32);
}

TEST(lagd_config, syntax_error_names_its_line) { expect_refused("[[port]]\nname = \"a\"\ndevice = \n", "syntax", 3); }

TEST(lagd_config, unknown_keys_are_errors) {
    expect_refused("colour = \"red\"\n", "unknown-key", 1);
    expect_refused("[[port]]\nname = \"a\"\ndevcie = \"net_null0\"\n", "unknown-key", 3);
    expect_refused("[daemon]\nburst = 8\nbrust = 8\n", "unknown-key", 3);
    expect_refused(std::string(ports4) + "[[lag]]\nname = \"l\"\naccess = \"acc\"\nmembers = [\"m0\"]\nmin_link = 1\n",
                   "unknown-key", 23);
}

TEST(lagd_config, missing_keys_wrong_types_and_bad_values) {
    expect_refused("[[port]]\nname = \"a\"\n", "missing-key", 1);
    expect_refused("[[port]]\nname = \"a\"\ndevice = 7\n", "type", 3);
    expect_refused("[[port]]\nname = \"a\"\ndevice = \"net_null0\"\nspeed = \"40G\"\n", "value", 4);
    expect_refused("[daemon]\nburst = 65\n", "value", 2);
    expect_refused("port = 3\n", "type", 1);
    std::string lag = std::string(ports4) + "[[lag]]\nname = \"l\"\naccess = \"acc\"\nmembers = [\"m0\"]\n";
    expect_refused(lag + "min_links = \"1\"\n", "type", 23);
    expect_refused(lag + "hash = \"l4\"\n", "value", 23);
    expect_refused(lag + "hash_algo = \"md5\"\n", "value", 23);
    expect_refused(lag + "buckets = 300\n", "value", 23);
    expect_refused(lag + "mtu = 67\n", "value", 23);
    expect_refused(lag + "mtu = 9217\n", "value", 23);
    expect_refused(lag + "mtu = \"1500\"\n", "type", 23);
    expect_refused(std::string(ports4) + "[[lag]]\nname = \"l\"\naccess = \"acc\"\nmembers = [\"m0\", 1]\n",
                   "type", 22);
}

TEST(lagd_config, lag_model_rules_come_with_their_code_and_line) {
    std::string head = std::string(ports4) + "[[lag]]\nname = \"lag0\"\naccess = \"acc\"\n";
    // Provider profile: at most four 10G members.
    expect_refused(head + "members = [\"m0\", \"m1\", \"m2\", \"m3\", \"m4\"]\n", "max-members", 22);
    expect_refused(head + "members = [\"m0\", \"m1\"]\nmin_links = 3\n", "min-links", 23);
    expect_refused(head + "members = [\"m0\", \"m9\"]\n", "no-such-port", 22);
    expect_refused(head + "members = [\"m0\", \"acc\"]\n", "access", 22);
    expect_refused(std::string(ports4) + "[[lag]]\nname = \"lag0\"\naccess = \"nope\"\nmembers = [\"m0\"]\n",
                   "access", 21);
    // Ports only: no LAG until `create lag` makes one at run time.
    auto none = parse_config(ports4, "lagd.toml");
    ASSERT_TRUE(none.ok()) << none.err().to_string();
    model::lag_model m;
    EXPECT_TRUE(check_config(*none, m).ok());
    EXPECT_EQ(m.lag("lag0"), nullptr);
    expect_refused("profile = \"strict\"\n" + head + "members = [\"m0\"]\n", "profile", 1);
}

TEST(lagd_config, several_lags_each_with_its_own_access_port) {
    std::string two = std::string(ports4) + "[[lag]]\nname = \"lag0\"\naccess = \"acc\"\nmembers = [\"m0\", \"m1\"]\n" +
                      "[[lag]]\nname = \"lag1\"\naccess = \"m4\"\n"; // lines 19-22, 23-25
    auto c = parse_config(two + "members = [\"m2\", \"m3\"]\n", "t.toml");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    model::lag_model m;
    ASSERT_TRUE(check_config(*c, m).ok());
    ASSERT_NE(m.lag("lag0"), nullptr);
    ASSERT_NE(m.lag("lag1"), nullptr);
    EXPECT_EQ(m.lag("lag1")->members, (std::vector<std::string>{"m2", "m3"}));
    EXPECT_EQ(c->lag("lag1")->access, "m4");
    EXPECT_EQ(c->lag_of("m3"), c->lag("lag1"));
    EXPECT_EQ(c->lag_of("acc"), c->lag("lag0"));
    EXPECT_EQ(c->lag_of("nope"), nullptr);
    // A port in two LAGs: the model's rule, at the second LAG's members line.
    expect_refused(two + "members = [\"m1\", \"m2\"]\n", "port-in-lag", 26);
    // One access port for two LAGs, or one LAG's access port as another's member.
    expect_refused(std::string(ports4) + "[[lag]]\nname = \"lag0\"\naccess = \"acc\"\nmembers = [\"m0\"]\n" +
                       "[[lag]]\nname = \"lag1\"\naccess = \"acc\"\nmembers = [\"m2\"]\n",
                   "access", 25);
    expect_refused(two + "members = [\"acc\", \"m2\"]\n", "access", 26);
    expect_refused(two + "members = [\"m2\"]\n[[lag]]\nname = \"lag0\"\naccess = \"m3\"\nmembers = [\"m3\"]\n",
                   "access", 30);
}

// An empty LAG (what save config writes after its last member left):
// members = [] with its speed; without a speed there is nothing to take it
// from. A speed that its members do not have is the model's uniform-speed.
TEST(lagd_config, an_empty_lag_with_its_speed) {
    std::string head = std::string(ports4) + "[[lag]]\nname = \"l\"\naccess = \"acc\"\n";
    auto c = parse_config(head + "members = []\nspeed = \"100G\"\n", "t.toml");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    model::lag_model m;
    ASSERT_TRUE(check_config(*c, m).ok());
    ASSERT_NE(m.lag("l"), nullptr);
    EXPECT_TRUE(m.lag("l")->members.empty());
    EXPECT_EQ(m.lag("l")->speed, model::port_speed::g100);
    EXPECT_EQ(m.lag("l")->status(), model::lag_status::pending);
    expect_refused(head + "members = []\n", "membership", 22);
    // A member without `speed` is taken at the LAG's (its device's speed is read at start).
    auto c2 = parse_config(head + "members = [\"m0\"]\nspeed = \"100G\"\n", "t.toml");
    ASSERT_TRUE(c2.ok()) << c2.err().to_string();
    EXPECT_EQ(c2->port("m0")->speed, model::port_speed::g100);
    EXPECT_FALSE(c2->port("m0")->speed_declared);
    ASSERT_TRUE(check_config(*c2, m).ok());
    // One that says otherwise is refused.
    std::string declared = std::string(ports4) + "[[port]]\nname = \"t\"\ndevice = \"net_null8\"\nspeed = \"10G\"\n" +
                           "[[lag]]\nname = \"l\"\naccess = \"acc\"\n";
    expect_refused(declared + "members = [\"t\"]\nspeed = \"100G\"\n", "uniform-speed", 26);
    expect_refused(head + "members = []\nspeed = \"40G\"\n", "value", 23);
}

TEST(lagd_config, port_rules) {
    expect_refused("[[port]]\nname = \"a\"\ndevice = \"net_null0\"\n[[port]]\nname = \"a\"\ndevice = \"net_null1\"\n",
                   "duplicate-port", 4);
    expect_refused("[[port]]\nname = \"a\"\ndevice = \"net_null0\"\n[[port]]\nname = \"b\"\ndevice = \"net_null0,size=64\"\n",
                   "device", 4);
    // Members of one LAG share one speed.
    std::string mixed = std::string(ports4) + "[[port]]\nname = \"h\"\ndevice = \"net_null9\"\nspeed = \"100G\"\n" +
                        "[[port]]\nname = \"t\"\ndevice = \"net_null8\"\nspeed = \"10G\"\n" +
                        "[[lag]]\nname = \"lag0\"\naccess = \"acc\"\nmembers = [\"t\", \"h\"]\n";
    error e = refusal(mixed);
    EXPECT_FALSE(e.code.empty());
    EXPECT_NE(e.message.find("t.toml:30:"), std::string::npos) << e.message;
    EXPECT_EQ(e.code, "uniform-speed") << e.message;
}

TEST(lagd_config, a_port_without_speed_takes_its_lags_until_the_device_says) {
    // m0 says nothing, h says 100G: m0 is taken at 100G, the LAG's speed.
    std::string cfg = std::string(ports4) + "[[port]]\nname = \"h\"\ndevice = \"net_null9\"\nspeed = \"100G\"\n" +
                      "[[lag]]\nname = \"lag0\"\naccess = \"acc\"\nmembers = [\"m0\", \"h\"]\n";
    auto c = parse_config(cfg, "t.toml");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    EXPECT_EQ(c->port("m0")->speed, model::port_speed::g100);
    EXPECT_EQ(c->port("m1")->speed, model::port_speed::g10) << "in no LAG: the default";
    model::lag_model m;
    ASSERT_TRUE(check_config(*c, m).ok());
    EXPECT_EQ(m.lag("lag0")->speed, model::port_speed::g100);
    // The device said 10G for m0 (what the start reads): the rules refuse it.
    auto& m0 = *std::find_if(c->ports.begin(), c->ports.end(), [](const auto& p) { return p.name == "m0"; });
    m0.speed = model::port_speed::g10;
    m0.speed_from_device = true;
    assume_speeds(*c);
    EXPECT_EQ(c->port("m0")->speed, model::port_speed::g10);
    EXPECT_EQ(check_config(*c, m).err().code, "uniform-speed");
    // check_speed: a boolean, nothing else.
    auto k = parse_config(std::string(ports4) + "[[port]]\nname = \"h\"\ndevice = \"net_null9\"\ncheck_speed = true\n",
                          "t.toml");
    ASSERT_TRUE(k.ok()) << k.err().to_string();
    EXPECT_EQ(k->port("h")->check_speed, true);
    EXPECT_FALSE(k->port("m0")->check_speed.has_value());
    expect_refused(std::string(ports4) + "[[port]]\nname = \"h\"\ndevice = \"net_null9\"\ncheck_speed = \"yes\"\n",
                   "type", 22);
}

TEST(lagd_config, a_port_mac_is_a_unicast_address) {
    const std::string lag = "[[lag]]\nname = \"lag0\"\naccess = \"acc\"\nmembers = [\"m0\"]\n";
    auto c = parse_config("[[port]]\nname = \"acc\"\ndevice = \"net_null0\"\n[[port]]\nname = \"m0\"\n"
                          "device = \"net_null1\"\nmac = \"02:00:00:00:0a:01\"\n" + lag, "t.toml");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    ASSERT_TRUE(c->port("m0")->mac.has_value());
    EXPECT_EQ(c->port("m0")->mac->to_string(), "02:00:00:00:0a:01");
    EXPECT_FALSE(c->port("acc")->mac.has_value());
    for (const char* bad : {"01:80:c2:00:00:03", "00:00:00:00:00:00", "02:00:00:00:0a", "x"})
        expect_refused("[[port]]\nname = \"acc\"\ndevice = \"net_null0\"\n[[port]]\nname = \"m0\"\n"
                       "device = \"net_null1\"\nmac = \"" + std::string(bad) + "\"\n" + lag, "value", 7);
}

} // namespace
