// SecY protect/verify: every suite and option round trip, validation modes,
// each drop reason with its counter, PN exhaustion, XPN PN recovery, bursts.

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "macsec/macsec.hpp"

using namespace lag;
using namespace lag::macsec;

namespace {

constexpr sci_t tx_sci = 0x001122334455'0001ull;
constexpr sci_t rx_own_sci = 0x00AABBCCDDEE'0001ull;

struct buffer {
    explicit buffer(const bytes& content) : store(64 + content.size() + 64) {
        std::copy(content.begin(), content.end(), store.begin() + 64);
        f.data = store.data() + 64;
        f.len = static_cast<uint32_t>(content.size());
        f.headroom = 64;
        f.tailroom = 64;
    }
    bytes contents() const { return bytes(f.data, f.data + f.len); }
    bytes store;
    frame f;
};

bytes eth_frame(size_t len, uint32_t seed) {
    bytes f(len);
    std::mt19937 r(seed);
    for (auto& b : f)
        b = static_cast<uint8_t>(r());
    f[0] = 0x02; // unicast DA
    f[6] = 0x00;
    f[7] = 0x11;
    f[8] = 0x22;
    f[9] = 0x33;
    f[10] = 0x44;
    f[11] = 0x55;
    if (len >= 14) {
        f[12] = 0x08;
        f[13] = 0x00;
    }
    return f;
}

sa_params params(cipher_suite s, uint64_t pn = 1) {
    sa_params p;
    p.suite = s;
    bytes k(key_length(s));
    for (size_t i = 0; i < k.size(); ++i)
        k[i] = static_cast<uint8_t>(0xA0 + i);
    p.key.assign(k);
    p.ssci = 0x01020304;
    for (size_t i = 0; i < 12; ++i)
        p.salt[i] = static_cast<uint8_t>(0x30 + i);
    p.next_pn = pn;
    return p;
}

struct pair_ {
    std::unique_ptr<crypto::engine> eng;
    std::unique_ptr<secy> tx, rx;
};

pair_ make_pair_(secy_config c, uint64_t tx_pn = 1, uint64_t rx_pn = 1, uint8_t an = 0) {
    pair_ p;
    p.eng = std::move(crypto::engine::create().value());
    c.sci = tx_sci;
    auto t = secy::create(c);
    EXPECT_TRUE(t.ok());
    p.tx = std::move(t.value());
    EXPECT_TRUE(p.tx->install_tx_sa(std::move(tx_sa::create(*p.eng, an, params(c.suite, tx_pn)).value())).ok());
    EXPECT_TRUE(p.tx->set_encoding_sa(an).ok());
    secy_config rc = c;
    rc.sci = rx_own_sci;
    auto r = secy::create(rc);
    EXPECT_TRUE(r.ok());
    p.rx = std::move(r.value());
    const sci_t peer = c.use_es ? make_sci(mac_addr{{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}}, 1) : tx_sci;
    EXPECT_TRUE(p.rx->add_rx_sc(peer).ok());
    EXPECT_TRUE(p.rx->install_rx_sa(peer, std::move(rx_sa::create(*p.eng, an, params(c.suite, rx_pn)).value())).ok());
    return p;
}

bytes protect_one(pair_& p, const bytes& plain) {
    buffer b(plain);
    EXPECT_EQ(p.tx->protect(*p.eng, b.f), tx_status::protected_frame);
    return b.contents();
}

} // namespace

