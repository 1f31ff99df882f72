// dpdk-lagd's [lag.macsec]: parsed values, refusals with file:line and rule,
// the profile's MACsec rules, and the key file (mode, syntax, no key in any
// message).
#include "config.hpp"
#include "key_file_fixture.hpp"
#include "toml_fixture.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>

using namespace lag;
using namespace lag::lagd;

namespace {

// [lag.macsec] is line 12.
std::string base(const std::string& profile = "ieee") { return test::macsec_lag_toml(profile, 1); }

std::string member(const std::string& extra = "") {
    return R"([[lag.macsec.member]]
port = "m0"
sci = "020000000001-0001"
peer_sci = "02:00:00:00:00:02:00:01"
tx_key = "a"
rx_key = "b"
)" + extra;
}

result<daemon_config> parse(const std::string& macsec, const std::string& profile = "ieee") {
    return parse_config(base(profile) + macsec, "lagd.toml");
}

TEST(macsec_config, static_keys_parse_and_pass_the_ieee_profile) {
    auto c = parse("mode = \"static\"\ncipher = \"gcm-aes-xpn-256\"\nconfidentiality_offset = 30\n"
                   "replay_window = 64\nvalidate = \"check\"\nkey_file = \"k\"\n" +
                   member("tx_an = 2\ntx_pn = 4294967296\ntx_ssci = 1\ntx_salt = \"000102030405060708090a0b\"\n"
                          "rx_ssci = 2\nrx_salt = \"000102030405060708090a0b\"\n"));
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    const auto& m = c->lags[0].macsec;
    EXPECT_TRUE(m.enabled);
    EXPECT_EQ(m.suite, cipher_suite::gcm_aes_xpn_256);
    EXPECT_EQ(m.offset, 30);
    EXPECT_EQ(m.replay_window, 64u);
    EXPECT_EQ(m.validate, macsec::validate_frames::check);
    EXPECT_EQ(m.key_file, "k"); // no directory in "lagd.toml"
    ASSERT_EQ(m.members.size(), 1u);
    EXPECT_EQ(m.members[0].sci, 0x0200000000010001ull);
    EXPECT_EQ(m.members[0].peer_sci, 0x0200000000020001ull);
    EXPECT_EQ(m.members[0].tx.an, 2);
    EXPECT_EQ(m.members[0].tx.pn, 4294967296ull);
    EXPECT_EQ(m.members[0].rx.ssci, 2u);
    EXPECT_EQ(m.members[0].tx.salt[11], 0x0b);
    EXPECT_EQ(m.lacp, macsec_lacp::protected_);
    EXPECT_TRUE(m.secy(m.members[0]).protect_slow_protocols);
    model::lag_model model;
    EXPECT_TRUE(check_config(*c, model).ok());
}

TEST(macsec_config, lacp_clear_keeps_slow_protocols_beside_the_secy) {
    auto c = parse("mode = \"static\"\ncipher = \"gcm-aes-128\"\nlacp = \"clear\"\nkey_file = \"k\"\n" + member());
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    const auto& m = c->lags[0].macsec;
    EXPECT_EQ(m.lacp, macsec_lacp::clear);
    EXPECT_FALSE(m.secy(m.members[0]).protect_slow_protocols);
}

TEST(macsec_config, refusals_name_the_line_and_rule) {
    struct bad {
        std::string text, code, line;
    } cases[] = {
        {"mode = \"static\"\ncipher = \"gcm-aes-128\"\nkey_file = \"k\"\ncolour = 1\n" + member(), "unknown-key",
         "lagd.toml:16"},
        {"mode = \"tls\"\ncipher = \"gcm-aes-128\"\nkey_file = \"k\"\n" + member(), "value", "lagd.toml:13"},
        {"mode = \"static\"\ncipher = \"aes-ccm\"\nkey_file = \"k\"\n" + member(), "value", "lagd.toml:14"},
        {"mode = \"static\"\ncipher = \"gcm-aes-128\"\nconfidentiality_offset = 20\nkey_file = \"k\"\n" + member(),
         "value", "lagd.toml:15"},
        {"mode = \"static\"\ncipher = \"gcm-aes-128\"\nvalidate = \"lax\"\nkey_file = \"k\"\n" + member(), "value",
         "lagd.toml:15"},
        {"mode = \"static\"\ncipher = \"gcm-aes-128\"\n" + member(), "missing-key", "lagd.toml:12"},
        {"mode = \"static\"\ncipher = \"gcm-aes-128\"\nkey_file = \"k\"\n" + member("tx_key_hex = \"00\"\n"),
         "unknown-key", "lagd.toml:22"},
        {"mode = \"static\"\ncipher = \"gcm-aes-xpn-128\"\nkey_file = \"k\"\n" + member(), "missing-key",
         "lagd.toml:16"},
        {"mode = \"static\"\ncipher = \"gcm-aes-128\"\nkey_file = \"k\"\n" + member("tx_ssci = 1\n"), "value",
         "lagd.toml:22"},
        {"mode = \"static\"\ncipher = \"gcm-aes-128\"\nkey_file = \"k\"\n" + member("tx_an = 4\n"), "value",
         "lagd.toml:22"},
        {"mode = \"static\"\ncipher = \"gcm-aes-128\"\nlacp = \"beside\"\nkey_file = \"k\"\n" + member(), "value",
         "lagd.toml:15"},
    };
    for (const auto& b : cases) {
        auto c = parse(b.text);
        ASSERT_FALSE(c.ok()) << b.text;
        EXPECT_EQ(c.err().code, b.code) << c.err().message;
        EXPECT_NE(c.err().message.find(b.line + ":"), std::string::npos) << c.err().message << " want " << b.line;
    }
}

