// Known answers for the MKA key hierarchy, through the real crypto binding
// (lib/crypto on Intel ipsec-mb).
//
// Sources:
//  [AOSP] Android's MACsec PSK plugin VTS test,
//         hardware/interfaces/macsec/aidl/vts/functional/MacsecPskPluginTest.cpp
//         (CAK/CKN/SAK/ICV/wrapped-SAK vectors; its plugin derives KEK with
//         the CKN zero padded to 16 octets, ICK with the CKN as given, and
//         the SAK with KDF(CAK, "IEEE8021 SAK", data)).
//  [RFC3394] AES Key Wrap, sections 4.1, 4.3, 4.6.
//  [py] values computed independently with python3-cryptography's AES-CMAC
//       (tests/interop/mka/mka_check.py carries the same KDF).

#include "common/bytes.hpp"
#include "mka/ipsecmb_crypto.hpp"
#include "mka/mka.hpp"

#include <gtest/gtest.h>

namespace lag::mka {
namespace {

bytes hex(std::string_view s) { return *from_hex(s); }

class mka_kat : public ::testing::Test {
protected:
    void SetUp() override {
        auto c = ipsecmb_crypto::create();
        ASSERT_TRUE(c) << c.err().to_string();
        crypto = std::move(c.value());
    }
    std::unique_ptr<ipsecmb_crypto> crypto;
};

ckn make_ckn(std::string_view ascii) {
    ckn n;
    n.assign({reinterpret_cast<const uint8_t*>(ascii.data()), ascii.size()});
    return n;
}

struct aosp_vector {
    const char* cak;
    const char* ckn;
    const char* icv_data;
    const char* icv;
    const char* sak_data;
    const char* sak;
    const char* wrapped_sak;
    const char* kek_py; // [py] KEK with the CKN zero padded
};

const aosp_vector aosp[] = {
    {"0123456789ABCDEF0123456789ABCDEF", "1234", "31323334313234295152535451355459",
     "DF54FFCDE0A978106B7BD2BFEFD90C81", "31323334111212143132333411121214",
     "13D9EE5B268B44FB37633D41C8E70D93", "3B39AB4CD8DA2EC5D1386A139DE378D993D2A07088CBF5EC",
     "880f0494fee363ab6a9c198b44840f33"},
    {"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", "5678",
     "718213243182A42F5152534421355459", "8DF11D6EAC62C12AE8F84EB100459AAD",
     "3132333431323334313233343132333431323334313233343132333431323334",
     "3909366018072B5DF0818145CD71C6BA1D2B87C4EF79688228D02586D363FF89",
     "2f6a2229680e6e359164054a318d35ea958540c6ea55e5c56840ae4d6feb73cd4e2a43b1da494f0a",
     "9de89702775410e4fde419b3f761da2fffca4d46ea763fe8afc8bb15fab5e9b5"},
};

TEST_F(mka_kat, kdf_ick_then_icv_matches_aosp) {
    for (const auto& v : aosp) {
        auto cak = hex(v.cak);
        std::string_view name = v.ckn;
        bytes ick(cak.size());
        ASSERT_TRUE(kdf(*crypto, cak, "IEEE8021 ICK",
                        {reinterpret_cast<const uint8_t*>(name.data()), name.size()}, ick));
        std::array<uint8_t, 16> icv{};
        key_secret k(ick);
        ASSERT_TRUE(compute_icv(*crypto, k, hex(v.icv_data), icv));
        EXPECT_EQ(to_hex(icv), to_hex(hex(v.icv)));
    }
}

TEST_F(mka_kat, kdf_sak_256_bit_output_matches_aosp) {
    // Two CMAC blocks for a 256-bit output: exercises the counter.
    for (const auto& v : aosp) {
        auto cak = hex(v.cak);
        auto want = hex(v.sak);
        bytes sak(want.size());
        ASSERT_TRUE(kdf(*crypto, cak, "IEEE8021 SAK", hex(v.sak_data), sak));
        EXPECT_EQ(to_hex(sak), to_hex(want));
    }
}

TEST_F(mka_kat, kek_wraps_sak_as_aosp_and_unwraps_back) {
    for (const auto& v : aosp) {
        auto keys = derive_keys(*crypto, hex(v.cak), make_ckn(v.ckn));
        ASSERT_TRUE(keys);
        EXPECT_TRUE(keys->kek.equals(hex(v.kek_py)));
        auto sak = hex(v.sak);
        bytes wrapped(sak.size() + 8);
        ASSERT_TRUE(crypto->aes_wrap(keys->kek.view(), sak, wrapped));
        EXPECT_EQ(to_hex(wrapped), to_hex(hex(v.wrapped_sak)));
        bytes back(sak.size());
        ASSERT_TRUE(crypto->aes_unwrap(keys->kek.view(), wrapped, back));
        EXPECT_EQ(back, sak);
        wrapped[3] ^= 1;
        EXPECT_FALSE(crypto->aes_unwrap(keys->kek.view(), wrapped, back));
    }
}

TEST_F(mka_kat, derive_keys_pads_short_ckn_with_zeros) {
    // derive_keys uses CKN[0..15] zero padded (wpa_supplicant, Wireshark);
    // the explicit KDF with a padded context must agree, an unpadded one not.
    auto cak = hex(aosp[0].cak);
    auto keys = derive_keys(*crypto, cak, make_ckn("1234"));
    ASSERT_TRUE(keys);
    std::array<uint8_t, 16> ctx{'1', '2', '3', '4'};
    bytes ick(16), ick_short(16);
    ASSERT_TRUE(kdf(*crypto, cak, "IEEE8021 ICK", ctx, ick));
    ASSERT_TRUE(kdf(*crypto, cak, "IEEE8021 ICK", std::span(ctx).first(4), ick_short));
    EXPECT_TRUE(keys->ick.equals(ick));
    EXPECT_FALSE(keys->ick.equals(ick_short));
    // Only the first 16 octets of a long CKN count.
    auto a = derive_keys(*crypto, cak, make_ckn("0123456789abcdefXX"));
    auto b = derive_keys(*crypto, cak, make_ckn("0123456789abcdefYY"));
    ASSERT_TRUE(a && b);
    EXPECT_TRUE(a->ick.equals(b->ick.view()));
}

TEST_F(mka_kat, derive_keys_refuses_bad_lengths) {
    EXPECT_FALSE(derive_keys(*crypto, bytes(24, 1), make_ckn("x")));
    EXPECT_FALSE(derive_keys(*crypto, bytes(16, 1), ckn{}));
    EXPECT_EQ(derive_keys(*crypto, bytes(15, 1), make_ckn("x")).err().code, "cak-length");
}

TEST_F(mka_kat, rfc3394_vectors) {
    struct v {
        const char *kek, *data, *out;
    } vs[] = {
        {"000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF",
         "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"},
        {"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
         "00112233445566778899AABBCCDDEEFF", "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7"},
        {"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
         "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
         "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"},
    };
    for (const auto& x : vs) {
        auto kek = hex(x.kek), data = hex(x.data), want = hex(x.out);
        bytes out(data.size() + 8);
        ASSERT_TRUE(crypto->aes_wrap(kek, data, out));
        EXPECT_EQ(to_hex(out), to_hex(want));
        bytes back(data.size());
        ASSERT_TRUE(crypto->aes_unwrap(kek, want, back));
        EXPECT_EQ(back, data);
    }
}

TEST_F(mka_kat, rfc4493_cmac_through_the_provider) {
    // RFC 4493 example 2 (16-octet message).
    auto key = hex("2b7e151628aed2a6abf7158809cf4f3c");
    std::array<uint8_t, 16> mac{};
    ASSERT_TRUE(crypto->aes_cmac(key, hex("6bc1bee22e409f96e93d7e117393172a"), mac));
    EXPECT_EQ(to_hex(mac), "070a16b46b4d4144f79bdd9dd04a287c");
}

} // namespace
} // namespace lag::mka