TEST(secy, round_trip_every_suite_and_option) {
    int cases = 0;
    for (auto suite : all_cipher_suites)
        for (bool conf : {true, false})
            for (uint8_t off : {0, 30, 50})
                for (int tag : {0, 1, 2}) { // SCI, ES, neither (point to point)
                    if (!conf && off != 0)
                        continue;
                    secy_config c;
                    c.suite = suite;
                    c.confidentiality = conf;
                    c.confidentiality_offset = off;
                    c.include_sci = tag == 0;
                    c.use_es = tag == 1;
                    auto p = make_pair_(c);
                    for (size_t len : {14u, 15u, 40u, 59u, 60u, 61u, 64u, 75u, 200u, 1514u, 9000u}) {
                        const bytes plain = eth_frame(len, static_cast<uint32_t>(len));
                        const bytes sec = protect_one(p, plain);
                        ASSERT_EQ(sec.size(), len + (c.include_sci ? 16 : 8) + 16);
                        parsed_frame pf;
                        ASSERT_EQ(parse_frame(sec, pf), sectag_error::none);
                        EXPECT_EQ(pf.tag.e, conf);
                        EXPECT_EQ(pf.tag.c, conf);
                        EXPECT_EQ(pf.tag.sc, c.include_sci);
                        EXPECT_EQ(pf.tag.es, c.use_es);
                        EXPECT_EQ(pf.tag.sl, len - 12 < 48 ? len - 12 : 0);
                        // The clear part: everything when integrity only,
                        // else the first `off` octets of the secure data.
                        const size_t hdr = 12 + pf.tag.size();
                        const size_t clear = conf ? std::min<size_t>(off, len - 12) : len - 12;
                        EXPECT_TRUE(std::equal(plain.begin() + 12, plain.begin() + 12 + clear,
                                               sec.begin() + hdr));
                        if (conf && len - 12 > size_t{off} + 16) {
                            EXPECT_FALSE(std::equal(plain.begin() + 12 + clear, plain.end(),
                                                    sec.begin() + hdr + clear));
                        }
                        buffer r(sec);
                        ASSERT_EQ(p.rx->verify(*p.eng, r.f), rx_status::ok)
                            << to_string(suite) << " conf " << conf << " off " << int(off) << " tag "
                            << tag << " len " << len;
                        EXPECT_EQ(r.contents(), plain);
                        ++cases;
                    }
                }
    EXPECT_EQ(cases, 4 * 4 * 3 * 11);
}

TEST(secy, replayed_and_late_frames_are_dropped_as_late) {
    secy_config c;
    c.suite = cipher_suite::gcm_aes_128;
    auto p = make_pair_(c);
    std::vector<bytes> sec;
    for (int i = 0; i < 5; ++i)
        sec.push_back(protect_one(p, eth_frame(100, i)));
    // In order: ok. Replay of #2: late. #1 after #4 (window 0): late.
    // What the SA accepts (published for MKA's SAK Use) follows: from 1, then
    // the PN after the highest verified.
    const rx_sa* sa = p.rx->rx(tx_sci, 0);
    EXPECT_EQ(sa->lowest_acceptable_pn(), 1u);
    for (int i : {0, 2, 3}) {
        buffer b(sec[i]);
        EXPECT_EQ(p.rx->verify(*p.eng, b.f), rx_status::ok);
    }
    EXPECT_EQ(sa->lowest_acceptable_pn(), 5u);
    buffer replay(sec[2]);
    EXPECT_EQ(p.rx->verify(*p.eng, replay.f), rx_status::drop_late);
    buffer old(sec[1]);
    EXPECT_EQ(p.rx->verify(*p.eng, old.f), rx_status::drop_late);
    EXPECT_EQ(sa->lowest_acceptable_pn(), 5u);
    EXPECT_EQ(sa->late_count(), 2u);
    EXPECT_EQ(p.rx->rx_sc_stats(tx_sci)->in_pkts_late, 2u);
    EXPECT_EQ(p.rx->rx_sc_stats(tx_sci)->in_pkts_ok, 3u);
}