TEST(macsec_config, provider_profile_refuses_128_bit_keys_and_no_sci) {
    model::lag_model model;
    auto c = parse("mode = \"static\"\ncipher = \"gcm-aes-128\"\nkey_file = \"k\"\n" + member(), "provider");
    ASSERT_TRUE(c.ok());
    auto r = check_config(*c, model);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.err().code == "cak-length" || r.err().code == "cipher-suite") << r.err().code;
    EXPECT_NE(r.err().message.find("lagd.toml:12"), std::string::npos) << r.err().message;

    auto n = parse("mode = \"static\"\ncipher = \"gcm-aes-256\"\ninclude_sci = false\nkey_file = \"k\"\n" + member(),
                   "provider");
    ASSERT_TRUE(n.ok());
    auto rn = check_config(*n, model);
    ASSERT_FALSE(rn.ok());
    EXPECT_EQ(rn.err().code, "sci-required");

    auto ok = parse("mode = \"static\"\ncipher = \"gcm-aes-256\"\nkey_file = \"k\"\n" + member(), "provider");
    ASSERT_TRUE(ok.ok());
    EXPECT_TRUE(check_config(*ok, model).ok());
}

TEST(macsec_config, a_spare_port_may_have_keys_the_access_port_may_not) {
    // SAs for a [[port]] outside the LAG: it may join at run time (add member).
    std::string spare = base("provider");
    spare.insert(spare.find("[[lag]]"), "[[port]]\nname = \"m1\"\ndevice = \"net_null2\"\n");
    std::string keys = "mode = \"static\"\ncipher = \"gcm-aes-256\"\nkey_file = \"k\"\n" + member();
    auto m1 = member();
    m1.replace(m1.find("\"m0\""), 4, "\"m1\"");
    m1.replace(m1.find("01-0001"), 7, "03-0001"); // its own SCI and transmit key
    m1.replace(m1.find("tx_key = \"a\""), 12, "tx_key = \"c\"");
    model::lag_model model;
    auto c = parse_config(spare + keys + m1, "lagd.toml");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    EXPECT_TRUE(check_config(*c, model).ok());
    auto acc = member();
    acc.replace(acc.find("\"m0\""), 4, "\"acc\"");
    acc.replace(acc.find("01-0001"), 7, "05-0001");
    acc.replace(acc.find("tx_key = \"a\""), 12, "tx_key = \"e\"");
    auto a = parse_config(spare + keys + acc, "lagd.toml");
    ASSERT_TRUE(a.ok()) << a.err().to_string();
    auto r = check_config(*a, model);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, "macsec-member");
}

TEST(macsec_config, a_lag_member_without_keys_is_refused) {
    auto c = parse_config(test::macsec_lag_toml("ieee", 2) + R"(mode = "static"
cipher = "gcm-aes-256"
key_file = "k"
)" + member(), "lagd.toml");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    model::lag_model model;
    auto r = check_config(*c, model);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, "macsec-member");
    EXPECT_NE(r.err().message.find("'m1'"), std::string::npos);
}

