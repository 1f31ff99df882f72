// SecTAG codec: round trips over every valid TCI, and every malformed class.

#include <gtest/gtest.h>

#include <random>

#include "macsec/macsec.hpp"

using namespace lag;
using namespace lag::macsec;

namespace {

// DA, SA, SecTAG, secure_len octets of data, ICV, then `pad` octets.
bytes build(const sectag& t, size_t secure_len, size_t pad = 0) {
    bytes f(12, 0x11);
    f.resize(12 + t.size());
    write_sectag(f.data() + 12, t);
    for (size_t i = 0; i < secure_len + icv_len + pad; ++i)
        f.push_back(static_cast<uint8_t>(i));
    return f;
}

sectag_error parse(const bytes& f, parsed_frame* out = nullptr) {
    parsed_frame pf;
    auto e = parse_frame(f, pf);
    if (out)
        *out = pf;
    return e;
}

sectag basic() {
    sectag t;
    t.sc = true;
    t.e = t.c = true;
    t.an = 2;
    t.pn = 0x01020304;
    t.sci = 0x0011223344550001ull;
    return t;
}

} // namespace

TEST(sectag, round_trip_every_valid_tci) {
    std::mt19937_64 rng(7);
    int n = 0;
    for (unsigned bits = 0; bits < 32; ++bits)
        for (uint8_t an = 0; an < 4; ++an)
            for (size_t secure_len : {1u, 2u, 30u, 47u, 48u, 49u, 100u, 1500u}) {
                sectag t;
                t.es = bits & 1;
                t.sc = bits & 2;
                t.scb = bits & 4;
                t.e = bits & 8;
                t.c = bits & 16;
                if ((t.es && t.sc) || (t.scb && t.sc) || (t.e && !t.c))
                    continue;
                t.an = an;
                t.pn = static_cast<uint32_t>(rng());
                t.sci = t.sc ? rng() : 0;
                t.sl = static_cast<uint8_t>(secure_len < 48 ? secure_len : 0);
                for (size_t pad : {0u, 3u}) {
                    if (pad != 0 && t.sl == 0)
                        continue; // padding is only recognisable with SL
                    bytes f = build(t, secure_len, pad);
                    parsed_frame pf;
                    ASSERT_EQ(parse(f, &pf), sectag_error::none) << bits << " " << secure_len;
                    EXPECT_EQ(pf.tag, t);
                    EXPECT_EQ(pf.secure_len, secure_len);
                    EXPECT_EQ(f[14], t.tci_an());
                    ++n;
                }
            }
    EXPECT_GT(n, 100);
}

TEST(sectag, published_tci_octets_decode) {
    // TCI/AN octets of the IEEE 802.1AE Annex C frames.
    struct c {
        uint8_t octet;
        bool es, sc, e, c;
        uint8_t an;
    } cases[] = {{0x22, false, true, false, false, 2}, {0x40, true, false, false, false, 0},
                 {0x23, false, true, false, false, 3}, {0x41, true, false, false, false, 1},
                 {0x4C, true, false, true, true, 0},   {0x2E, false, true, true, true, 2},
                 {0x2F, false, true, true, true, 3},   {0x4D, true, false, true, true, 1}};
    for (auto x : cases) {
        sectag t;
        t.es = x.es;
        t.sc = x.sc;
        t.e = x.e;
        t.c = x.c;
        t.an = x.an;
        EXPECT_EQ(t.tci_an(), x.octet);
    }
}

TEST(sectag, malformed_classes) {
    parsed_frame pf;
    // Fewer than DA + SA + EtherType.
    EXPECT_EQ(parse(bytes(13, 0)), sectag_error::too_short);
    // Another EtherType.
    bytes ip(60, 0);
    ip[12] = 0x08;
    EXPECT_EQ(parse(ip), sectag_error::not_macsec);
    // MACsec EtherType but the fixed SecTAG octets cut off.
    {
        bytes f = build(basic(), 60);
        f.resize(19);
        EXPECT_EQ(parse(f), sectag_error::too_short);
    }
    auto with_tci = [](uint8_t tci_octet) {
        sectag t = basic();
        t.sc = false;
        bytes f = build(t, 60);
        f[14] = tci_octet;
        return f;
    };
    EXPECT_EQ(parse(with_tci(0x80 | 0x0C)), sectag_error::version);
    {
        bytes f = build(basic(), 60);
        f[14] |= tci::es;
        EXPECT_EQ(parse(f), sectag_error::es_and_sc);
    }
    {
        bytes f = build(basic(), 60);
        f[14] |= tci::scb;
        EXPECT_EQ(parse(f), sectag_error::scb_and_sc);
    }
    EXPECT_EQ(parse(with_tci(tci::e)), sectag_error::e_without_c);
    {
        bytes f = build(basic(), 60);
        f[15] = 0x40;
        EXPECT_EQ(parse(f), sectag_error::reserved_sl_bits);
        f[15] = 0x80;
        EXPECT_EQ(parse(f), sectag_error::reserved_sl_bits);
    }
    {
        bytes f = build(basic(), 60);
        f.resize(12 + 12); // inside the SCI
        EXPECT_EQ(parse(f), sectag_error::no_room_for_sci);
    }
    {
        bytes f = build(basic(), 60);
        f.resize(12 + 16 + icv_len); // no secure data at all
        EXPECT_EQ(parse(f), sectag_error::no_room_for_icv);
    }
    {
        sectag t = basic();
        t.sl = 20;
        bytes f = build(t, 10); // SL says 20, only 10 there
        EXPECT_EQ(parse(f), sectag_error::short_length);
        t.sl = 50; // not a short length at all
        bytes g = build(t, 60);
        EXPECT_EQ(parse(g), sectag_error::short_length);
    }
    {
        sectag t = basic();
        t.sl = 0;
        bytes f = build(t, 47); // short but SL clear
        EXPECT_EQ(parse(f, &pf), sectag_error::long_without_sl);
    }
}

TEST(sectag, random_input_never_reads_past_the_view) {
    // Every input yields a verdict; an accepted one is self-consistent.
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int> len(0, 120), byte(0, 255);
    size_t ok = 0;
    for (int i = 0; i < 200000; ++i) {
        bytes f(static_cast<size_t>(len(rng)));
        for (auto& b : f)
            b = static_cast<uint8_t>(byte(rng));
        if (f.size() >= 14 && (i % 2) == 0) {
            f[12] = 0x88;
            f[13] = 0xE5;
        }
        parsed_frame pf;
        if (parse_frame(f, pf) == sectag_error::none) {
            ++ok;
            ASSERT_LE(12 + pf.tag.size() + pf.secure_len + icv_len, f.size());
            ASSERT_GE(pf.secure_len, 1u);
        }
    }
    EXPECT_GT(ok, 0u);
}

TEST(sectag, sci_from_mac_and_port) {
    auto m = mac_addr::parse("f0:76:1e:8d:cd:3d");
    ASSERT_TRUE(m);
    EXPECT_EQ(make_sci(*m, 1), 0xF0761E8DCD3D0001ull);
}
