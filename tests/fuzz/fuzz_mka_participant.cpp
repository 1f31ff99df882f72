// Fuzz target: the MKA participant behind the ICV (lib/mka). The harness
// holds the CAK, so it signs every mutated MKPDU: the ICV passes and the
// state machine (peer lists, key server election, SAK distribution and use)
// is what gets fuzzed, not the CMAC check.
//
// Input: records [op: 1][len: 2, big-endian][len octets]. op & 3 == 0: the
// clock advances (op >> 2) * 100 ms and the participant ticks; otherwise the
// octets are an unsigned MKPDU frame (DA .. last parameter set): the EAPOL
// body length is set to fit, the ICV appended, and it is received.
//
// Properties: what the participant sends decodes and carries a valid ICV;
// its peer table stays within max_peers; it never installs an SA for an AN
// above 3. Randomness is seeded the same for every input, so a crash replays.
#include "mka/ipsecmb_crypto.hpp"
#include "mka/keys.hpp"
#include "mka/mka.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace {

using namespace lag;
using namespace lag::mka;

void check(bool ok) {
    if (!ok)
        std::abort();
}

// ipsec-mb for the crypto, a fixed-seed generator for the randomness.
class seeded_crypto final : public crypto_provider {
public:
    explicit seeded_crypto(std::unique_ptr<ipsecmb_crypto> c) : _c(std::move(c)) {}
    void reseed(uint64_t s) { _s = s; }
    bool aes_cmac(std::span<const uint8_t> key, std::span<const uint8_t> msg,
                  std::span<uint8_t, cmac_len> out) noexcept override {
        return _c->aes_cmac(key, msg, out);
    }
    bool aes_wrap(std::span<const uint8_t> kek, std::span<const uint8_t> plain,
                  std::span<uint8_t> out) noexcept override {
        return _c->aes_wrap(kek, plain, out);
    }
    bool aes_unwrap(std::span<const uint8_t> kek, std::span<const uint8_t> wrapped,
                    std::span<uint8_t> out) noexcept override {
        return _c->aes_unwrap(kek, wrapped, out);
    }
    bool random_bytes(std::span<uint8_t> out) noexcept override {
        for (auto& b : out) {
            _s += 0x9E3779B97F4A7C15ull; // splitmix64
            uint64_t z = _s;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            b = static_cast<uint8_t>(z ^ (z >> 31));
        }
        return true;
    }

private:
    std::unique_ptr<ipsecmb_crypto> _c;
    uint64_t _s = 0;
};

constexpr uint8_t cak_bytes[32] = {0x13, 0x5b, 0xd7, 0x58, 0xb0, 0xee, 0x5c, 0x11, 0xc5, 0x5f, 0xf6,
                                   0xab, 0x19, 0xfd, 0xb1, 0x99, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                                   0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
constexpr uint8_t ckn_bytes[16] = {0x96, 0x43, 0x7a, 0x93, 0xcc, 0xf1, 0x0d, 0x9d,
                                   0xfe, 0x34, 0x78, 0x46, 0xcc, 0xe5, 0x2c, 0x7d};

struct harness {
    std::unique_ptr<seeded_crypto> crypto;
    key_secret ick;
    participant_config cfg;

    harness() {
        auto c = ipsecmb_crypto::create();
        check(c.ok());
        crypto = std::make_unique<seeded_crypto>(std::move(*c));
        ckn name;
        check(name.assign(ckn_bytes));
        auto k = derive_keys(*crypto, cak_bytes, name);
        check(k.ok());
        ick = k->ick;
        cfg.mac = *mac_addr::parse("02:00:00:00:0a:01");
        cfg.ckn.assign(std::begin(ckn_bytes), std::end(ckn_bytes));
        cfg.cak.assign(cak_bytes);
        cfg.key_server_priority = 16;
        cfg.cipher_suites = {cipher_suite::gcm_aes_256, cipher_suite::gcm_aes_xpn_256, cipher_suite::gcm_aes_128};
        cfg.max_peers = 4;
    }

    // The unsigned frame `u` (DA .. parameter sets), its EAPOL length fixed
    // and its ICV appended.
    std::vector<uint8_t> sign(std::span<const uint8_t> u) {
        std::vector<uint8_t> f(u.begin(), u.end());
        if (f.size() >= 18) {
            const size_t body = f.size() - 18 + icv_len;
            f[16] = static_cast<uint8_t>(body >> 8);
            f[17] = static_cast<uint8_t>(body);
        }
        std::array<uint8_t, icv_len> icv{};
        check(compute_icv(*crypto, ick, f, icv));
        f.insert(f.end(), icv.begin(), icv.end());
        return f;
    }

    void check_actions(const actions& a) {
        for (const auto& x : a.list) {
            if (auto* s = std::get_if<send_mkpdu>(&x)) {
                auto d = decode_frame(s->frame);
                check(d.ok());
                check(verify_icv(*crypto, ick, d.value()));
            } else if (auto* r = std::get_if<install_rx_sa>(&x)) {
                check(r->key.an <= 3);
            } else if (auto* t = std::get_if<install_tx_sa>(&x)) {
                check(t->key.an <= 3 && t->next_pn >= 1);
            }
        }
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static harness h;
    h.crypto->reseed(0x5eed);
    time_point now{};
    auto p = participant::create(h.cfg, *h.crypto, now);
    check(p.ok());
    participant& us = *p;
    h.check_actions(us.tick(now));
    size_t at = 0;
    while (at + 3 <= size) {
        const uint8_t op = data[at];
        const size_t len = std::min<size_t>(size_t(data[at + 1]) << 8 | data[at + 2], size - at - 3);
        std::span<const uint8_t> rec(data + at + 3, len);
        at += 3 + len;
        if ((op & 3) == 0) {
            now += std::chrono::milliseconds(100) * (op >> 2);
            h.check_actions(us.tick(now));
        } else {
            auto f = h.sign(rec);
            // An exact-size copy, so that ASan sees any read past the end.
            std::unique_ptr<uint8_t[]> buf(new uint8_t[f.size()]);
            std::memcpy(buf.get(), f.data(), f.size());
            h.check_actions(us.on_mkpdu({buf.get(), f.size()}, now));
        }
        check(us.peers().size() <= h.cfg.max_peers);
    }
    return 0;
}