TEST(secy, replay_window_accepts_reordering_but_not_duplicates) {
    secy_config c;
    c.suite = cipher_suite::gcm_aes_256;
    c.replay_window = 2;
    auto p = make_pair_(c);
    std::vector<bytes> sec;
    for (int i = 0; i < 6; ++i)
        sec.push_back(protect_one(p, eth_frame(80, i))); // PNs 1..6
    auto v = [&](int i) { buffer b(sec[i]); return p.rx->verify(*p.eng, b.f); };
    EXPECT_EQ(v(3), rx_status::ok);        // PN 4: next 5, lowest 3
    EXPECT_EQ(p.rx->rx(tx_sci, 0)->lowest_acceptable_pn(), 3u);
    EXPECT_EQ(v(2), rx_status::ok);        // PN 3: within the window, delayed
    EXPECT_EQ(v(1), rx_status::drop_late); // PN 2 < lowest 3
    EXPECT_EQ(v(2), rx_status::drop_late); // PN 3 again: a duplicate
    EXPECT_EQ(v(5), rx_status::ok);        // PN 6: next 7, lowest 5
    EXPECT_EQ(v(3), rx_status::drop_late); // PN 4 < 5
    EXPECT_EQ(v(4), rx_status::ok);        // PN 5: delayed
    EXPECT_EQ(p.rx->rx(tx_sci, 0)->lowest_acceptable_pn(), 5u);
    EXPECT_EQ(p.rx->rx(tx_sci, 0)->late_count(), 3u); // PN 2, PN 3 again, PN 4
    const auto& s = *p.rx->rx_sc_stats(tx_sci);
    EXPECT_EQ(s.in_pkts_ok, 2u);
    EXPECT_EQ(s.in_pkts_delayed, 2u);
    EXPECT_EQ(s.in_pkts_late, 3u);
}

TEST(secy, tampered_frames_per_validation_mode) {
    for (auto mode : {validate_frames::strict, validate_frames::check, validate_frames::disabled})
        for (bool conf : {true, false}) {
            secy_config c;
            c.suite = cipher_suite::gcm_aes_xpn_256;
            c.validate = mode;
            c.confidentiality = conf;
            auto p = make_pair_(c);
            bytes sec = protect_one(p, eth_frame(120, 9));
            sec[60] ^= 0x01;
            buffer b(sec);
            const rx_status st = p.rx->verify(*p.eng, b.f);
            const auto& sc = *p.rx->rx_sc_stats(tx_sci);
            const auto& sa = p.rx->rx(tx_sci, 0)->counters();
            if (conf || mode == validate_frames::strict) {
                EXPECT_EQ(st, rx_status::drop_not_valid);
                EXPECT_EQ(sc.in_pkts_not_valid, 1u);
                EXPECT_EQ(sa.in_pkts_not_valid, 1u);
            } else if (mode == validate_frames::check) {
                EXPECT_EQ(st, rx_status::delivered_invalid);
                EXPECT_EQ(sc.in_pkts_invalid, 1u);
                EXPECT_EQ(sa.in_pkts_invalid, 1u);
            } else {
                EXPECT_EQ(st, rx_status::delivered_unchecked);
                EXPECT_EQ(sc.in_pkts_unchecked, 1u);
            }
            EXPECT_EQ(sa.in_pkts_ok, 0u);
        }
}

TEST(secy, truncated_frames_are_dropped) {
    secy_config c;
    c.suite = cipher_suite::gcm_aes_128;
    auto p = make_pair_(c);
    const bytes sec = protect_one(p, eth_frame(200, 4));
    uint64_t drops = 0;
    for (size_t cut = 1; cut < sec.size(); ++cut) {
        bytes t(sec.begin(), sec.end() - static_cast<long>(cut));
        buffer b(t);
        const rx_status st = p.rx->verify(*p.eng, b.f);
        ASSERT_FALSE(delivered(st)) << cut;
        ASSERT_TRUE(st == rx_status::drop_not_valid || st == rx_status::drop_bad_tag) << cut;
        ++drops;
    }
    const auto& s = p.rx->counters();
    const auto& sc = *p.rx->rx_sc_stats(tx_sci);
    EXPECT_EQ(s.in_pkts_bad_tag + sc.in_pkts_not_valid, drops);
    EXPECT_EQ(sc.in_pkts_ok, 0u);
    // And the untouched frame still verifies afterwards (no state was moved).
    buffer ok(sec);
    EXPECT_EQ(p.rx->verify(*p.eng, ok.f), rx_status::ok);
}

