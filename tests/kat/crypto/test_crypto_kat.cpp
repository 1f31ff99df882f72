// Known-answer tests of lib/crypto.
//   AES-CMAC-128: RFC 4493 section 4, examples 1-4.
//   AES-CMAC-256: NIST SP 800-38B, appendix D.3 (the same messages).
//   AES key wrap: RFC 3394 sections 4.1 (128-bit KEK, 128-bit key) and 4.6
//                 (256-bit KEK, 256-bit key).
//   AES-GCM: "The Galois/Counter Mode of Operation (GCM)", McGrew & Viega,
//            test cases 2, 4 (128-bit key) and 16 (256-bit key) — the same
//            cases ipsec-mb's test/kat-app/gcm_test.json.c carries.
// The IEEE 802.1AE MACsec vectors run through the whole data path in
// tests/kat/macsec.

#include <gtest/gtest.h>

#include <array>

#include "common/bytes.hpp"
#include "crypto/crypto.hpp"

using namespace lag;
using namespace lag::crypto;

namespace {

bytes hx(std::string_view s) {
    auto b = from_hex(s);
    EXPECT_TRUE(b.has_value()) << s;
    return b.value_or(bytes{});
}

struct fixture : ::testing::Test {
    void SetUp() override {
        auto r = engine::create();
        ASSERT_TRUE(r.ok()) << r.err().to_string();
        eng = std::move(r.value());
    }
    std::unique_ptr<engine> eng;
};

const char* const cmac_msg =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

struct cmac_case {
    const char* key;
    size_t len;
    const char* mac;
};

const cmac_case cmac_cases[] = {
    {"2b7e151628aed2a6abf7158809cf4f3c", 0, "bb1d6929e95937287fa37d129b756746"},
    {"2b7e151628aed2a6abf7158809cf4f3c", 16, "070a16b46b4d4144f79bdd9dd04a287c"},
    {"2b7e151628aed2a6abf7158809cf4f3c", 40, "dfa66747de9ae63030ca32611497c827"},
    {"2b7e151628aed2a6abf7158809cf4f3c", 64, "51f0bebf7e3b9d92fc49741779363cfe"},
    {"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", 0,
     "028962f61b7bf89efc6b551f4667d983"},
    {"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", 16,
     "28a7023f452e8f82bd4bf28d8c37c35c"},
    {"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", 40,
     "aaf3d8f1de5640c232f5b169b9c911e6"},
    {"603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", 64,
     "e1992190549f6ed5696a2c056c315410"},
};

} // namespace

TEST_F(fixture, cmac_rfc4493_and_sp800_38b) {
    const bytes msg = hx(cmac_msg);
    for (const auto& c : cmac_cases) {
        auto k = aes_key::create(*eng, hx(c.key));
        ASSERT_TRUE(k.ok());
        std::array<uint8_t, 16> out{};
        ASSERT_TRUE(cmac(*eng, **k, {msg.data(), c.len}, out));
        EXPECT_EQ(to_hex(out), c.mac) << "key bits " << hx(c.key).size() * 8 << " len " << c.len;
    }
}

TEST_F(fixture, key_wrap_rfc3394) {
    struct kw {
        const char* kek;
        const char* plain;
        const char* wrapped;
    } cases[] = {
        {"000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
         "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"},
        {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
         "00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f",
         "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21"},
    };
    for (const auto& c : cases) {
        auto k = aes_key::create(*eng, hx(c.kek));
        ASSERT_TRUE(k.ok());
        const bytes plain = hx(c.plain);
        bytes out(plain.size() + 8);
        ASSERT_TRUE(key_wrap(*eng, **k, plain, out).ok());
        EXPECT_EQ(to_hex(out), c.wrapped);
        bytes back(plain.size());
        ASSERT_TRUE(key_unwrap(*eng, **k, out, back).ok());
        EXPECT_EQ(back, plain);
        // Any flipped bit fails the integrity check and leaves nothing behind.
        for (size_t i = 0; i < out.size(); i += 7) {
            bytes bad = out;
            bad[i] ^= 0x01;
            bytes o(plain.size(), 0xAA);
            auto r = key_unwrap(*eng, **k, bad, o);
            ASSERT_FALSE(r.ok());
            EXPECT_EQ(r.err().code, "key-unwrap-integrity");
            EXPECT_EQ(o, bytes(plain.size(), 0));
        }
    }
}

TEST_F(fixture, key_wrap_rejects_bad_lengths) {
    auto k = aes_key::create(*eng, hx("000102030405060708090a0b0c0d0e0f"));
    ASSERT_TRUE(k.ok());
    bytes p(12), o(20);
    EXPECT_FALSE(key_wrap(*eng, **k, p, o).ok());
    bytes w(16), o2(8);
    EXPECT_FALSE(key_unwrap(*eng, **k, w, o2).ok());
    EXPECT_FALSE(aes_key::create(*eng, bytes(24)).ok());
    EXPECT_FALSE(gcm_key::create(*eng, bytes(15)).ok());
}

