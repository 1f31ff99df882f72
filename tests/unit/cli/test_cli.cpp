#include "cli/cli.hpp"

#include <gtest/gtest.h>

namespace lag::cli {
namespace {

TEST(cli_tokenize, blanks_quotes_comments) {
    EXPECT_EQ(tokenize("  show   lag  "), (std::vector<std::string>{"show", "lag"}));
    EXPECT_EQ(tokenize("set x \"a b\" # comment"), (std::vector<std::string>{"set", "x", "a b"}));
    EXPECT_EQ(tokenize("\"\""), (std::vector<std::string>{""}));
    EXPECT_TRUE(tokenize("# only").empty());
}

TEST(cli_parse, create_lag_with_optional_groups_in_any_order) {
    auto r = parse_line("create lag lag0 speed 10G min-links 1 members m0,m1");
    ASSERT_TRUE(r) << r.err().to_string();
    EXPECT_EQ(r->id, command_id::create_lag);
    EXPECT_EQ(r->get("name"), "lag0");
    EXPECT_EQ(r->get("speed"), "10G");
    EXPECT_EQ(r->get("n"), "1");
    EXPECT_EQ(r->list("ports"), (std::vector<std::string>{"m0", "m1"}));
    auto bare = parse_line("create lag l speed 100G");
    ASSERT_TRUE(bare);
    EXPECT_FALSE(bare->has("ports"));
}

TEST(cli_parse, every_command_parses_its_own_example) {
    const char* lines[] = {
        "create lag a speed 1G",
        "delete lag a",
        "add member m0 lag a",
        "remove member m0 lag a",
        "set lag a min-links 2",
        "set lag a hash sym-l34",
        "set lag a macsec ckn 0102 cak-file /etc/k cipher gcm-aes-xpn-256 encryption must_encrypt",
        "unset lag a macsec",
        "set lag a macsec rekey",
        "set lacp lag a rate slow",
        "show lag",
        "show lag a json",
        "show lag json",
        "show lacp m0",
        "show macsec",
        "show stats m0 json",
        "clear stats",
        "show config",
        "save config",
        "help",
        "help show",
        "quit",
    };
    for (const char* l : lines) {
        auto r = parse_line(l);
        EXPECT_TRUE(r) << l << ": " << (r ? "" : r.err().to_string());
    }
    auto j = parse_line("show lag json");
    ASSERT_TRUE(j);
    EXPECT_TRUE(j->json);
    EXPECT_FALSE(j->has("name")) << "'json' is a keyword, not a LAG name";
    EXPECT_EQ(parse_line("show lag a json")->get("name"), "a");
}

TEST(cli_parse, typo_in_verb_suggests_nearest_with_usage) {
    auto r = parse_line("craete lag x speed 10G");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, "syntax");
    EXPECT_NE(r.err().message.find("did you mean 'create'"), std::string::npos) << r.err().message;
    EXPECT_NE(r.err().message.find("create lag <name> speed"), std::string::npos);
    auto far = parse_line("xyzzy");
    ASSERT_FALSE(far);
    EXPECT_NE(far.err().message.find("help"), std::string::npos);
}

TEST(cli_parse, bad_values_name_the_placeholder_and_usage) {
    auto r = parse_line("set lag a min-links two");
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("not a number for <n>"), std::string::npos) << r.err().message;
    EXPECT_NE(r.err().message.find("usage:"), std::string::npos);
    r = parse_line("create lag a speed 40G");
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("1G|10G|100G"), std::string::npos) << r.err().message;
    r = parse_line("set lag a macsec ckn zz cak-file f");
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("hex"), std::string::npos);
    r = parse_line("create lag a speed 1G members m0,,m1");
    ASSERT_FALSE(r);
    r = parse_line("create lag a speed 1G min-links");
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("missing"), std::string::npos) << r.err().message;
    r = parse_line("create lag a speed 1G min-links 1 min-links 2");
    ASSERT_FALSE(r) << "an option given twice is refused";
    r = parse_line("show lag a b");
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("unexpected 'b'"), std::string::npos) << r.err().message;
}

TEST(cli_parse, incomplete_set_lists_every_candidate_usage) {
    auto r = parse_line("set lag a");
    ASSERT_FALSE(r);
    const auto& m = r.err().message;
    EXPECT_NE(m.find("min-links <n:uint>"), std::string::npos) << m;
    EXPECT_NE(m.find("hash <policy"), std::string::npos) << m;
    EXPECT_NE(m.find("macsec ckn"), std::string::npos) << m;
}

TEST(cli_parse, empty_line_is_its_own_error) {
    auto r = parse_line("   ");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, "empty");
}

TEST(cli_complete, verbs_keywords_choices) {
    EXPECT_EQ(complete("sh"), (std::vector<std::string>{"show"}));
    auto v = complete("show ");
    EXPECT_EQ(v, (std::vector<std::string>{"config", "lacp", "lag", "macsec", "stats"}));
    EXPECT_EQ(complete("set lag a hash sym"), (std::vector<std::string>{"sym-l34"}));
    EXPECT_EQ(complete("create lag a speed 1"), (std::vector<std::string>{"100G", "10G", "1G"}));
    auto opts = complete("create lag a speed 10G ");
    EXPECT_EQ(opts, (std::vector<std::string>{"members", "min-links"}));
    auto after = complete("create lag a speed 10G members m0 ");
    EXPECT_EQ(after, (std::vector<std::string>{"min-links"}));
    EXPECT_TRUE(complete("nonsense ").empty());
}

TEST(cli_help, lists_commands_and_filters_by_topic) {
    auto all = help_text();
    for (const auto& c : commands())
        EXPECT_NE(all.find(c.syntax), std::string::npos) << c.syntax;
    auto show = help_text("show");
    EXPECT_NE(show.find("show lag"), std::string::npos);
    EXPECT_EQ(show.find("create lag"), std::string::npos);
    EXPECT_NE(help_text("bogus").find("no command"), std::string::npos);
}

// Property: random word salads never crash and a failed parse always gives a
// message with a usage line or a hint.
TEST(cli_property, random_lines_never_crash) {
    const char* vocab[] = {"create", "lag", "set", "show", "json", "speed", "10G", "members",
                           "m0,m1",  "min-links", "3", "x", "", "\"", "#", "macsec", "ckn", "ab"};
    uint32_t s = 12345;
    auto rnd = [&] { return s = s * 1103515245u + 12345u, (s >> 16) & 0x7fff; };
    for (int i = 0; i < 20000; ++i) {
        std::string line;
        int n = static_cast<int>(rnd() % 8);
        for (int k = 0; k < n; ++k)
            line += std::string(vocab[rnd() % std::size(vocab)]) + " ";
        auto r = parse_line(line);
        if (!r) {
            EXPECT_FALSE(r.err().message.empty());
            if (r.err().code == "syntax") {
                bool hinted = r.err().message.find("usage") != std::string::npos ||
                              r.err().message.find("help") != std::string::npos;
                EXPECT_TRUE(hinted) << line << " -> " << r.err().message;
            }
        }
        (void)complete(line);
    }
}

} // namespace
} // namespace lag::cli
