#pragma once
// lib/mka internal: the MKA key hierarchy (802.1X-2020 6.2.1, 9.3).
//   KDF(K, Label, Context, L) = AES-CMAC(K, i || Label || 0x00 || Context || L)
//   for i = 1..ceil(L/128), concatenated and truncated to L bits.
//   ICK = KDF(CAK, "IEEE8021 ICK", CKN[0..15] (zero padded), |CAK|)
//   KEK = KDF(CAK, "IEEE8021 KEK", CKN[0..15] (zero padded), |CAK|)
// Not for direct inclusion: include "mka/mka.hpp".

#include <cstdint>
#include <span>
#include <string_view>

#include "common/result.hpp"
#include "common/secret.hpp"
#include "mka/crypto_provider.hpp"
#include "mka/types.hpp"

namespace lag::mka {

using key_secret = secret<32>;

// out.size() bytes of KDF output (at most 255 CMAC blocks). The length field
// is out.size() * 8 bits.
bool kdf(crypto_provider& c, std::span<const uint8_t> key, std::string_view label,
         std::span<const uint8_t> context, std::span<uint8_t> out) noexcept;

struct derived_keys {
    key_secret ick;
    key_secret kek;
};

// Validates the CAK (16 or 32 bytes) and CKN (1..32 bytes) and derives ICK and
// KEK of the CAK's length.
result<derived_keys> derive_keys(crypto_provider& c, std::span<const uint8_t> cak,
                                 const ckn& name);

// ICV = AES-CMAC(ICK, msg): msg is DA, SA, EtherType and the EAPOL PDU up to
// the ICV (9.4.1, 11.11.2).
bool compute_icv(crypto_provider& c, const key_secret& ick, std::span<const uint8_t> msg,
                 std::span<uint8_t, icv_len> out) noexcept;

} // namespace lag::mka