TEST(secy, untagged_unknown_sci_and_missing_sa) {
    for (auto mode : {validate_frames::strict, validate_frames::check}) {
        secy_config c;
        c.suite = cipher_suite::gcm_aes_128;
        c.validate = mode;
        c.confidentiality = false; // C clear: the non-strict paths deliver
        auto p = make_pair_(c);
        const bool strict = mode == validate_frames::strict;
        // Untagged.
        buffer u(eth_frame(64, 1));
        EXPECT_EQ(p.rx->verify(*p.eng, u.f), strict ? rx_status::drop_no_tag : rx_status::delivered_untagged);
        EXPECT_EQ(strict ? p.rx->counters().in_pkts_no_tag : p.rx->counters().in_pkts_untagged, 1u);
        // Unknown SCI.
        bytes sec = protect_one(p, eth_frame(64, 2));
        sec[20 + 7] ^= 0xFF; // last SCI octet
        buffer s(sec);
        EXPECT_EQ(p.rx->verify(*p.eng, s.f), strict ? rx_status::drop_no_sci : rx_status::delivered_unknown_sci);
        EXPECT_EQ(strict ? p.rx->counters().in_pkts_no_sci : p.rx->counters().in_pkts_unknown_sci, 1u);
        // No SA for the AN.
        bytes sec2 = protect_one(p, eth_frame(64, 3));
        sec2[14] = static_cast<uint8_t>((sec2[14] & ~tci::an_mask) | 1);
        buffer a(sec2);
        EXPECT_EQ(p.rx->verify(*p.eng, a.f), strict ? rx_status::drop_not_using_sa : rx_status::delivered_unused_sa);
        const auto& sc = *p.rx->rx_sc_stats(tx_sci);
        EXPECT_EQ(strict ? sc.in_pkts_not_using_sa : sc.in_pkts_unused_sa, 1u);
    }
    // With C set (encrypted) the non-strict modes still drop.
    secy_config c;
    c.validate = validate_frames::check;
    auto p = make_pair_(c);
    bytes sec = protect_one(p, eth_frame(64, 2));
    sec[20 + 7] ^= 0xFF;
    buffer s(sec);
    EXPECT_EQ(p.rx->verify(*p.eng, s.f), rx_status::drop_no_sci);
}

TEST(secy, bad_tags_and_zero_pn_are_counted) {
    secy_config c;
    auto p = make_pair_(c);
    bytes sec = protect_one(p, eth_frame(64, 2));
    bytes v = sec;
    v[14] |= tci::v;
    buffer b1(v);
    EXPECT_EQ(p.rx->verify(*p.eng, b1.f), rx_status::drop_bad_tag);
    bytes z = sec;
    z[16] = z[17] = z[18] = z[19] = 0; // PN 0 is never valid without XPN
    buffer b2(z);
    EXPECT_EQ(p.rx->verify(*p.eng, b2.f), rx_status::drop_bad_tag);
    EXPECT_EQ(p.rx->counters().in_pkts_bad_tag, 2u);
}

TEST(secy, pn_exhaustion_non_xpn) {
    secy_config c;
    c.suite = cipher_suite::gcm_aes_128;
    auto p = make_pair_(c, 0xFFFFFFFDull, 0xFFFFFFFDull);
    const tx_sa* sa = p.tx->encoding_sa();
    EXPECT_TRUE(sa->near_exhaustion());
    EXPECT_FALSE(sa->exhausted());
    std::vector<buffer> bufs;
    for (int i = 0; i < 5; ++i)
        bufs.emplace_back(eth_frame(64, i));
    std::vector<frame> fr;
    for (auto& b : bufs)
        fr.push_back(b.f);
    std::vector<tx_status> st(5);
    EXPECT_EQ(p.tx->protect_burst(*p.eng, fr, st), 3u);
    EXPECT_EQ(st[2], tx_status::protected_frame);
    EXPECT_EQ(st[3], tx_status::drop_pn_exhausted);
    EXPECT_EQ(st[4], tx_status::drop_pn_exhausted);
    EXPECT_TRUE(sa->exhausted());
    // The last PN sent is 2^32 - 1, never 0 again.
    parsed_frame pf;
    ASSERT_EQ(parse_frame({fr[2].data, fr[2].len}, pf), sectag_error::none);
    EXPECT_EQ(pf.tag.pn, 0xFFFFFFFFu);
    buffer more(eth_frame(64, 9));
    EXPECT_EQ(p.tx->protect(*p.eng, more.f), tx_status::drop_pn_exhausted);
    EXPECT_EQ(p.tx->counters().out_pkts_pn_exhausted, 3u);
    EXPECT_EQ(p.tx->tx_totals().out_pkts_encrypted, 3u);
}