// Two members under one transmit key or one SCI could build the same IV.
TEST(macsec_config, two_members_with_one_sci_or_transmit_key_are_refused) {
    const std::string head = test::macsec_lag_toml("ieee", 2) + "mode = \"static\"\ncipher = \"gcm-aes-256\"\n"
                             "key_file = \"k\"\n";
    auto m1 = [](std::string sci, std::string tx) {
        return "[[lag.macsec.member]]\nport = \"m1\"\nsci = \"" + sci + "\"\npeer_sci = \"020000000004-0001\"\n"
               "tx_key = \"" + tx + "\"\nrx_key = \"d\"\n";
    };
    auto ok = parse_config(head + member() + m1("020000000003-0001", "c"), "lagd.toml");
    ASSERT_TRUE(ok.ok()) << ok.err().to_string();
    const unsigned m1_line = 25; // [lag.macsec] on line 15, its 3 keys, then m0 (6 lines)
    auto sci = parse_config(head + member() + m1("02:00:00:00:00:01:00:01", "c"), "lagd.toml");
    ASSERT_FALSE(sci.ok());
    EXPECT_EQ(sci.err().code, "duplicate-sci");
    EXPECT_NE(sci.err().message.find(fmt::format("lagd.toml:{}:", m1_line + 2)), std::string::npos)
        << sci.err().message;
    EXPECT_NE(sci.err().message.find("'m0'"), std::string::npos) << sci.err().message;
    auto tx = parse_config(head + member() + m1("020000000003-0001", "a"), "lagd.toml");
    ASSERT_FALSE(tx.ok());
    EXPECT_EQ(tx.err().code, "shared-tx-key");
    EXPECT_NE(tx.err().message.find(fmt::format("lagd.toml:{}:", m1_line + 4)), std::string::npos)
        << tx.err().message;
    // One key under two names: refused once the key file is read, naming
    // the lines and the names, never the key.
    key_map keys;
    const std::vector<uint8_t> k(32, 0x42), other(32, 0x43);
    keys["a"].assign(k);
    keys["b"].assign(other);
    keys["c"].assign(k);
    keys["d"].assign(other);
    auto same = check_distinct_tx_keys(ok->lags[0].macsec, keys);
    ASSERT_FALSE(same.ok());
    EXPECT_EQ(same.err().code, "shared-tx-key");
    EXPECT_NE(same.err().message.find(fmt::format("lagd.toml:{}:", m1_line)), std::string::npos)
        << same.err().message;
    EXPECT_NE(same.err().message.find("'c'"), std::string::npos);
    EXPECT_EQ(same.err().message.find("4242"), std::string::npos);
    keys["c"].assign(std::vector<uint8_t>(32, 0x44));
    EXPECT_TRUE(check_distinct_tx_keys(ok->lags[0].macsec, keys).ok());
}

using key_file = temp_key_file;

const std::string k128 = "000102030405060708090a0b0c0d0e0f";
const std::string k256 = "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f";

TEST_F(key_file, reads_named_keys_of_16_and_32_bytes) {
    write("# keys\nm0-tx = " + k128 + "\nm0-rx = \"" + k256 + "\"  # quoted\n\n", 0600);
    auto k = load_key_file(path);
    ASSERT_TRUE(k.ok()) << k.err().to_string();
    ASSERT_EQ(k->size(), 2u);
    EXPECT_EQ(k->at("m0-tx").size(), 16u);
    EXPECT_EQ(k->at("m0-tx").view()[15], 0x0f);
    EXPECT_EQ(k->at("m0-rx").size(), 32u);
}

TEST_F(key_file, refuses_a_file_group_or_others_may_read) {
    for (mode_t m : {0640, 0604, 0620, 0660}) {
        write("a = " + k128 + "\n", m);
        auto k = load_key_file(path);
        ASSERT_FALSE(k.ok()) << std::oct << m;
        EXPECT_EQ(k.err().code, "key-file-mode");
    }
    write("a = " + k128 + "\n", 0400);
    EXPECT_TRUE(load_key_file(path).ok());
}

TEST_F(key_file, bad_lines_are_refused_without_quoting_the_key) {
    const std::string secret_ish = "00112233445566778899aabbccddee"; // 15 bytes
    write("a = " + secret_ish + "\n", 0600);
    auto k = load_key_file(path);
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(k.err().code, "key-file");
    EXPECT_NE(k.err().message.find(":1:"), std::string::npos);
    EXPECT_EQ(k.err().message.find(secret_ish), std::string::npos) << k.err().message;
    write("just-a-name\n", 0600);
    EXPECT_FALSE(load_key_file(path).ok());
    EXPECT_FALSE(load_key_file(path + ".missing").ok());
}

} // namespace
