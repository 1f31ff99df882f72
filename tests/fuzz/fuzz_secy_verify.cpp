// Fuzz target: a SecY's verify (lib/macsec) on arbitrary received frames,
// with receive SAs at every AN, and on frames the harness protects itself
// (so that verification passes the ICV and reaches replay, decryption and
// delivery). A fresh SecY per input: replay state does not leak between
// inputs, so a crash replays.
//
// Input: [mode: 1 octet][frame]. mode bits 0-1: cipher suite; bit 2: SCI in
// the SecTAG; bit 3: offset 30; bit 7: protect the frame first (then verify
// must deliver it back, byte for byte, unless it is too short to protect).
// Properties: verify never crashes or reads past the frame; what it delivers
// lies inside the buffer; a protected frame round-trips.
#include "macsec/macsec.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace {

using namespace lag;

void check(bool ok) {
    if (!ok)
        std::abort();
}

constexpr macsec::sci_t our_sci = 0x0200000000010001ull;
constexpr macsec::sci_t peer_sci = 0x0200000000020001ull;
constexpr cipher_suite suites[] = {cipher_suite::gcm_aes_128, cipher_suite::gcm_aes_256,
                                   cipher_suite::gcm_aes_xpn_128, cipher_suite::gcm_aes_xpn_256};

macsec::sa_params params(cipher_suite s, uint8_t an) {
    macsec::sa_params p;
    p.suite = s;
    std::vector<uint8_t> k(key_length(s));
    for (size_t i = 0; i < k.size(); ++i)
        k[i] = static_cast<uint8_t>(0x40 + an + i);
    p.key.assign(k);
    p.ssci = 2;
    for (size_t i = 0; i < 12; ++i)
        p.salt[i] = static_cast<uint8_t>(0xA0 + i);
    p.next_pn = 1;
    return p;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static auto eng = [] {
        auto e = crypto::engine::create();
        check(e.ok());
        return std::move(*e);
    }();
    if (size == 0)
        return 0;
    const uint8_t mode = data[0];
    const cipher_suite suite = suites[mode & 3];
    macsec::secy_config cfg;
    cfg.sci = our_sci;
    cfg.suite = suite;
    cfg.include_sci = (mode & 4) != 0;
    cfg.confidentiality_offset = (mode & 8) ? 30 : 0;
    cfg.replay_window = 32;
    auto s = macsec::secy::create(cfg);
    check(s.ok());
    auto& secy = **s;
    check(secy.add_rx_sc(peer_sci).ok());
    for (uint8_t an = 0; an < 4; ++an) {
        auto r = macsec::rx_sa::create(*eng, an, params(suite, an));
        check(r.ok());
        check(secy.install_rx_sa(peer_sci, std::move(*r)).ok());
    }
    // The partner: transmits with our receive key at AN (mode >> 4) & 3.
    const uint8_t tx_an = (mode >> 4) & 3;
    macsec::secy_config pc = cfg;
    pc.sci = peer_sci;
    auto p = macsec::secy::create(pc);
    check(p.ok());
    auto t = macsec::tx_sa::create(*eng, tx_an, params(suite, tx_an));
    check(t.ok());
    check((*p)->install_tx_sa(std::move(*t)).ok());
    check((*p)->set_encoding_sa(tx_an).ok());

    const size_t len = size - 1;
    constexpr uint32_t room = 64;
    // Exactly headroom + frame + tailroom: ASan sees a write or read outside.
    std::unique_ptr<uint8_t[]> buf(new uint8_t[room + len + room]);
    if (len != 0)
        std::memcpy(buf.get() + room, data + 1, len);
    macsec::frame f{buf.get() + room, static_cast<uint32_t>(len), room, room};
    bool protected_here = false;
    if (mode & 0x80) {
        protected_here = (*p)->protect(*eng, f) == macsec::tx_status::protected_frame;
    }
    for (int twice = 0; twice < (protected_here ? 2 : 1); ++twice) {
        std::vector<uint8_t> copy(f.data, f.data + f.len);
        macsec::frame h{nullptr, 0, 0, 0};
        std::unique_ptr<uint8_t[]> b2(new uint8_t[room + copy.size() + room]);
        if (!copy.empty())
            std::memcpy(b2.get() + room, copy.data(), copy.size());
        h = {b2.get() + room, static_cast<uint32_t>(copy.size()), room, room};
        const auto st = secy.verify(*eng, h);
        if (macsec::delivered(st)) {
            check(h.data >= b2.get() && h.data + h.len <= b2.get() + room + copy.size() + room);
        }
        if (protected_here) {
            // Once: delivered as it was; again: a replay, refused.
            check(macsec::delivered(st) == (twice == 0));
            if (twice == 0)
                check(h.len == len && (len == 0 || std::memcmp(h.data, data + 1, len) == 0));
        }
    }
    return 0;
}
