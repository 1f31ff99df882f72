#pragma once
// IEEE 802.1AE-2018 Annex C test vectors (see test_ieee_8021ae.cpp for the
// source): the frame shapes, keys, secure data and ICVs of all 32 cases.
// Shared by the kat suite (lib/macsec alone) and the dp suite (through the
// worker's data path).

#include <gtest/gtest.h>

#include "common/bytes.hpp"
#include "macsec/macsec.hpp"

#include <array>
#include <string>

namespace lag::macsec::annex_c {

inline bytes hx(std::string_view s) {
    auto b = from_hex(s);
    EXPECT_TRUE(b.has_value()) << s;
    return b.value_or(bytes{});
}

// The Annex C plaintext frames: DA, SA, then 08 00 0F 10 11 ... last, then a
// two-octet sequence number.
inline bytes plain_frame(std::string_view da, std::string_view sa, uint8_t last, uint16_t seq) {
    bytes f = hx(da);
    auto s = hx(sa);
    f.insert(f.end(), s.begin(), s.end());
    f.push_back(0x08);
    f.push_back(0x00);
    for (unsigned b = 0x0F; b <= last; ++b)
        f.push_back(static_cast<uint8_t>(b));
    f.push_back(static_cast<uint8_t>(seq >> 8));
    f.push_back(static_cast<uint8_t>(seq));
    return f;
}

struct frame_shape {
    const char* name;
    const char* da;
    const char* sa;
    uint8_t last;
    uint16_t seq;
    const char* sectag; // EtherType, TCI/AN, SL, PN, [SCI], as in the vector
    sci_t sci;          // explicit, or implied by ES (source MAC, port 1)
};

inline const frame_shape c_int_54 = {"integrity 54", "d609b1f05663", "7a0d46df998d", 0x34, 0x0001,
                              "88e5222ab2c2846512153524c0895e81", 0x12153524C0895E81ull};
inline const frame_shape c_int_60 = {"integrity 60", "e20106d7cd0d", "f0761e8dcd3d", 0x3a, 0x0003,
                              "88e5400076d457ed", 0xF0761E8DCD3D0001ull};
inline const frame_shape c_int_65 = {"integrity 65", "84c5d513d2aa", "f6e5bbd27277", 0x3f, 0x0005,
                              "88e523008932d6127cfde9f9e33724c6", 0x7CFDE9F9E33724C6ull};
inline const frame_shape c_int_79 = {"integrity 79", "68f2e77696ce", "7ae8e2ca4ec5", 0x4d, 0x0007,
                              "88e541002e58495c", 0x7AE8E2CA4EC50001ull};
inline const frame_shape c_conf_54 = {"confidentiality 54", "e20106d7cd0d", "f0761e8dcd3d", 0x34, 0x0004,
                               "88e54c2a76d457ed", 0xF0761E8DCD3D0001ull};
inline const frame_shape c_conf_60 = {"confidentiality 60", "d609b1f05663", "7a0d46df998d", 0x3a, 0x0002,
                               "88e52e00b2c2846512153524c0895e81", 0x12153524C0895E81ull};
inline const frame_shape c_conf_61 = {"confidentiality 61", "84c5d513d2aa", "f6e5bbd27277", 0x3b, 0x0006,
                               "88e52f008932d6127cfde9f9e33724c6", 0x7CFDE9F9E33724C6ull};
inline const frame_shape c_conf_75 = {"confidentiality 75", "68f2e77696ce", "7ae8e2ca4ec5", 0x49, 0x0008,
                               "88e54d002e58495c", 0x7AE8E2CA4EC50001ull};

inline const char* const key_c1_128 = "ad7a2bd03eac835a6f620fdcb506b345";
inline const char* const key_c1_256 = "e3c08a8f06c6e3ad95a70557b23f75483ce33021a9c72b7025666204c69c0b72";
inline const char* const key_c2_128 = "071b113b0ca743fecccf3d051f737382";
inline const char* const key_c2_256 = "691d3ee909d7f54167fd1ca0b5d769081f2bde1aee655fdbab80bd5295ae6be7";
inline const char* const key_c3_128 = "013fe00b5f11be7f866d0cbbc55a7a90";
inline const char* const key_c3_256 = "83c093b58de7ffe1c0da926ac43fb3609ac1c80fee1b624497ef942e2f79a823";
inline const char* const key_c4_128 = "88ee087fd95da9fbf6725aa9d757b0cd";
inline const char* const key_c4_256 = "4c973dbc7364621674f8b5b89e5c15511fced9216490fb1c1a2caa0ffe0407e5";

struct vector {
    const frame_shape* shape;
    cipher_suite suite;
    const char* key;
    const char* secure_data; // nullptr: integrity only (the plaintext)
    const char* icv;
};

using cs = cipher_suite;
inline const vector vectors[] = {
    // Integrity only.
    {&c_int_54, cs::gcm_aes_128, key_c1_128, nullptr, "f09478a9b09007d06f46e9b6a1da25dd"},
    {&c_int_54, cs::gcm_aes_256, key_c1_256, nullptr, "2f0bc5af409e06d609ea8b7d0fa5ea50"},
    {&c_int_54, cs::gcm_aes_xpn_128, key_c1_128, nullptr, "17fe1981ebdd4afc5062697e8baa0c23"},
    {&c_int_54, cs::gcm_aes_xpn_256, key_c1_256, nullptr, "4dbd2f6a754a6cf728cc129ba6931577"},
    {&c_int_60, cs::gcm_aes_128, key_c2_128, nullptr, "0c017bc73b227dfcc9bafa1c41acc353"},
    {&c_int_60, cs::gcm_aes_256, key_c2_256, nullptr, "35217c774bbc31b63166bcf9d4abed07"},
    {&c_int_60, cs::gcm_aes_xpn_128, key_c2_128, nullptr, "abc40685a3cf911d3787e49db6a7265e"},
    {&c_int_60, cs::gcm_aes_xpn_256, key_c2_256, nullptr, "ac21957b8312ab3c99ab46849879c3f3"},
    {&c_int_65, cs::gcm_aes_128, key_c3_128, nullptr, "217867e50c2dad74c28c3b50abdf695a"},
    {&c_int_65, cs::gcm_aes_256, key_c3_256, nullptr, "6ee160e8faeca4b36c86b234920ca975"},
    {&c_int_65, cs::gcm_aes_xpn_128, key_c3_128, nullptr, "678559b7e52db00682e3b83034cebe59"},
    {&c_int_65, cs::gcm_aes_xpn_256, key_c3_256, nullptr, "84bac8e53d1ea355a5c7d334840ae962"},
    {&c_int_79, cs::gcm_aes_128, key_c4_128, nullptr, "07922b8ebcf10bb2297588ca4c614523"},
    {&c_int_79, cs::gcm_aes_256, key_c4_256, nullptr, "00bda1b7e87608bcbf470f12157f4c07"},
    {&c_int_79, cs::gcm_aes_xpn_128, key_c4_128, nullptr, "d0dc896dc83798a79f3c5a95ba3cdf9a"},
    {&c_int_79, cs::gcm_aes_xpn_256, key_c4_256, nullptr, "04249a208a65b96b3f3263004cfd867d"},
    // Confidentiality (offset 0).
    {&c_conf_54, cs::gcm_aes_128, key_c2_128,
     "13b4c72b389dc5018e72a171dd85a5d3752274d3a019fbcaed09a425cd9b2e1c9b72eee7c9de7d52b3f3",
     "d6a5284f4a6d3fe22a5d6c2b960494c3"},
    {&c_conf_54, cs::gcm_aes_256, key_c2_256,
     "c1623f55730c93533097addad25664966125352b43adacbd61c5ef3ac90b5bee929ce4630ea79f6ce519",
     "12af39c2d1fdc2051f8b7b3c9d397ef2"},
    {&c_conf_54, cs::gcm_aes_xpn_128, key_c2_128,
     "9ca46984430203ed416ebdc2fe2622ba3e5eab6961c36383009e187e9b0c88564653b9abd216441c6ab6",
     "f0a232e9e44c978cf7cd84d43484d101"},
    {&c_conf_54, cs::gcm_aes_xpn_256, key_c2_256,
     "88d9f7d1f1578ee34ba7b1abc89893ef1d3398c9f1dd3e47fbd8553e0ff786ef5699eb01ea10420d0ebd",
     "39a0e273c4c7f95ed843207d7a497dfa"},
    {&c_conf_60, cs::gcm_aes_128, key_c1_128,
     "701afa1cc039c0d765128a665dab69243899bf7318ccdc81c9931da17fbe8edd7d17cb8b4c26fc81e3284f2b7fba713d",
     "4f8d55e7d3f06fd5a13c0c29b9d5b880"},
    {&c_conf_60, cs::gcm_aes_256, key_c1_256,
     "e2006eb42f5277022d9b19925bc419d7a592666c925fe2ef718eb4e308efeaa7c5273b394118860a5be2a97f56ab7836",
     "5ca597cdbb3edb8d1a1151ea0af7b436"},
    {&c_conf_60, cs::gcm_aes_xpn_128, key_c1_128,
     "0712d980ca50bbed35a0fa566338729ffa16d19ffcf07b3a1e7919b3776aacec8a5937208b483a7691984d380792e07f",
     "c2c3c79f263fa6bff8e7581e2ce45af8"},
    {&c_conf_60, cs::gcm_aes_xpn_256, key_c1_256,
     "3eb04a4bbf54c6eb1222a9aea00c38687f6c3520d976a3b694800650ce6585e620a4191917d2a605d870c78d2752ce49",
     "3b442ac0c816d7abd70ad65c25d46413"},
    {&c_conf_61, cs::gcm_aes_128, key_c3_128,
     "3a4de6fa32191014dbb303d92ee3a9e8a1b599c14d22fb080096e13811816a3c9c9bcf7c1b9b96da809204e29d0e2a7642",
     "bfd310a4837c816ccfa5ac23ab003988"},
    {&c_conf_61, cs::gcm_aes_256, key_c3_256,
     "110222ff8050cbece66a813ad09a73ed7a9a089c106b959389168ed6e8698ea902eb1277dbec2e68e473155a15a7daeed4",
     "a10f4e05139c23df00b3aadc71f0596a"},
    {&c_conf_61, cs::gcm_aes_xpn_128, key_c3_128,
     "14c17693bc8297ee6c47c565cbe0679e80f00fcaf592c9aa0473928e7f2f216ff5a033dec7513f45d34cbb981c5bd64e8b",
     "d84b8e2a78e74dafeaa03846fe930c0e"},
    {&c_conf_61, cs::gcm_aes_xpn_256, key_c3_256,
     "0996e0c9a55774e0a792304e7dc150bd67fd747dd1b9419594bf373d4ace8f87f5c1349afac491aa0a40d3199087b29fdf",
     "802f050e691f11a2d9b358f6994184f5"},
    {&c_conf_75, cs::gcm_aes_128, key_c4_128,
     "c31f53d99e5687f7365119b832d2aae70741d593f1f9e2ab3455779b078eb8feacdfec1f8e3e5277f8180b43361f6512"
     "adb16d2e38548a2c719dba7228d840",
     "88f8757adb8aa788d8f65ad668be70e7"},
    {&c_conf_75, cs::gcm_aes_256, key_c4_256,
     "ba8ae31bc506486d6873e4fce460e7dc57591ff00611f31c3834fe1c04ad80b66803afcf5b27e6333fa67c99da47c2f0"
     "ced68d531bd741a943cff7a6713bd0",
     "2611cd7daa01d61c5c886dc1a8170107"},
    {&c_conf_75, cs::gcm_aes_xpn_128, key_c4_128,
     "eaecc6af6512fc8b6c8c43bc55b190b2626d07d3d218faf5daa7d8f800a57331eb43b5a17a37e5b1d60d275ccaf7acd7"
     "04cc9ace2bf8bc8b9b23b9adf02f87",
     "346b96d1136a754df0a6cde126c107f8"},
    {&c_conf_75, cs::gcm_aes_xpn_256, key_c4_256,
     "b0fea36318b9b36466c46e9e1bda1a266858196e7e70d882ae70475668cde4ec883f6ac2369f284bed1fe32f42092fdf"
     "f5868a3c64e5615192a7a3760b34bc",
     "85692cd815b664711aef911df78d7f46"},
};

constexpr uint32_t xpn_ssci = 0x7A30C118;
constexpr uint64_t xpn_pn_high = 0xB0DF459Cull << 32;
inline const std::array<uint8_t, 12> xpn_salt = {0xE6, 0x30, 0xE8, 0x1A, 0x48, 0xDE,
                                          0x86, 0xA2, 0x1C, 0x66, 0xFA, 0x6D};

inline std::string case_name(const vector& v) {
    return std::string(v.shape->name) + " " + std::string(to_string(v.suite));
}


} // namespace lag::macsec::annex_c
