// Static keys' transmit PNs across restarts: the SA's PN limit (frames past it
// dropped and counted), the PN store's reservations (persisted before use),
// its text, restarts and crashes at any point (no PN is ever sent twice
// under one key), a storage that cannot be written, a used-up PN space.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <random>
#include <set>

#include "macsec/macsec.hpp"

using namespace lag;
using namespace lag::macsec;

namespace {

constexpr sci_t sci_a = 0x020000000001'0001ull;

// A storage whose text outlives the store (a file across a crash).
struct disk {
    std::optional<std::string> text;
    unsigned writes = 0;
    bool fail = false;
};

class fake_storage final : public pn_storage {
public:
    explicit fake_storage(disk& d) : _d(d) {}
    result<std::optional<std::string>> read() override { return _d.text; }
    result<void> write(std::string_view text) override {
        if (_d.fail)
            return make_error("io", "No space left on device");
        _d.text = std::string(text);
        ++_d.writes;
        return ok_v;
    }
    std::string name() const override { return "/etc/lagd.toml.lag0.pn"; }

private:
    disk& _d;
};

std::unique_ptr<pn_store> open_store(disk& d) {
    auto s = pn_store::open(std::make_unique<fake_storage>(d));
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.err().message);
    return s.ok() ? std::move(*s) : nullptr;
}

sa_params params(cipher_suite s, uint64_t pn, uint8_t seed = 0xA0) {
    sa_params p;
    p.suite = s;
    std::vector<uint8_t> k(key_length(s));
    for (size_t i = 0; i < k.size(); ++i)
        k[i] = static_cast<uint8_t>(seed + i);
    p.key.assign(k);
    p.next_pn = pn;
    return p;
}

pn_sa_id id_of(crypto::engine& e, const sa_params& p, sci_t sci = sci_a, uint8_t an = 0) {
    return {sci, an, fingerprint_of(e, p.key.view()).value()};
}

struct frame_buf {
    std::vector<uint8_t> store = std::vector<uint8_t>(64 + 64 + 64, 0x5A);
    frame f{store.data() + 64, 64, 64, 64};
};

} // namespace

TEST(tx_sa_limit, holds_at_the_limit_and_counts_the_drops) {
    auto eng = std::move(crypto::engine::create().value());
    secy_config c;
    c.suite = cipher_suite::gcm_aes_256;
    c.sci = sci_a;
    auto sy = std::move(secy::create(c).value());
    ASSERT_TRUE(sy->install_tx_sa(std::move(tx_sa::create(*eng, 0, params(c.suite, 100)).value())).ok());
    ASSERT_TRUE(sy->set_encoding_sa(0).ok());
    auto* sa = const_cast<tx_sa*>(sy->encoding_sa());
    EXPECT_EQ(sa->pn_limit(), max_pn_32);
    sa->set_pn_limit(102);
    std::vector<frame_buf> b(5);
    std::vector<frame> fr;
    for (auto& x : b)
        fr.push_back(x.f);
    std::vector<tx_status> st(5);
    EXPECT_EQ(sy->protect_burst(*eng, fr, st), 3u);
    EXPECT_EQ(st[2], tx_status::protected_frame);
    EXPECT_EQ(st[3], tx_status::drop_pn_unreserved);
    EXPECT_EQ(st[4], tx_status::drop_pn_unreserved);
    EXPECT_EQ(sy->counters().out_pkts_pn_unreserved, 2u);
    EXPECT_EQ(sy->counters().out_pkts_pn_exhausted, 0u);
    EXPECT_FALSE(sa->exhausted());
    EXPECT_EQ(sa->next_pn(), 103u);
    // Raised: the next frame takes PN 103, none was skipped or repeated.
    sa->set_pn_limit(200);
    frame_buf more;
    ASSERT_EQ(sy->protect(*eng, more.f), tx_status::protected_frame);
    parsed_frame pf;
    ASSERT_EQ(parse_frame({more.f.data, more.f.len}, pf), sectag_error::none);
    EXPECT_EQ(pf.tag.pn, 103u);
    // Clamped to the suite's last PN.
    sa->set_pn_limit(UINT64_MAX);
    EXPECT_EQ(sa->pn_limit(), max_pn_32);
}

