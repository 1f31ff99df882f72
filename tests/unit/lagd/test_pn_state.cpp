// dpdk-lagd's PN state file (static keys): [lag.macsec] pn_state and
// pn_chunk, the default path beside the config, and the file behind
// macsec::pn_store (mode 0600 whatever it was, nothing when missing, a
// write that fails names the path and why, no temporary left behind).
#include "config.hpp"
#include "pn_state.hpp"
#include "toml_fixture.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

using namespace lag;
using namespace lag::lagd;

namespace {

std::string member() {
    return "[[lag.macsec.member]]\nport = \"m0\"\nsci = \"020000000001-0001\"\n"
           "peer_sci = \"020000000002-0001\"\ntx_key = \"a\"\nrx_key = \"b\"\n";
}

result<daemon_config> parse(const std::string& extra) {
    return parse_config(test::macsec_lag_toml("ieee", 1) + "mode = \"static\"\ncipher = \"gcm-aes-256\"\n"
                            "key_file = \"k\"\n" + extra + member(),
                        "/etc/dpdk-lag/lagd.toml");
}

struct pn_file : ::testing::Test {
    void SetUp() override {
        char t[] = "/tmp/lagd-pn-XXXXXX";
        ASSERT_NE(mkdtemp(t), nullptr);
        dir = t;
    }
    void TearDown() override { ASSERT_EQ(std::system(("rm -rf " + dir).c_str()), 0); }
    std::string dir;
};

} // namespace

TEST(pn_state_config, default_beside_the_config_and_explicit_relative_to_it) {
    auto d = parse("");
    ASSERT_TRUE(d.ok()) << d.err().to_string();
    const auto& l = d->lags[0];
    EXPECT_EQ(pn_state_path(l.macsec, l.name), "/etc/dpdk-lag/lagd.toml." + l.name + ".pn");
    EXPECT_EQ(pn_chunk_of(l.macsec), default_pn_chunk);
    auto e = parse("pn_state = \"state/lag.pn\"\npn_chunk = 4096\n");
    ASSERT_TRUE(e.ok()) << e.err().to_string();
    EXPECT_EQ(pn_state_path(e->lags[0].macsec, "x"), "/etc/dpdk-lag/state/lag.pn");
    EXPECT_EQ(pn_chunk_of(e->lags[0].macsec), 4096u);
    EXPECT_EQ(pn_chunk_of(macsec_config{.suite = cipher_suite::gcm_aes_xpn_256}), default_pn_chunk_xpn);
}

TEST(pn_state_config, bad_values_are_refused_with_their_line) {
    for (const char* bad : {"pn_state = \"\"\n", "pn_chunk = 0\n", "pn_chunk = 4294967296\n", "pn_state = 3\n"}) {
        auto r = parse(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.err().message.find("lagd.toml:"), std::string::npos) << r.err().message;
    }
}

TEST_F(pn_file, the_file_is_0600_and_replaced_whole) {
    pn_state_file f(dir + "/lag0.pn");
    auto none = f.read();
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(*none);
    ASSERT_TRUE(f.write("one\n").ok());
    ASSERT_EQ(chmod((dir + "/lag0.pn").c_str(), 0644), 0);
    ASSERT_TRUE(f.write("two\n").ok());
    struct stat st {};
    ASSERT_EQ(stat((dir + "/lag0.pn").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto back = f.read();
    ASSERT_TRUE(back.ok() && *back);
    EXPECT_EQ(**back, "two\n");
    EXPECT_NE(access((dir + "/lag0.pn.tmp").c_str(), F_OK), 0);
}

TEST_F(pn_file, a_file_that_cannot_be_written_names_the_path_and_why) {
    pn_state_file f(dir + "/missing/lag0.pn");
    auto w = f.write("x\n");
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.err().code, "pn-state");
    EXPECT_NE(w.err().message.find(dir + "/missing/lag0.pn"), std::string::npos) << w.err().message;
    EXPECT_NE(w.err().message.find("No such file or directory"), std::string::npos) << w.err().message;
    // Through the store: the start is refused and nothing is granted.
    auto s = macsec::pn_store::open(std::make_unique<pn_state_file>(dir + "/missing/lag0.pn"));
    ASSERT_TRUE(s.ok());
    auto g = (*s)->start({1, 0, {}}, 1, macsec::max_pn_32, 16);
    ASSERT_FALSE(g.ok());
    EXPECT_NE(g.err().message.find("missing/lag0.pn"), std::string::npos) << g.err().message;
}
