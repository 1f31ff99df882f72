// dpdk-lagd's MKA key chain in [lag.macsec]: [[lag.macsec.key]] tables (ckn,
// cak_file, start), the fallback key, their refusals with file:line, and the
// RFC 3339 start times.
#include "config.hpp"
#include "toml_fixture.hpp"

#include <gtest/gtest.h>

using namespace lag;
using namespace lag::lagd;

namespace {

// [lag.macsec] is line 15, mode line 16.
std::string base() { return test::macsec_lag_toml("ieee", 2) + "mode = \"mka\"\n"; }

result<daemon_config> parse(const std::string& mka) { return parse_config(base() + mka, "/etc/lagd/lagd.toml"); }

const std::string head = "ckn = \"0102\"\ncak_file = \"k\"\n"; // lines 17, 18

TEST(mka_key_chain_config, keys_and_a_fallback_parse) {
    auto c = parse(head +
                   "fallback_ckn = \"ff01\"\nfallback_cak_file = \"fb.hex\"\n"
                   "[[lag.macsec.key]]\nckn = \"0103\"\ncak_file = \"k3\"\nstart = \"2026-12-05T02:00:00Z\"\n"
                   "[[lag.macsec.key]]\nckn = \"0104\"\ncak_file = \"/abs/k4\"\nstart = 2026-12-05T03:30:00+01:00\n"
                   "[[lag.macsec.key]]\nckn = \"0105\"\ncak_file = \"k5\"\nstart = \"now\"\n");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    const auto& m = c->lags[0].macsec;
    EXPECT_EQ(m.ckn, (std::vector<uint8_t>{1, 2}));
    EXPECT_FALSE(m.start);
    EXPECT_EQ(m.fallback_ckn, (std::vector<uint8_t>{0xff, 1}));
    EXPECT_EQ(m.fallback_cak_file, "/etc/lagd/fb.hex");
    ASSERT_EQ(m.keys.size(), 3u);
    EXPECT_EQ(m.keys[0].ckn, (std::vector<uint8_t>{1, 3}));
    EXPECT_EQ(m.keys[0].cak_file, "/etc/lagd/k3");
    EXPECT_EQ(m.keys[0].start, 1796436000); // 2026-12-05T02:00:00Z
    EXPECT_EQ(m.keys[1].cak_file, "/abs/k4");
    EXPECT_EQ(m.keys[1].start, 1796436000 + 1800); // 03:30 at +01:00 is 02:30Z
    EXPECT_FALSE(m.keys[2].start);                 // now
    EXPECT_EQ(m.keys[0].line, 21u);
}

TEST(mka_key_chain_config, key_tables_alone_make_a_chain_headed_by_the_first) {
    auto c = parse("[[lag.macsec.key]]\nckn = \"0a\"\ncak_file = \"a\"\nstart = \"2026-01-01T00:00:00Z\"\n"
                   "[[lag.macsec.key]]\nckn = \"0b\"\ncak_file = \"b\"\n");
    ASSERT_TRUE(c.ok()) << c.err().to_string();
    const auto& m = c->lags[0].macsec;
    EXPECT_EQ(m.ckn, std::vector<uint8_t>{0x0a});
    EXPECT_EQ(m.cak_file, "/etc/lagd/a");
    EXPECT_EQ(m.start, 1767225600);
    ASSERT_EQ(m.keys.size(), 1u);
    EXPECT_EQ(m.keys[0].ckn, std::vector<uint8_t>{0x0b});
}

TEST(mka_key_chain_config, refusals_name_the_line_and_rule) {
    struct bad {
        std::string text, code, line;
    } cases[] = {
        {"", "missing-key", "lagd.toml:15"},
        {head + "[[lag.macsec.key]]\ncak_file = \"k3\"\n", "missing-key", "lagd.toml:19"},
        {head + "[[lag.macsec.key]]\nckn = \"03\"\n", "missing-key", "lagd.toml:19"},
        {head + "[[lag.macsec.key]]\nckn = \"0x\"\ncak_file = \"k3\"\n", "value", "lagd.toml:20"},
        {head + "[[lag.macsec.key]]\nckn = \"03\"\ncak_file = \"\"\n", "value", "lagd.toml:21"},
        {head + "[[lag.macsec.key]]\nckn = \"0102\"\ncak_file = \"k3\"\n", "value", "lagd.toml:20"},
        {head + "[[lag.macsec.key]]\nckn = \"03\"\ncak_file = \"a\"\n[[lag.macsec.key]]\nckn = \"03\"\n"
                "cak_file = \"b\"\n",
         "value", "lagd.toml:23"},
        {head + "[[lag.macsec.key]]\nckn = \"03\"\ncak_file = \"k3\"\nstart = \"tomorrow\"\n", "value",
         "lagd.toml:22"},
        {head + "[[lag.macsec.key]]\nckn = \"03\"\ncak_file = \"k3\"\nstart = \"2026-12-05T02:00:00\"\n", "value",
         "lagd.toml:22"},
        {head + "[[lag.macsec.key]]\nckn = \"03\"\ncak_file = \"k3\"\nstart = 2026-12-05T02:00:00\n", "value",
         "lagd.toml:22"},
        {head + "[[lag.macsec.key]]\nckn = \"03\"\ncak_file = \"k3\"\nstart = \"2026-02-30T02:00:00Z\"\n", "value",
         "lagd.toml:22"},
        {head + "[[lag.macsec.key]]\nckn = \"03\"\ncak_file = \"k3\"\nstart = 5\n", "type", "lagd.toml:22"},
        {head + "[[lag.macsec.key]]\nckn = \"03\"\ncak_file = \"k3\"\ncak = \"00\"\n", "unknown-key",
         "lagd.toml:22"},
        {head + "key = 1\n", "type", "lagd.toml:19"},
        {head + "fallback_ckn = \"ff\"\n", "missing-key", "lagd.toml:15"},
        {head + "fallback_cak_file = \"fb\"\n", "missing-key", "lagd.toml:15"},
        {head + "fallback_ckn = \"0102\"\nfallback_cak_file = \"fb\"\n", "value", "lagd.toml:19"},
        {head + "fallback_ckn = \"ff\"\nfallback_cak_file = \"fb\"\n[[lag.macsec.key]]\nckn = \"ff\"\n"
                "cak_file = \"k3\"\n",
         "value", "lagd.toml:22"},
    };
    for (const auto& b : cases) {
        auto c = parse(b.text);
        ASSERT_FALSE(c.ok()) << b.text;
        EXPECT_EQ(c.err().code, b.code) << b.text << ": " << c.err().message;
        EXPECT_NE(c.err().message.find(b.line + ":"), std::string::npos) << c.err().message << " want " << b.line;
    }
}

TEST(mka_key_chain_config, rfc3339_times) {
    EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_rfc3339("2026-12-05T02:00:00Z"), 1796436000);
    EXPECT_EQ(parse_rfc3339("2026-12-05t02:00:00.25z"), 1796436000);
    EXPECT_EQ(parse_rfc3339("2026-12-05 03:00:00+01:00"), 1796436000);
    EXPECT_EQ(parse_rfc3339("2026-12-04T21:00:00-05:00"), 1796436000);
    EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), 1709164800); // a leap day
    for (const char* bad : {"", "now", "2026-12-05", "2026-12-05T02:00:00", "2026-13-05T02:00:00Z",
                            "2025-02-29T00:00:00Z", "2026-12-05T24:00:00Z", "2026-12-05T02:00:00+1:00",
                            "2026-12-05T02:00:00Zjunk", "1969-12-31T23:59:59Z", "2026-12-05T02:00:00."})
        EXPECT_FALSE(parse_rfc3339(bad)) << bad;
    EXPECT_EQ(format_rfc3339(1796436000), "2026-12-05T02:00:00Z");
    EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
    for (int64_t t : {int64_t{951782400}, int64_t{1709164800}, int64_t{4102444799}})
        EXPECT_EQ(parse_rfc3339(format_rfc3339(t)), t);
}

} // namespace