TEST(secy, pn_threshold_signals_before_exhaustion) {
    auto eng = std::move(crypto::engine::create().value());
    auto sa = std::move(tx_sa::create(*eng, 1, params(cipher_suite::gcm_aes_256, 100), 103).value());
    uint64_t first = 0;
    EXPECT_FALSE(sa->near_exhaustion());
    EXPECT_EQ(sa->reserve(2, first), 2u);
    EXPECT_EQ(first, 100u);
    EXPECT_FALSE(sa->near_exhaustion());
    EXPECT_EQ(sa->reserve(1, first), 1u);
    EXPECT_TRUE(sa->near_exhaustion());
    EXPECT_FALSE(sa->exhausted());
}

TEST(secy, pn_exhaustion_xpn_and_recovery_across_2_32) {
    {
        secy_config c;
        c.suite = cipher_suite::gcm_aes_xpn_128;
        auto p = make_pair_(c, max_pn_64 - 1, max_pn_64 - 1);
        buffer a(eth_frame(64, 1)), b(eth_frame(64, 2)), d(eth_frame(64, 3));
        EXPECT_EQ(p.tx->protect(*p.eng, a.f), tx_status::protected_frame);
        EXPECT_EQ(p.tx->protect(*p.eng, b.f), tx_status::protected_frame);
        EXPECT_EQ(p.tx->protect(*p.eng, d.f), tx_status::drop_pn_exhausted);
        EXPECT_EQ(p.rx->verify(*p.eng, a.f), rx_status::ok);
        EXPECT_EQ(p.rx->verify(*p.eng, b.f), rx_status::ok);
    }
    secy_config c;
    c.suite = cipher_suite::gcm_aes_xpn_256;
    c.replay_window = 8;
    const uint64_t start = 0x00000001'FFFFFFFCull;
    auto p = make_pair_(c, start, start);
    std::vector<bytes> sec;
    for (int i = 0; i < 8; ++i)
        sec.push_back(protect_one(p, eth_frame(90, i)));
    // Delivered slightly out of order across the 2^32 boundary.
    for (int i : {0, 1, 3, 2, 4, 6, 5, 7}) {
        buffer b(sec[i]);
        ASSERT_EQ(p.rx->verify(*p.eng, b.f), rx_status::ok) << i;
        EXPECT_EQ(b.contents(), eth_frame(90, i));
    }
    EXPECT_EQ(p.rx->rx(tx_sci, 0)->replay().next_pn(), start + 8);
}

TEST(secy, pns_are_never_reused_across_bursts) {
    secy_config c;
    auto p = make_pair_(c);
    std::set<uint32_t> pns;
    uint32_t last = 0;
    for (int burst = 0; burst < 20; ++burst) {
        const size_t n = 1 + static_cast<size_t>(burst * 7 % 90);
        std::vector<buffer> bufs;
        for (size_t i = 0; i < n; ++i)
            bufs.emplace_back(eth_frame(64 + i, static_cast<uint32_t>(i)));
        std::vector<frame> fr;
        for (auto& b : bufs)
            fr.push_back(b.f);
        std::vector<tx_status> st(n);
        ASSERT_EQ(p.tx->protect_burst(*p.eng, fr, st), n);
        for (auto& f : fr) {
            parsed_frame pf;
            ASSERT_EQ(parse_frame({f.data, f.len}, pf), sectag_error::none);
            EXPECT_TRUE(pns.insert(pf.tag.pn).second);
            EXPECT_GT(pf.tag.pn, last);
            last = pf.tag.pn;
        }
        std::vector<rx_status> rs(n);
        ASSERT_EQ(p.rx->verify_burst(*p.eng, fr, rs), n);
        for (size_t i = 0; i < n; ++i)
            ASSERT_EQ(bytes(fr[i].data, fr[i].data + fr[i].len), eth_frame(64 + i, static_cast<uint32_t>(i)));
    }
}

