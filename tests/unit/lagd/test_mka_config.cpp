// dpdk-lagd's [lag.macsec] mode = "mka": parsed values and defaults,
// refusals with file:line and rule, the profile's rules (suite, and the CAK's
// length once its file is read), and the CAK file (mode, syntax, never quoted).
#include "config.hpp"
#include "key_file_fixture.hpp"
#include "toml_fixture.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace lag;
using namespace lag::lagd;

namespace {

// [lag.macsec] is line 15, mode line 16.
std::string base(const std::string& profile) { return test::macsec_lag_toml(profile, 2) + "mode = \"mka\"\n"; }

result<daemon_config> parse(const std::string& mka, const std::string& profile = "ieee") {
    return parse_config(base(profile) + mka, "/etc/lagd/lagd.toml");
}

TEST(mka_config, every_key_parses) {
    auto c = parse("ckn = \"96437a93ccf10d9dfe347846cce52c7d\"\ncak_file = \"cak.hex\"\ncipher = \"gcm-aes-xpn-256\"\n"
                   "encryption = \"should_encrypt\"\nkey_server_priority = 1\nconfidentiality_offset = 30\n"
                   "replay_window = 32\nrekey_interval = 3600\n");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    const auto& m = c->lags[0].macsec;
    EXPECT_TRUE(m.enabled);
    EXPECT_EQ(m.mode, macsec_mode::mka);
    ASSERT_EQ(m.ckn.size(), 16u);
    EXPECT_EQ(m.ckn[0], 0x96);
    EXPECT_EQ(m.ckn[15], 0x7d);
    EXPECT_EQ(m.cak_file, "/etc/lagd/cak.hex"); // beside the config
    EXPECT_EQ(m.suite, cipher_suite::gcm_aes_xpn_256);
    EXPECT_EQ(m.encryption, mka_encryption::should_encrypt);
    EXPECT_TRUE(m.confidentiality);
    EXPECT_EQ(m.key_server_priority, 1);
    EXPECT_EQ(m.offset, 30);
    EXPECT_EQ(m.replay_window, 32u);
    EXPECT_EQ(m.rekey_interval, 3600u);
    EXPECT_EQ(m.lacp, macsec_lacp::protected_); // the default: LACP inside MACsec
    model::lag_model model;
    EXPECT_TRUE(check_config(*c, model).ok());
}

TEST(mka_config, defaults_are_gcm_aes_128_must_encrypt_priority_16) {
    auto c = parse("ckn = \"01\"\ncak_file = \"/k/cak\"\n");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    const auto& m = c->lags[0].macsec;
    EXPECT_EQ(m.ckn, std::vector<uint8_t>{1});
    EXPECT_EQ(m.cak_file, "/k/cak");
    EXPECT_EQ(m.suite, cipher_suite::gcm_aes_128);
    EXPECT_EQ(m.encryption, mka_encryption::must_encrypt);
    EXPECT_EQ(m.key_server_priority, 16);
    EXPECT_EQ(m.offset, 0);
    EXPECT_EQ(m.replay_window, 0u);
    EXPECT_EQ(m.rekey_interval, 0u); // no periodic rotation
    auto n = parse("ckn = \"01\"\ncak_file = \"k\"\nencryption = \"no_encrypt\"\n");
    ASSERT_TRUE(n.ok());
    EXPECT_FALSE(n->lags[0].macsec.confidentiality);
    EXPECT_EQ(to_string(n->lags[0].macsec.encryption), "no_encrypt");
}

TEST(mka_config, lacp_is_protected_or_clear) {
    auto p = parse("ckn = \"01\"\ncak_file = \"k\"\nlacp = \"protected\"\n");
    ASSERT_TRUE(p.ok()) << p.err().to_string();
    EXPECT_EQ(p->lags[0].macsec.lacp, macsec_lacp::protected_);
    auto c = parse("ckn = \"01\"\ncak_file = \"k\"\nlacp = \"clear\"\n");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    EXPECT_EQ(c->lags[0].macsec.lacp, macsec_lacp::clear);
    EXPECT_EQ(to_string(c->lags[0].macsec.lacp), "clear");
}

TEST(mka_config, refusals_name_the_line_and_rule) {
    const std::string ok = "ckn = \"0102\"\ncak_file = \"k\"\n";
    struct bad {
        std::string text, code, line;
    } cases[] = {
        {"cak_file = \"k\"\n", "missing-key", "lagd.toml:15"},
        {"ckn = \"0102\"\n", "missing-key", "lagd.toml:15"},
        {"ckn = \"\"\ncak_file = \"k\"\n", "value", "lagd.toml:17"},
        {"ckn = \"01zz\"\ncak_file = \"k\"\n", "value", "lagd.toml:17"},
        {"ckn = \"" + std::string(66, 'a') + "\"\ncak_file = \"k\"\n", "value", "lagd.toml:17"},
        {"ckn = \"0\"\ncak_file = \"k\"\n", "value", "lagd.toml:17"},
        {"ckn = \"01\"\ncak_file = \"\"\n", "value", "lagd.toml:18"},
        {ok + "cipher = \"aes-ccm\"\n", "value", "lagd.toml:19"},
        {ok + "encryption = \"maybe\"\n", "value", "lagd.toml:19"},
        {ok + "key_server_priority = 256\n", "value", "lagd.toml:19"},
        {ok + "rekey_interval = -1\n", "value", "lagd.toml:19"},
        {ok + "rekey_interval = 31536001\n", "value", "lagd.toml:19"},
        {ok + "rekey_interval = \"1h\"\n", "type", "lagd.toml:19"},
        {ok + "confidentiality_offset = 20\n", "value", "lagd.toml:19"},
        {ok + "lacp = \"excluded\"\n", "value", "lagd.toml:19"},
        {ok + "lacp = true\n", "type", "lagd.toml:19"},
        {ok + "key_file = \"x\"\n", "unknown-key", "lagd.toml:19"}, // a static-mode key
        {ok + "[[lag.macsec.member]]\nport = \"m0\"\n", "unknown-key", "lagd.toml:19"},
        {ok + "ckn_file = 1\n", "unknown-key", "lagd.toml:19"},
        {"ckn = 1\ncak_file = \"k\"\n", "type", "lagd.toml:17"},
    };
    for (const auto& b : cases) {
        auto c = parse(b.text);
        ASSERT_FALSE(c.ok()) << b.text;
        EXPECT_EQ(c.err().code, b.code) << b.text << ": " << c.err().message;
        EXPECT_NE(c.err().message.find(b.line + ":"), std::string::npos) << c.err().message << " want " << b.line;
    }
}

TEST(mka_config, the_profile_decides_the_suite_and_the_cak_length) {
    model::lag_model model;
    auto c128 = parse("ckn = \"01\"\ncak_file = \"k\"\n", "provider");
    ASSERT_TRUE(c128.ok());
    auto r = check_config(*c128, model);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, "cipher-suite");
    EXPECT_NE(r.err().message.find("lagd.toml:15"), std::string::npos) << r.err().message;

