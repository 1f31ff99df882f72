#include "mka/ipsecmb_crypto.hpp"

namespace lag::mka {

result<std::unique_ptr<ipsecmb_crypto>> ipsecmb_crypto::create() {
    auto e = crypto::engine::create();
    if (!e)
        return e.err();
    return std::unique_ptr<ipsecmb_crypto>(new ipsecmb_crypto(std::move(e.value())));
}

// Key schedules are expanded per call: MKA runs a handful of operations per
// port per hello time, and the schedules are wiped as soon as they are dropped.
bool ipsecmb_crypto::aes_cmac(std::span<const uint8_t> key, std::span<const uint8_t> msg,
                              std::span<uint8_t, cmac_len> out) noexcept {
    auto k = crypto::aes_key::create(*_engine, key);
    if (!k)
        return false;
    return crypto::cmac(*_engine, *k.value(), msg, out);
}

bool ipsecmb_crypto::aes_wrap(std::span<const uint8_t> kek, std::span<const uint8_t> plain,
                              std::span<uint8_t> out) noexcept {
    auto k = crypto::aes_key::create(*_engine, kek);
    if (!k)
        return false;
    return crypto::key_wrap(*_engine, *k.value(), plain, out).ok();
}

bool ipsecmb_crypto::aes_unwrap(std::span<const uint8_t> kek, std::span<const uint8_t> wrapped,
                                std::span<uint8_t> out) noexcept {
    auto k = crypto::aes_key::create(*_engine, kek);
    if (!k)
        return false;
    return crypto::key_unwrap(*_engine, *k.value(), wrapped, out).ok();
}

bool ipsecmb_crypto::random_bytes(std::span<uint8_t> out) noexcept {
    return crypto::random_bytes(out).ok();
}

} // namespace lag::mka