// verify_burst looks a receive SC up once for a run of frames from one peer:
// a burst that switches peers (A, B, B, A) must still verify each frame with
// its own peer's SC and SA, and count it there.
TEST(secy, one_burst_from_two_peers) {
    secy_config c;
    auto p = make_pair_(c);
    constexpr sci_t other_sci = 0x0066778899AA'0001ull;
    secy_config oc = c;
    oc.sci = other_sci;
    auto other = std::move(secy::create(oc).value());
    sa_params op = params(c.suite);
    op.key.assign(bytes(key_length(c.suite), 0x5C)); // a key of its own
    ASSERT_TRUE(other->install_tx_sa(std::move(tx_sa::create(*p.eng, 0, op).value())).ok());
    ASSERT_TRUE(other->set_encoding_sa(0).ok());
    ASSERT_TRUE(p.rx->add_rx_sc(other_sci).ok());
    ASSERT_TRUE(p.rx->install_rx_sa(other_sci, std::move(rx_sa::create(*p.eng, 0, op).value())).ok());
    auto from_other = [&](const bytes& plain) {
        buffer b(plain);
        EXPECT_EQ(other->protect(*p.eng, b.f), tx_status::protected_frame);
        return b.contents();
    };
    const std::vector<bytes> plain = {eth_frame(200, 1), eth_frame(120, 2), eth_frame(90, 3), eth_frame(64, 4)};
    std::vector<bytes> in = {protect_one(p, plain[0]), from_other(plain[1]), from_other(plain[2]),
                             protect_one(p, plain[3])};
    std::vector<buffer> bufs;
    for (auto& b : in)
        bufs.emplace_back(b);
    std::vector<frame> fr;
    for (auto& b : bufs)
        fr.push_back(b.f);
    std::vector<rx_status> st(fr.size());
    EXPECT_EQ(p.rx->verify_burst(*p.eng, fr, st), 4u);
    for (size_t i = 0; i < fr.size(); ++i) {
        EXPECT_EQ(st[i], rx_status::ok) << i;
        EXPECT_EQ(bytes(fr[i].data, fr[i].data + fr[i].len), plain[i]) << i;
    }
    EXPECT_EQ(p.rx->rx_sc_stats(tx_sci)->in_pkts_ok, 2u);
    EXPECT_EQ(p.rx->rx_sc_stats(other_sci)->in_pkts_ok, 2u);
    // Each SA publishes its lowest acceptable PN once per burst, up to date.
    EXPECT_EQ(p.rx->rx(other_sci, 0)->lowest_acceptable_pn(), 3u);
    EXPECT_EQ(p.rx->rx(tx_sci, 0)->lowest_acceptable_pn(), 3u);
}

TEST(secy, one_burst_with_every_outcome) {
    secy_config c;
    c.suite = cipher_suite::gcm_aes_xpn_256;
    c.confidentiality_offset = 30;
    auto p = make_pair_(c);
    const bytes good = protect_one(p, eth_frame(300, 1));
    bytes tampered = protect_one(p, eth_frame(300, 2));
    tampered[tampered.size() - 1] ^= 1;
    const bytes good2 = protect_one(p, eth_frame(70, 3));
    std::vector<bytes> in = {good, tampered, good2, good /* replay in the same burst */,
                             eth_frame(64, 5) /* untagged */, bytes(good.begin(), good.begin() + 30)};
    std::vector<buffer> bufs;
    for (auto& b : in)
        bufs.emplace_back(b);
    std::vector<frame> fr;
    for (auto& b : bufs)
        fr.push_back(b.f);
    std::vector<rx_status> st(fr.size());
    EXPECT_EQ(p.rx->verify_burst(*p.eng, fr, st), 2u);
    EXPECT_EQ(st[0], rx_status::ok);
    EXPECT_EQ(st[1], rx_status::drop_not_valid);
    EXPECT_EQ(st[2], rx_status::ok);
    EXPECT_EQ(st[3], rx_status::drop_late);
    EXPECT_EQ(st[4], rx_status::drop_no_tag);
    EXPECT_EQ(st[5], rx_status::drop_bad_tag);
    EXPECT_EQ(bytes(fr[0].data, fr[0].data + fr[0].len), eth_frame(300, 1));
    EXPECT_EQ(bytes(fr[2].data, fr[2].data + fr[2].len), eth_frame(70, 3));
    const auto& sc = *p.rx->rx_sc_stats(tx_sci);
    EXPECT_EQ(sc.in_pkts_ok, 2u);
    EXPECT_EQ(sc.in_pkts_not_valid, 1u);
    EXPECT_EQ(sc.in_pkts_late, 1u);
    EXPECT_EQ(p.rx->counters().in_pkts_no_tag, 1u);
    EXPECT_EQ(p.rx->counters().in_pkts_bad_tag, 1u);
}