    auto c256 = parse("ckn = \"01\"\ncak_file = \"k\"\ncipher = \"gcm-aes-xpn-256\"\n", "provider");
    ASSERT_TRUE(c256.ok());
    model::lag_model m2;
    ASSERT_TRUE(check_config(*c256, m2).ok());
    // Once the CAK file is read: the provider profile takes only 256-bit CAKs.
    auto k = check_mka_key(*c256, 16);
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(k.err().code, "cak-length");
    EXPECT_TRUE(check_mka_key(*c256, 32).ok());
    auto ieee = parse("ckn = \"01\"\ncak_file = \"k\"\n");
    ASSERT_TRUE(ieee.ok());
    EXPECT_TRUE(check_mka_key(*ieee, 16).ok());
    EXPECT_TRUE(check_mka_key(*ieee, 32).ok());
}

using cak_file = temp_key_file;

const std::string cak128 = "135bd758b0ee5c11c55ff6ab19fdb199";
const std::string cak256 = "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f";

TEST_F(cak_file, reads_16_and_32_byte_caks_with_comments_and_blanks) {
    write("# the LAG's CAK\n" + cak128 + "\n", 0600);
    auto k = load_cak_file(path);
    ASSERT_TRUE(k.ok()) << k.err().to_string();
    EXPECT_EQ(k->size(), 16u);
    EXPECT_EQ(k->view()[0], 0x13);
    EXPECT_EQ(k->view()[15], 0x99);
    write(cak256.substr(0, 32) + "\n  " + cak256.substr(32) + "  # split\n", 0400);
    auto k2 = load_cak_file(path);
    ASSERT_TRUE(k2.ok()) << k2.err().to_string();
    EXPECT_EQ(k2->size(), 32u);
    EXPECT_EQ(k2->view()[31], 0x2f);
}

TEST_F(cak_file, refuses_a_file_group_or_others_may_read) {
    for (mode_t m : {0640, 0604, 0620, 0660, 0644}) {
        write(cak128 + "\n", m);
        auto k = load_cak_file(path);
        ASSERT_FALSE(k.ok()) << std::oct << m;
        EXPECT_EQ(k.err().code, "key-file-mode");
        EXPECT_NE(k.err().message.find("chmod 600"), std::string::npos);
    }
    auto missing = load_cak_file(path + ".missing");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.err().code, "key-file");
}

TEST_F(cak_file, malformed_caks_are_refused_without_quoting_them) {
    for (const std::string& bad : {cak128.substr(2), cak128 + "00", cak128.substr(0, 31) + "g", std::string("cak = ") + cak128,
                                   std::string("")}) {
        write(bad + "\n", 0600);
        auto k = load_cak_file(path);
        ASSERT_FALSE(k.ok()) << bad;
        EXPECT_EQ(k.err().code, "key-file");
        if (bad.size() > 8) {
            EXPECT_EQ(k.err().message.find(bad.substr(0, 8)), std::string::npos) << k.err().message;
        }
    }
}

} // namespace