TEST(pn_store, first_start_reserves_a_chunk_and_persists_it_first) {
    auto eng = std::move(crypto::engine::create().value());
    disk d;
    auto s = open_store(d);
    const auto p = params(cipher_suite::gcm_aes_256, 1);
    const auto id = id_of(*eng, p);
    auto g = s->start(id, 1, max_pn_32, 1000);
    ASSERT_TRUE(g.ok()) << g.err().message;
    EXPECT_EQ(g->first_pn, 1u);
    EXPECT_EQ(g->limit, 1000u);
    EXPECT_EQ(d.writes, 1u);
    ASSERT_TRUE(d.text);
    EXPECT_NE(d.text->find("020000000001-0001 0 "), std::string::npos) << *d.text;
    EXPECT_NE(d.text->find(" 1001\n"), std::string::npos) << *d.text;
    // A restart starts at the ceiling, whatever tx_pn says.
    auto s2 = open_store(d);
    EXPECT_EQ(s2->ceiling(id), 1001u);
    auto g2 = s2->start(id, 1, max_pn_32, 1000);
    ASSERT_TRUE(g2.ok());
    EXPECT_EQ(g2->first_pn, 1001u);
    EXPECT_EQ(g2->limit, 2000u);
    // A configured tx_pn above the ceiling wins.
    auto s3 = open_store(d);
    auto g3 = s3->start(id, 5000, max_pn_32, 1000);
    ASSERT_TRUE(g3.ok());
    EXPECT_EQ(g3->first_pn, 5000u);
    EXPECT_EQ(g3->limit, 5999u);
}

TEST(pn_store, the_key_fingerprint_keeps_keys_apart_and_is_not_the_key) {
    auto eng = std::move(crypto::engine::create().value());
    const auto a = params(cipher_suite::gcm_aes_256, 1, 0xA0), b = params(cipher_suite::gcm_aes_256, 1, 0xB0);
    const auto fa = fingerprint_of(*eng, a.key.view()).value(), fb = fingerprint_of(*eng, b.key.view()).value();
    EXPECT_NE(fa, fb);
    EXPECT_EQ(fa, fingerprint_of(*eng, a.key.view()).value());
    disk d;
    auto s = open_store(d);
    ASSERT_TRUE(s->start(id_of(*eng, a), 1, max_pn_32, 50).ok());
    // A new key on the same SCI and AN starts from its own floor.
    auto g = s->start(id_of(*eng, b), 1, max_pn_32, 50);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g->first_pn, 1u);
    EXPECT_EQ(s->size(), 2u);
    // No key byte in hex in the text.
    std::string hex;
    for (uint8_t x : a.key.view())
        hex += fmt::format("{:02x}", x);
    EXPECT_EQ(d.text->find(hex.substr(0, 8)), std::string::npos);
}

TEST(pn_store, text_round_trips_and_bad_text_is_refused_with_its_line) {
    auto eng = std::move(crypto::engine::create().value());
    disk d;
    auto s = open_store(d);
    const auto p = params(cipher_suite::gcm_aes_xpn_256, 1);
    ASSERT_TRUE(s->start(id_of(*eng, p, sci_a, 3), 7, max_pn_64, 1ull << 40).ok());
    ASSERT_TRUE(s->start(id_of(*eng, p, 0x0200000000020002ull, 1), 1, max_pn_64, 10).ok());
    auto m = pn_store::parse(*d.text, "x");
    ASSERT_TRUE(m.ok()) << m.err().message;
    EXPECT_EQ(m->size(), 2u);
    EXPECT_EQ(m->at(id_of(*eng, p, sci_a, 3)), 7 + (1ull << 40));
    for (const char* bad : {"020000000001-0001 0 00112233445566ff\n", "020000000001-0001 4 00112233445566ff 9\n",
                            "0200000000010001 0 00112233445566ff 9\n", "020000000001-0001 0 0011223344 9\n",
                            "020000000001-0001 0 00112233445566ff 0\n", "020000000001-0001 0 00112233445566ff x9\n"}) {
        disk e;
        e.text = std::string("# comment\n\n") + bad;
        auto r = pn_store::open(std::make_unique<fake_storage>(e));
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.err().code, "pn-state");
        EXPECT_NE(r.err().message.find("/etc/lagd.toml.lag0.pn:3:"), std::string::npos) << r.err().message;
    }
    disk twice;
    twice.text = "020000000001-0001 0 00112233445566ff 9\n020000000001-0001 0 00112233445566ff 10\n";
    EXPECT_FALSE(pn_store::open(std::make_unique<fake_storage>(twice)).ok());
}

