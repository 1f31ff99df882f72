#pragma once
// mka::crypto_provider on lib/crypto (Intel ipsec-mb AES-CMAC and AES, RFC
// 3394 key wrap, getrandom). The control core owns one per thread.

#include <memory>

#include "common/result.hpp"
#include "crypto/crypto.hpp"
#include "mka/crypto_provider.hpp"

namespace lag::mka {

class ipsecmb_crypto final : public crypto_provider {
public:
    static result<std::unique_ptr<ipsecmb_crypto>> create();

    bool aes_cmac(std::span<const uint8_t> key, std::span<const uint8_t> msg,
                  std::span<uint8_t, cmac_len> out) noexcept override;
    bool aes_wrap(std::span<const uint8_t> kek, std::span<const uint8_t> plain,
                  std::span<uint8_t> out) noexcept override;
    bool aes_unwrap(std::span<const uint8_t> kek, std::span<const uint8_t> wrapped,
                    std::span<uint8_t> out) noexcept override;
    bool random_bytes(std::span<uint8_t> out) noexcept override;

private:
    explicit ipsecmb_crypto(std::unique_ptr<crypto::engine> e) : _engine(std::move(e)) {}
    std::unique_ptr<crypto::engine> _engine;
};

} // namespace lag::mka
