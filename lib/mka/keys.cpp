#include "mka/keys.hpp"

#include <array>

namespace lag::mka {

bool kdf(crypto_provider& c, std::span<const uint8_t> key, std::string_view label,
         std::span<const uint8_t> context, std::span<uint8_t> out) noexcept {
    const size_t bits = out.size() * 8;
    const size_t blocks = (out.size() + cmac_len - 1) / cmac_len;
    if (blocks == 0 || blocks > 255 || bits > 0xFFFF || label.size() > 64 || context.size() > 64)
        return false;
    // i (1) || Label || 0x00 || Context || L (2)
    std::array<uint8_t, 1 + 64 + 1 + 64 + 2> msg{};
    size_t n = 0;
    msg[n++] = 0;
    for (char ch : label)
        msg[n++] = static_cast<uint8_t>(ch);
    msg[n++] = 0;
    for (uint8_t b : context)
        msg[n++] = b;
    store_be16(&msg[n], static_cast<uint16_t>(bits));
    n += 2;
    std::array<uint8_t, cmac_len> block{};
    size_t done = 0;
    bool ok = true;
    for (size_t i = 1; i <= blocks && ok; ++i) {
        msg[0] = static_cast<uint8_t>(i);
        ok = c.aes_cmac(key, {msg.data(), n}, block);
        for (size_t j = 0; ok && j < cmac_len && done < out.size(); ++j)
            out[done++] = block[j];
    }
    secure_wipe(block.data(), block.size());
    if (!ok)
        secure_wipe(out.data(), out.size());
    return ok;
}

result<derived_keys> derive_keys(crypto_provider& c, std::span<const uint8_t> cak,
                                 const ckn& name) {
    if (cak.size() != 16 && cak.size() != 32)
        return make_error("cak-length", "a CAK is 16 or 32 octets");
    if (name.len < 1 || name.len > max_ckn_len)
        return make_error("ckn-length", "a CKN is 1 to 32 octets");
    // Context: the first 16 octets of the CKN, zero padded when shorter
    // (as wpa_supplicant and Wireshark do).
    std::array<uint8_t, 16> context{};
    for (size_t i = 0; i < context.size() && i < name.len; ++i)
        context[i] = name.bytes[i];
    std::array<uint8_t, 32> buf{};
    derived_keys k;
    std::span<uint8_t> out{buf.data(), cak.size()};
    if (!kdf(c, cak, "IEEE8021 ICK", context, out))
        return make_error("kdf", "ICK derivation failed");
    k.ick.assign(out);
    if (!kdf(c, cak, "IEEE8021 KEK", context, out)) {
        secure_wipe(buf.data(), buf.size());
        return make_error("kdf", "KEK derivation failed");
    }
    k.kek.assign(out);
    secure_wipe(buf.data(), buf.size());
    return k;
}

bool compute_icv(crypto_provider& c, const key_secret& ick, std::span<const uint8_t> msg,
                 std::span<uint8_t, icv_len> out) noexcept {
    return c.aes_cmac(ick.view(), msg, out);
}

} // namespace lag::mka