// A burst mixing frames protect must refuse with good ones: the good ones
// verify, their PNs grow strictly, and no PN is handed out again later (a
// refused frame may leave a gap, never a repeat). The SL octet and the
// max_frame_len boundary are checked on the way.
TEST(secy, mixed_burst_keeps_pns_unique_and_growing) {
    secy_config c;
    c.max_frame_len = 200;
    auto p = make_pair_(c);
    const uint32_t overhead = sectag_len_sci + icv_len;
    std::vector<buffer> bufs;
    bufs.emplace_back(eth_frame(40, 1));              // protected, short: SL = 28
    bufs.emplace_back(bytes(10, 0));                  // runt
    bufs.emplace_back(eth_frame(200 - overhead, 2));  // exactly max_frame_len once protected
    bufs.emplace_back(eth_frame(201 - overhead, 3));  // one octet too long
    bufs.emplace_back(eth_frame(100, 4));             // no headroom (below)
    bufs.emplace_back(eth_frame(120, 5));             // protected
    bufs[4].f.headroom = 4;
    std::vector<frame> fr;
    for (auto& b : bufs)
        fr.push_back(b.f);
    std::vector<tx_status> st(fr.size());
    EXPECT_EQ(p.tx->protect_burst(*p.eng, fr, st), 3u);
    EXPECT_EQ(fr[2].len, 200u);
    const tx_status want[] = {tx_status::protected_frame, tx_status::drop_runt, tx_status::protected_frame,
                              tx_status::drop_too_long,   tx_status::drop_no_room, tx_status::protected_frame};
    uint64_t last = 0;
    for (size_t i = 0; i < fr.size(); ++i) {
        EXPECT_EQ(st[i], want[i]) << i;
        if (st[i] != tx_status::protected_frame)
            continue;
        parsed_frame pf;
        ASSERT_EQ(parse_frame({fr[i].data, fr[i].len}, pf), sectag_error::none) << i;
        EXPECT_GT(pf.tag.pn, last) << i;
        last = pf.tag.pn;
        // SL: the secure data's length below 48 octets, else 0.
        const size_t secure = fr[i].len - mac_addrs_len - sectag_len_sci - icv_len;
        EXPECT_EQ(pf.tag.sl, secure < 48 ? secure : 0u) << i;
        EXPECT_EQ(p.rx->verify(*p.eng, fr[i]), rx_status::ok) << i;
    }
    // The next frame's PN is above every PN of the burst.
    buffer next(eth_frame(64, 6));
    ASSERT_EQ(p.tx->protect(*p.eng, next.f), tx_status::protected_frame);
    parsed_frame pf;
    ASSERT_EQ(parse_frame({next.f.data, next.f.len}, pf), sectag_error::none);
    EXPECT_GT(pf.tag.pn, last);
    EXPECT_EQ(p.rx->verify(*p.eng, next.f), rx_status::ok);
}

