// MKPDU codec: round trips of every parameter set, the ICV, and one test per
// malformed class (each a distinct drop_reason), then random mutations that
// must decode or be refused, never crash.

#include "common/bytes.hpp"
#include "mka/ipsecmb_crypto.hpp"
#include "mka/mka.hpp"

#include <gtest/gtest.h>

#include <random>

namespace lag::mka {
namespace {

const mac_addr src{{0x02, 0, 0, 0, 0, 0x01}};

member_id mi_of(uint8_t v) {
    member_id m{};
    m.fill(v);
    return m;
}

mkpdu full_pdu(cipher_suite suite = cipher_suite::gcm_aes_256) {
    mkpdu p;
    p.basic.key_server_priority = 7;
    p.basic.key_server = true;
    p.basic.actor_sci = {src, 1};
    p.basic.actor_mi = mi_of(0xA1);
    p.basic.actor_mn = 42;
    const uint8_t name[] = {'l', 'a', 'g', '-', 'c', 'k', 'n'}; // 7: needs padding
    p.basic.ckn.assign(name);
    p.live = peer_list{{{mi_of(0xB2), 7}, {mi_of(0xC3), 9}}, 0};
    p.potential = peer_list{{{mi_of(0xD4), 1}}, 0};
    sak_use u;
    u.latest_an = 2;
    u.latest_tx = true;
    u.latest_rx = true;
    u.old_an = 1;
    u.old_rx = true;
    u.delay_protect = true;
    u.latest_ki = {mi_of(0xA1), 3};
    u.latest_lowest_pn = 1000;
    u.old_ki = {mi_of(0xA1), 2};
    u.old_lowest_pn = 77;
    p.sak_use = u;
    distributed_sak d;
    d.an = 2;
    d.offset = confidentiality_offset::offset_30;
    d.kn = 3;
    d.suite = suite;
    d.wrapped_len = key_length(suite) + 8;
    for (size_t i = 0; i < d.wrapped_len; ++i)
        d.wrapped[i] = static_cast<uint8_t>(i * 7 + 1);
    p.distributed_sak = d;
    p.announcement = announcement{{{3, cipher_suite_id(cipher_suite::gcm_aes_256)},
                                   {3, cipher_suite_id(cipher_suite::gcm_aes_xpn_256)}}};
    p.xpn = xpn_parameter_set{0, 5, 4};
    return p;
}

// Offset of the first parameter set of `type` in an encoded frame, or 0.
size_t find_set(const bytes& f, uint8_t type) {
    size_t off = 18 + 4 + ((size_t(f[20] & 0x0F) << 8 | f[21]) + 3) / 4 * 4;
    while (off + 4 <= f.size() - 16) {
        if (f[off] == type)
            return off;
        size_t len = size_t(f[off + 2] & 0x0F) << 8 | f[off + 3];
        if (f[off] == 255)
            return 0;
        off += 4 + (len + 3) / 4 * 4;
    }
    return 0;
}

void set_len(bytes& f, size_t set_off, size_t len) {
    f[set_off + 2] = static_cast<uint8_t>((f[set_off + 2] & 0xF0) | ((len >> 8) & 0x0F));
    f[set_off + 3] = static_cast<uint8_t>(len);
}
void set_eapol_len(bytes& f) { store_be16(&f[16], static_cast<uint16_t>(f.size() - 18)); }

drop_reason reason_of(const bytes& f) {
    auto d = decode_frame(f);
    EXPECT_FALSE(d.ok()) << "frame unexpectedly accepted";
    return d.ok() ? drop_reason::count_ : d.reason();
}

class mkpdu_codec : public ::testing::Test {
protected:
    void SetUp() override {
        auto c = ipsecmb_crypto::create();
        ASSERT_TRUE(c);
        crypto = std::move(c.value());
        bytes k(32);
        for (size_t i = 0; i < k.size(); ++i)
            k[i] = static_cast<uint8_t>(i);
        ick.assign(k);
    }
    std::unique_ptr<ipsecmb_crypto> crypto;
    key_secret ick;
};

TEST_F(mkpdu_codec, full_pdu_round_trips_for_every_suite) {
    for (auto s : all_cipher_suites) {
        auto pdu = full_pdu(s);
        auto f = encode_frame(pdu, src, pae_group_address, *crypto, ick);
        ASSERT_FALSE(f.empty());
        EXPECT_EQ(f.size() % 2, 0u);
        EXPECT_EQ((f.size() - 18) % 4, 0u);
        auto d = decode_frame(f);
        ASSERT_TRUE(d.ok()) << to_string(d.reason());
        EXPECT_EQ(d->pdu, pdu) << to_string(s);
        EXPECT_EQ(d->src, src);
        EXPECT_TRUE(verify_icv(*crypto, ick, d.value()));
    }
}

TEST_F(mkpdu_codec, wire_layout_of_the_header_and_basic_set) {
    auto f = encode_frame_unsigned(full_pdu(), src, pae_group_address);
    ASSERT_GT(f.size(), 60u);
    EXPECT_EQ(to_hex({f.data(), 6}), "0180c2000003");
    EXPECT_EQ(load_be16(&f[12]), 0x888E);
    EXPECT_EQ(f[14], 3); // EAPOL version
    EXPECT_EQ(f[15], 5); // EAPOL-MKA
    EXPECT_EQ(f[18], 3); // MKA version
    EXPECT_EQ(f[19], 7); // priority
    EXPECT_EQ(f[20] & 0xF0, 0x80 | 0x40 | 0x30); // KS, desired, capability 3
    EXPECT_EQ((f[20] & 0x0F) << 8 | f[21], 28 + 7);
    EXPECT_EQ(load_be32(&f[46]), 0x0080C201u); // algorithm agility
    // the ICV indicator closes the body, the ICV follows
    EXPECT_EQ(f[f.size() - 20], 255);
    EXPECT_EQ(load_be16(&f[f.size() - 18]) & 0x0FFF, 16);
    // a default-suite SAK omits the suite: 28 octets
    auto p = full_pdu(cipher_suite::gcm_aes_128);
    auto g = encode_frame_unsigned(p, src, pae_group_address);
    auto off = find_set(g, 4);
    ASSERT_NE(off, 0u);
    EXPECT_EQ((g[off + 2] & 0x0F) << 8 | g[off + 3], 28);
    EXPECT_EQ(g[off + 1], (2 << 6) | (2 << 4)); // AN 2, offset 30
}

TEST_F(mkpdu_codec, minimal_pdu_and_special_forms_round_trip) {
    mkpdu p;
    p.basic.actor_sci = {src, 9};
    p.basic.actor_mi = mi_of(1);
    p.basic.actor_mn = 1;
    const uint8_t n32[32] = {1, 2, 3};
    p.basic.ckn.assign(n32);
    p.basic.capability = macsec_capability::integrity_only;
    p.basic.macsec_desired = false;
    auto f = encode_frame_unsigned(p, src, pae_group_address);
    auto d = decode_frame(f);
    ASSERT_TRUE(d.ok()) << to_string(d.reason());
    EXPECT_EQ(d->pdu, p);
    // SAK Use with no keys, a plain Distributed SAK, an empty Announcement
    p.sak_use = sak_use{};
    p.sak_use->has_keys = false;
    p.sak_use->plain_tx = p.sak_use->plain_rx = true;
    p.distributed_sak = distributed_sak{};
    p.distributed_sak->plain = true;
    p.announcement = announcement{};
    f = encode_frame_unsigned(p, src, pae_group_address);
    d = decode_frame(f);
    ASSERT_TRUE(d.ok()) << to_string(d.reason());
    EXPECT_EQ(d->pdu, p);
}

TEST_F(mkpdu_codec, trailing_ethernet_padding_is_ignored_but_covered_icv_is_not) {
    auto f = encode_frame(full_pdu(), src, pae_group_address, *crypto, ick);
    f.resize(f.size() + 11, 0);
    auto d = decode_frame(f);
    ASSERT_TRUE(d.ok());
    EXPECT_TRUE(verify_icv(*crypto, ick, d.value()));
}

TEST_F(mkpdu_codec, any_flipped_bit_breaks_the_icv) {
    auto f = encode_frame(full_pdu(), src, pae_group_address, *crypto, ick);
    size_t decoded = 0;
    for (size_t i = 0; i < f.size(); ++i) {
        for (int bit : {0, 7}) {
            auto g = f;
            g[i] ^= static_cast<uint8_t>(1 << bit);
            auto d = decode_frame(g);
            if (!d.ok())
                continue;
            ++decoded;
            EXPECT_FALSE(verify_icv(*crypto, ick, d.value())) << "byte " << i << " bit " << bit;
        }
    }
    EXPECT_GT(decoded, f.size()); // most flips still parse: the ICV is what catches them
    // and a different ICK refuses the untouched frame
    key_secret other(bytes(32, 0xEE));
    auto d = decode_frame(f);
    ASSERT_TRUE(d.ok());
    EXPECT_FALSE(verify_icv(*crypto, other, d.value()));
}

// ---- one test per malformed class ---------------------------------------

TEST(mkpdu_malformed, framing) {
    auto f = encode_frame_unsigned(full_pdu(), src, pae_group_address);
    EXPECT_EQ(reason_of(bytes(f.begin(), f.begin() + 17)), drop_reason::frame_too_short);
    auto g = f;
    g[12] = 0x88, g[13] = 0x09;
    EXPECT_EQ(reason_of(g), drop_reason::not_eapol);
    g = f;
    g[5] = 0x02; // LLDP nearest bridge: not our group address
    EXPECT_EQ(reason_of(g), drop_reason::bad_destination);
    auto d = decode_frame(g, mac_addr{{0x01, 0x80, 0xC2, 0, 0, 0x02}});
    EXPECT_TRUE(d.ok()); // accepted when that is the configured address
    g = f;
    g[14] = 2;
    EXPECT_EQ(reason_of(g), drop_reason::bad_eapol_version);
    g = f;
    g[15] = 0; // EAP-Packet
    EXPECT_EQ(reason_of(g), drop_reason::not_mka);
    g = f;
    g.resize(g.size() - 4);
    EXPECT_EQ(reason_of(g), drop_reason::truncated);
    g = f;
    store_be16(&g[16], static_cast<uint16_t>(load_be16(&g[16]) - 2));
    EXPECT_EQ(reason_of(g), drop_reason::bad_body_length);
    g = f;
    store_be16(&g[16], 28);
    EXPECT_EQ(reason_of(g), drop_reason::bad_body_length);
}

TEST(mkpdu_malformed, basic_parameter_set) {
    auto f = encode_frame_unsigned(full_pdu(), src, pae_group_address);
    auto g = f;
    g[18] = 0;
    EXPECT_EQ(reason_of(g), drop_reason::bad_mka_version);
    g = f;
    g[20] &= 0xF0, g[21] = 28; // no CKN at all
    EXPECT_EQ(reason_of(g), drop_reason::bad_basic_length);
    g = f;
    g[20] = static_cast<uint8_t>((g[20] & 0xF0) | 0x0F), g[21] = 0xFF; // past the body
    EXPECT_EQ(reason_of(g), drop_reason::bad_basic_length);
    // a 33-octet CKN
    mkpdu p = full_pdu();
    p.live.reset(), p.potential.reset(), p.sak_use.reset(), p.distributed_sak.reset();
    const uint8_t n32[32] = {};
    p.basic.ckn.assign(n32);
    g = encode_frame_unsigned(p, src, pae_group_address);
    g[21] = 28 + 33;
    EXPECT_EQ(reason_of(g), drop_reason::bad_ckn_length);
    g = f;
    g[49] = 0x02; // algorithm agility 0x0080C202
    EXPECT_EQ(reason_of(g), drop_reason::bad_algorithm_agility);
}

TEST(mkpdu_malformed, parameter_sets) {
    const auto f = encode_frame_unsigned(full_pdu(), src, pae_group_address);
    // a set whose length runs into the ICV
    auto g = f;
    auto off = find_set(g, 8);
    ASSERT_NE(off, 0u);
    set_len(g, off, 8 + 8);
    EXPECT_EQ(reason_of(g), drop_reason::bad_param_set_length);
    // a live peer list twice
    g = f;
    off = find_set(g, 2);
    g[off] = 1;
    EXPECT_EQ(reason_of(g), drop_reason::duplicate_param_set);
    // a type no MKA version up to 3 defines
    g = f;
    off = find_set(g, 6 + 2); // the XPN set becomes type 9
    g[off] = 9;
    EXPECT_EQ(reason_of(g), drop_reason::unknown_param_set);
    g[18] = 4; // ... but from a later MKA version it is ignored
    EXPECT_TRUE(decode_frame(g).ok());
    // peer list not a multiple of 16
    g = f;
    off = find_set(g, 1);
    set_len(g, off, 20);
    EXPECT_EQ(reason_of(g), drop_reason::bad_peer_list_length);
    // SAK Use of 36 octets
    g = f;
    off = find_set(g, 3);
    set_len(g, off, 36);
    EXPECT_EQ(reason_of(g), drop_reason::bad_sak_use_length);
    // Distributed SAK: bad length, a suite that does not fit the length, an unknown suite
    g = f;
    off = find_set(g, 4);
    set_len(g, off, 44);
    EXPECT_EQ(reason_of(g), drop_reason::bad_distributed_sak);
    g = f;
    off = find_set(g, 4);
    store_be64(&g[off + 8], cipher_suite_id(cipher_suite::gcm_aes_xpn_128)); // 128-bit in 52 octets
    EXPECT_EQ(reason_of(g), drop_reason::bad_distributed_sak);
    g = f;
    off = find_set(g, 4);
    store_be64(&g[off + 8], 0x0080C20001000099ull);
    EXPECT_EQ(reason_of(g), drop_reason::bad_distributed_sak);
    // Announcement: a TLV longer than the set, a cipher suite TLV of 9 octets
    g = f;
    off = find_set(g, 7);
    store_be16(&g[off + 4], static_cast<uint16_t>(112 << 9 | 30));
    EXPECT_EQ(reason_of(g), drop_reason::bad_announcement);
    g = f;
    off = find_set(g, 7);
    store_be16(&g[off + 4], static_cast<uint16_t>(112 << 9 | 9));
    EXPECT_EQ(reason_of(g), drop_reason::bad_announcement);
    // XPN set of 4 octets (the rest becomes a bogus set)
    g = f;
    off = find_set(g, 8);
    set_len(g, off, 4);
    EXPECT_FALSE(decode_frame(g).ok());
    g = f;
    off = find_set(g, 8);
    set_len(g, off, 12);
    g.insert(g.begin() + static_cast<long>(off + 12), 4, 0);
    set_eapol_len(g);
    EXPECT_EQ(reason_of(g), drop_reason::bad_xpn_length);
    // ICV indicator with a length other than 16, and one that is not last
    g = f;
    g[g.size() - 17] = 12;
    EXPECT_EQ(reason_of(g), drop_reason::bad_icv_indicator);
    g = f;
    off = find_set(g, 8);
    g[off] = 255; // XPN set relabelled as an ICV indicator, sets follow it
    set_len(g, off, 16);
    EXPECT_EQ(reason_of(g), drop_reason::bad_icv_indicator);
}

TEST(mkpdu_malformed, every_codec_reason_has_a_name) {
    for (size_t i = 0; i < drop_reason_count; ++i)
        EXPECT_NE(to_string(static_cast<drop_reason>(i)), "?");
}

// ---- properties ---------------------------------------------------------

TEST(mkpdu_property, random_pdus_round_trip) {
    std::mt19937_64 rng(0x802'1'0);
    auto r8 = [&] { return static_cast<uint8_t>(rng()); };
    for (int iter = 0; iter < 3000; ++iter) {
        mkpdu p;
        p.basic.version = static_cast<uint8_t>(1 + rng() % 3);
        p.basic.key_server_priority = r8();
        p.basic.key_server = rng() & 1;
        p.basic.macsec_desired = rng() & 1;
        p.basic.capability = static_cast<macsec_capability>(rng() % 4);
        p.basic.actor_sci = {mac_addr{{r8(), r8(), r8(), r8(), r8(), r8()}},
                             static_cast<uint16_t>(rng())};
        for (auto& b : p.basic.actor_mi)
            b = r8();
        p.basic.actor_mn = static_cast<uint32_t>(rng());
        bytes name(1 + rng() % 32);
        for (auto& b : name)
            b = r8();
        p.basic.ckn.assign(name);
        for (auto* l : {&p.live, &p.potential}) {
            if (rng() % 3 == 0)
                continue;
            peer_list pl;
            for (size_t i = rng() % 5; i > 0; --i)
                pl.peers.push_back({mi_of(r8()), static_cast<uint32_t>(rng())});
            if (l == &p.live)
                pl.ks_ssci = r8();
            *l = pl;
        }
        if (rng() & 1) {
            sak_use u;
            u.has_keys = rng() % 4 != 0;
            u.latest_an = r8() & 3, u.old_an = r8() & 3;
            u.latest_tx = rng() & 1, u.latest_rx = rng() & 1, u.old_tx = rng() & 1,
            u.old_rx = rng() & 1, u.plain_tx = rng() & 1, u.plain_rx = rng() & 1,
            u.delay_protect = rng() & 1;
            if (u.has_keys) {
                u.latest_ki = {mi_of(r8()), static_cast<uint32_t>(rng())};
                u.old_ki = {mi_of(r8()), static_cast<uint32_t>(rng())};
                u.latest_lowest_pn = static_cast<uint32_t>(rng());
                u.old_lowest_pn = static_cast<uint32_t>(rng());
            }
            p.sak_use = u;
        }
        if (rng() & 1) {
            distributed_sak d;
            d.an = r8() & 3;
            d.offset = static_cast<confidentiality_offset>(rng() % 4);
            d.plain = rng() % 5 == 0;
            if (!d.plain) {
                d.suite = all_cipher_suites[rng() % 4];
                d.kn = static_cast<uint32_t>(rng());
                d.wrapped_len = key_length(d.suite) + 8;
                for (size_t i = 0; i < d.wrapped_len; ++i)
                    d.wrapped[i] = r8();
            }
            p.distributed_sak = d;
        }
        if (rng() & 1) {
            announcement a;
            for (size_t i = rng() % 5; i > 0; --i)
                a.cipher_suites.push_back({static_cast<uint8_t>(rng() & 3), rng()});
            p.announcement = a;
        }
        if (rng() & 1)
            p.xpn = xpn_parameter_set{r8(), static_cast<uint32_t>(rng()),
                                      static_cast<uint32_t>(rng())};
        auto f = encode_frame_unsigned(p, src, pae_group_address);
        ASSERT_FALSE(f.empty());
        auto d = decode_frame(f);
        ASSERT_TRUE(d.ok()) << iter << ": " << to_string(d.reason());
        ASSERT_EQ(d->pdu, p) << iter;
    }
}

TEST(mkpdu_property, mutated_and_truncated_frames_are_decoded_or_refused) {
    std::mt19937_64 rng(42);
    const auto base = encode_frame_unsigned(full_pdu(), src, pae_group_address);
    size_t refused = 0, accepted = 0;
    for (int iter = 0; iter < 20000; ++iter) {
        auto g = base;
        for (int k = 1 + static_cast<int>(rng() % 4); k > 0; --k)
            g[rng() % g.size()] = static_cast<uint8_t>(rng());
        if (rng() % 4 == 0)
            g.resize(rng() % (g.size() + 1));
        auto d = decode_frame(g);
        if (d.ok()) {
            ++accepted;
            // what decoded re-encodes to a frame that decodes to the same
            auto again = encode_frame_unsigned(d->pdu, src, pae_group_address);
            if (!again.empty()) {
                auto d2 = decode_frame(again);
                ASSERT_TRUE(d2.ok());
                EXPECT_EQ(d2->pdu, d->pdu);
            }
        } else {
            ++refused;
        }
    }
    EXPECT_GT(refused, 1000u);
    EXPECT_GT(accepted, 1000u);
}

} // namespace
} // namespace lag::mka