TEST(pn_store, a_storage_that_cannot_be_written_refuses_and_changes_nothing) {
    auto eng = std::move(crypto::engine::create().value());
    disk d;
    auto s = open_store(d);
    const auto id = id_of(*eng, params(cipher_suite::gcm_aes_256, 1));
    d.fail = true;
    auto g = s->start(id, 1, max_pn_32, 100);
    ASSERT_FALSE(g.ok());
    EXPECT_NE(g.err().message.find("/etc/lagd.toml.lag0.pn"), std::string::npos) << g.err().message;
    EXPECT_NE(g.err().message.find("No space left"), std::string::npos) << g.err().message;
    EXPECT_EQ(s->ceiling(id), 0u);
    d.fail = false;
    auto ok = s->start(id, 1, max_pn_32, 100);
    ASSERT_TRUE(ok.ok());
    d.fail = true;
    auto e = s->extend(id, ok->limit, max_pn_32, 100);
    EXPECT_FALSE(e.ok());
    EXPECT_EQ(s->ceiling(id), 101u); // unchanged
}

TEST(pn_store, a_used_up_pn_space_is_refused_naming_the_sa) {
    auto eng = std::move(crypto::engine::create().value());
    disk d;
    auto s = open_store(d);
    const auto id = id_of(*eng, params(cipher_suite::gcm_aes_256, 1), sci_a, 2);
    // The last chunk is cut at the end of the space.
    auto g = s->start(id, max_pn_32 - 9, max_pn_32, 100);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g->limit, max_pn_32);
    EXPECT_FALSE(s->extend(id, g->limit, max_pn_32, 100).ok());
    auto again = open_store(d)->start(id, 1, max_pn_32, 100);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.err().code, "pn-exhausted");
    EXPECT_NE(again.err().message.find("SCI 020000000001-0001 AN 2"), std::string::npos) << again.err().message;
    // XPN: the 64-bit space, likewise.
    const auto x = id_of(*eng, params(cipher_suite::gcm_aes_xpn_256, 1));
    auto gx = s->start(x, max_pn_64, max_pn_64, 1ull << 30);
    ASSERT_TRUE(gx.ok());
    EXPECT_EQ(gx->limit, max_pn_64);
    EXPECT_FALSE(open_store(d)->start(x, 1, max_pn_64, 1).ok());
}

// Runs of a daemon that crash at random points: between a reservation and
// its use, in the middle of a chunk, with a write failing now and then. The
// control side extends when the SA is within half a chunk of its limit, as
// macsec_driver does. Every PN handed out over all runs is distinct.
TEST(pn_store, crashes_anywhere_never_repeat_a_pn) {
    auto eng = std::move(crypto::engine::create().value());
    const auto p = params(cipher_suite::gcm_aes_256, 1);
    const auto id = id_of(*eng, p);
    constexpr uint64_t chunk = 64;
    disk d;
    std::mt19937 rng(18);
    std::set<uint64_t> sent;
    uint64_t total = 0;
    for (int run = 0; run < 60; ++run) {
        auto s = open_store(d);
        ASSERT_TRUE(s);
        auto g = s->start(id, 1, max_pn_32, chunk);
        ASSERT_TRUE(g.ok()) << g.err().message;
        auto sa_params_run = p;
        sa_params_run.next_pn = g->first_pn;
        auto sa = std::move(tx_sa::create(*eng, 0, sa_params_run).value());
        sa->set_pn_limit(g->limit);
        // Crash right after the reservation (before any use) now and then.
        const unsigned bursts = rng() % 4 == 0 ? 0 : rng() % 12;
        for (unsigned b = 0; b < bursts; ++b) {
            uint64_t first = 0;
            const uint32_t got = sa->reserve(1 + rng() % 40, first);
            for (uint32_t i = 0; i < got; ++i) {
                EXPECT_TRUE(sent.insert(first + i).second) << "PN " << first + i << " sent twice, run " << run;
                EXPECT_LT(first + i, s->ceiling(id)); // never past what is persisted
            }
            total += got;
            d.fail = rng() % 5 == 0;
            if (sa->next_pn() + chunk / 2 > sa->pn_limit())
                if (auto e = s->extend(id, sa->pn_limit(), sa->max_pn(), chunk); e.ok())
                    sa->set_pn_limit(*e);
            d.fail = false;
        }
        // The crash: the store and the SA are gone, the disk stays.
    }
    EXPECT_GT(total, 1000u);
    EXPECT_EQ(sent.size(), total);
}
