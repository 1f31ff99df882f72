#pragma once
// lib/mka internal: the four cryptographic primitives MKA needs, behind a
// small interface so the protocol logic stays pure and testable. The real
// implementation binds to lib/crypto (Intel ipsec-mb; see
// mka/ipsecmb_crypto.hpp); tests may wrap it to make random() deterministic.
// Not for direct inclusion: include "mka/mka.hpp".

#include <cstdint>
#include <span>

namespace lag::mka {

inline constexpr size_t cmac_len = 16;

class crypto_provider {
public:
    virtual ~crypto_provider() = default;

    // AES-CMAC (RFC 4493) keyed with a 16- or 32-byte key.
    virtual bool aes_cmac(std::span<const uint8_t> key, std::span<const uint8_t> msg,
                          std::span<uint8_t, cmac_len> out) noexcept = 0;
    // AES key wrap (RFC 3394). out.size() == plain.size() + 8.
    virtual bool aes_wrap(std::span<const uint8_t> kek, std::span<const uint8_t> plain,
                          std::span<uint8_t> out) noexcept = 0;
    // AES key unwrap; false (out wiped) when the integrity check fails.
    virtual bool aes_unwrap(std::span<const uint8_t> kek, std::span<const uint8_t> wrapped,
                            std::span<uint8_t> out) noexcept = 0;
    // Cryptographically strong random bytes (MIs, SAKs).
    virtual bool random_bytes(std::span<uint8_t> out) noexcept = 0;
};

} // namespace lag::mka