TEST_F(fixture, gcm_mcgrew_viega) {
    struct gc {
        const char* key;
        const char* iv;
        const char* aad;
        const char* pt;
        const char* ct;
        const char* tag;
    } cases[] = {
        {"00000000000000000000000000000000", "000000000000000000000000", "",
         "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
         "ab6e47d42cec13bdf53a67b21257bddf"},
        {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
         "feedfacedeadbeeffeedfacedeadbeefabaddad2",
         "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
         "49a6b525b16aedf5aa0de657ba637b39",
         "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5a"
         "ac84aa051ba30b396a0aac973d58e091",
         "5bc94fbc3221a5db94fae95ae7121a47"},
        {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
         "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
         "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
         "49a6b525b16aedf5aa0de657ba637b39",
         "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10"
         "56828838c5f61e6393ba7a0abcc9f662",
         "76fc6ece0f4e1768cddf8853bb2d551b"},
    };
    for (const auto& c : cases) {
        auto k = gcm_key::create(*eng, hx(c.key));
        ASSERT_TRUE(k.ok());
        const bytes iv = hx(c.iv), aad = hx(c.aad), pt = hx(c.pt);
        bytes buf = pt;
        std::array<uint8_t, 16> tag{};
        gcm_op op;
        op.key = k->get();
        op.iv = iv.data();
        op.aad = aad.data();
        op.aad_len = aad.size();
        op.src = buf.data();
        op.dst = buf.data();
        op.len = buf.size();
        op.tag = tag.data();
        ASSERT_TRUE(gcm_seal(*eng, op));
        EXPECT_EQ(to_hex(buf), c.ct);
        EXPECT_EQ(to_hex(tag), c.tag);
        ASSERT_TRUE(gcm_open(*eng, op));
        EXPECT_EQ(buf, pt);
        tag[3] ^= 0x80;
        EXPECT_FALSE(gcm_open(*eng, op));
    }
}

TEST_F(fixture, gcm_burst_matches_single_calls) {
    // 40 frames of growing size and alternating keys, sealed as one burst,
    // must equal the same operations one at a time; then opened as a burst
    // with every 5th tag broken.
    auto k128 = gcm_key::create(*eng, hx("ad7a2bd03eac835a6f620fdcb506b345"));
    auto k256 = gcm_key::create(*eng, hx("e3c08a8f06c6e3ad95a70557b23f75483ce33021a9c72b7025666204c69c0b72"));
    ASSERT_TRUE(k128.ok() && k256.ok());
    constexpr size_t n = 40;
    std::vector<bytes> a(n), b(n), iv(n), aad(n);
    std::vector<std::array<uint8_t, 16>> ta(n), tb(n);
    std::vector<gcm_op> ops(n);
    for (size_t i = 0; i < n; ++i) {
        a[i].resize(i * 37);
        for (size_t j = 0; j < a[i].size(); ++j)
            a[i][j] = static_cast<uint8_t>(i * 7 + j);
        b[i] = a[i];
        iv[i] = bytes(12, static_cast<uint8_t>(i));
        aad[i] = bytes(i % 20, static_cast<uint8_t>(0x55 + i));
        gcm_op single;
        single.key = (i % 2) ? k256->get() : k128->get();
        single.iv = iv[i].data();
        single.aad = aad[i].data();
        single.aad_len = aad[i].size();
        single.src = single.dst = b[i].data();
        single.len = b[i].size();
        single.tag = tb[i].data();
        ASSERT_TRUE(gcm_seal(*eng, single));
        ops[i] = single;
        ops[i].src = ops[i].dst = a[i].data();
        ops[i].tag = ta[i].data();
    }
    EXPECT_EQ(gcm_seal_burst(*eng, ops), n);
    for (size_t i = 0; i < n; ++i) {
        EXPECT_EQ(a[i], b[i]) << i;
        EXPECT_EQ(ta[i], tb[i]) << i;
    }
    for (size_t i = 0; i < n; i += 5)
        ta[i][0] ^= 1;
    EXPECT_EQ(gcm_open_burst(*eng, ops), n - n / 5);
    for (size_t i = 0; i < n; ++i)
        EXPECT_EQ(ops[i].ok, i % 5 != 0) << i;
}

TEST(crypto_rng, random_bytes_fills_and_differs) {
    std::array<uint8_t, 32> a{}, b{};
    ASSERT_TRUE(random_bytes(a).ok());
    ASSERT_TRUE(random_bytes(b).ok());
    EXPECT_NE(a, b); // 2^-256 chance of a false failure
    EXPECT_NE(a, (std::array<uint8_t, 32>{}));
}

// The tag compare: equal buffers compare equal, and a difference in any one
// bit of any octet is seen, for lengths around the 8-octet steps.
TEST(crypto_equal_ct, sees_every_octet) {
    for (size_t n = 0; n <= 33; ++n) {
        std::vector<uint8_t> a(n), b(n);
        for (size_t i = 0; i < n; ++i)
            a[i] = b[i] = static_cast<uint8_t>(0x5A + 7 * i);
        EXPECT_TRUE(lag::crypto::equal_ct(a.data(), b.data(), n)) << n;
        for (size_t i = 0; i < n; ++i)
            for (uint8_t bit = 1; bit != 0; bit = static_cast<uint8_t>(bit << 1)) {
                b[i] ^= bit;
                EXPECT_FALSE(lag::crypto::equal_ct(a.data(), b.data(), n)) << n << " " << i;
                b[i] ^= bit;
            }
    }
}