TEST(secy, transmit_drops_and_config_errors) {
    secy_config c;
    c.max_frame_len = 1518;
    auto p = make_pair_(c);
    buffer runt(bytes(10, 0));
    EXPECT_EQ(p.tx->protect(*p.eng, runt.f), tx_status::drop_runt);
    buffer big(eth_frame(1500, 1));
    EXPECT_EQ(p.tx->protect(*p.eng, big.f), tx_status::drop_too_long);
    buffer tight(eth_frame(100, 1));
    tight.f.headroom = 8; // SCI needs 16
    EXPECT_EQ(p.tx->protect(*p.eng, tight.f), tx_status::drop_no_room);
    EXPECT_EQ(tight.contents(), eth_frame(100, 1));
    const auto& s = p.tx->counters();
    EXPECT_EQ(s.out_pkts_runt + s.out_pkts_too_long + s.out_pkts_no_room, 3u);
    // No SA in use.
    p.tx->retire_tx_sa(0);
    buffer b(eth_frame(100, 1));
    EXPECT_EQ(p.tx->protect(*p.eng, b.f), tx_status::drop_no_sa);
    // Protection off: sent as is.
    secy_config off;
    off.protect_frames = false;
    auto q = std::move(secy::create(off).value());
    buffer clear(eth_frame(100, 1));
    EXPECT_EQ(q->protect(*p.eng, clear.f), tx_status::untagged);
    EXPECT_EQ(clear.contents(), eth_frame(100, 1));

    secy_config bad;
    bad.confidentiality_offset = 20;
    EXPECT_FALSE(secy::create(bad).ok());
    bad.confidentiality_offset = 0;
    bad.use_es = true; // with include_sci
    EXPECT_FALSE(secy::create(bad).ok());
    auto eng = std::move(crypto::engine::create().value());
    auto wrong_len = params(cipher_suite::gcm_aes_256);
    wrong_len.key.assign(bytes(16, 1));
    EXPECT_FALSE(tx_sa::create(*eng, 0, wrong_len).ok());
    EXPECT_FALSE(tx_sa::create(*eng, 4, params(cipher_suite::gcm_aes_128)).ok());
    EXPECT_FALSE(tx_sa::create(*eng, 0, params(cipher_suite::gcm_aes_128, 0)).ok());
    EXPECT_FALSE(tx_sa::create(*eng, 0, params(cipher_suite::gcm_aes_128, 1ull << 32)).ok());
    auto s2 = std::move(secy::create(secy_config{}).value());
    EXPECT_FALSE(s2->install_tx_sa(std::move(tx_sa::create(*eng, 0, params(cipher_suite::gcm_aes_256)).value())).ok());
}

TEST(secy, mutated_frames_are_never_delivered_as_verified) {
    // Property: random bit flips, truncations, extensions and SecTAG rewrites
    // of valid protected frames never come out as `ok` with anything but the
    // original plaintext (the untouched frame, or a short one with padding
    // after its ICV, which SL makes legal), never crash, and every drop is
    // counted exactly once.
    for (auto suite : all_cipher_suites) {
        secy_config c;
        c.suite = suite;
        c.replay_window = 1u << 20; // the same PNs are tried again and again
        c.replay_protect = false;
        auto p = make_pair_(c);
        std::mt19937 rng(static_cast<uint32_t>(suite) + 99);
        std::vector<bytes> sec, plain;
        for (int i = 0; i < 16; ++i) {
            plain.push_back(eth_frame(14 + rng() % 200, i));
            sec.push_back(protect_one(p, plain.back()));
        }
        uint64_t dropped = 0, ok = 0;
        for (int it = 0; it < 4000; ++it) {
            const size_t idx = rng() % sec.size();
            const bytes& orig = sec[idx];
            bytes m = orig;
            switch (rng() % 4) {
            case 0: m[rng() % m.size()] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
            case 1: m.resize(rng() % m.size()); break;
            case 2: m.push_back(static_cast<uint8_t>(rng())); break;
            default: m[12 + rng() % 8] = static_cast<uint8_t>(rng()); break;
            }
            buffer b(m);
            const rx_status st = p.rx->verify(*p.eng, b.f);
            if (st == rx_status::ok) {
                ++ok;
                ASSERT_EQ(b.contents(), plain[idx]) << to_string(suite);
                const bool padded = orig[15] != 0 && m.size() > orig.size() &&
                                    std::equal(orig.begin(), orig.end(), m.begin());
                ASSERT_TRUE(m == orig || padded) << "a changed frame verified, " << to_string(suite);
            } else {
                ASSERT_FALSE(delivered(st)) << int(st);
                ++dropped;
            }
        }
        const auto& s = p.rx->counters();
        const auto t = p.rx->rx_totals();
        EXPECT_EQ(s.in_pkts_no_tag + s.in_pkts_bad_tag + s.in_pkts_no_sci + t.in_pkts_not_using_sa +
                      t.in_pkts_late + t.in_pkts_not_valid,
                  dropped);
        EXPECT_EQ(t.in_pkts_ok + t.in_pkts_delayed, ok);
    }
}
