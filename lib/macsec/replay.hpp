#pragma once
// Receive PN state of one SA: next expected PN, the replay window of
// 802.1AE-2018 10.6.2 (a frame is late when PN < next_pn - window), and a
// bitmap of the last `tracked` PNs below next_pn so that an exact replay
// inside the window is also refused (802.1AE alone accepts it; a sender that
// follows the standard never repeats a PN, so this costs no valid frame).
// Internal to lib/macsec: include "macsec/macsec.hpp".

#include <array>
#include <cstddef>
#include <cstdint>

namespace lag::macsec {

enum class replay_verdict : uint8_t { ok, late, duplicate };

class replay_window {
public:
    static constexpr uint32_t tracked = 1024; // PNs below next_pn the bitmap covers

    replay_window() = default;
    replay_window(uint32_t window, uint64_t next_pn) noexcept : _window(window), _next(next_pn) {}

    uint32_t window() const noexcept { return _window; }
    uint64_t next_pn() const noexcept { return _next; }
    // The lowest PN still acceptable (RxLowestPN in 802.1AE-2018 10.6.2).
    uint64_t lowest_pn() const noexcept { return _next > _window ? _next - _window : 0; }

    // Before crypto (and again after, in the same burst): would `pn` pass?
    replay_verdict check(uint64_t pn, bool replay_protect) const noexcept {
        if (pn == UINT64_MAX) // never sent: next_pn could not advance past it
            return replay_verdict::late;
        if (!replay_protect)
            return replay_verdict::ok;
        if (pn < lowest_pn())
            return replay_verdict::late;
        if (pn < _next && seen(pn))
            return replay_verdict::duplicate;
        return replay_verdict::ok;
    }
    // After a frame with `pn` verified: remember it, advance next_pn.
    void accept(uint64_t pn) noexcept;

private:
    bool seen(uint64_t pn) const noexcept { // pn < _next
        return _next - 1 - pn < tracked && ((_bits[(pn % tracked) / 64] >> (pn % 64)) & 1) != 0;
    }
    uint32_t _window = 0;
    uint64_t _next = 1;
    // A ring of `tracked` bits: the bit of PN p is p % tracked; it means
    // "accepted" for the PNs in [_next - tracked, _next - 1].
    std::array<uint64_t, tracked / 64> _bits{};
};

// XPN: recover the 64-bit PN from the 32 bits in the SecTAG (802.1AE-2018
// 10.6.2): the value at or above lowest_pn whose low half is pn_low.
constexpr uint64_t recover_xpn(uint64_t lowest_pn, uint32_t pn_low) noexcept {
    uint64_t hi = lowest_pn >> 32;
    if (pn_low < static_cast<uint32_t>(lowest_pn))
        ++hi;
    return hi << 32 | pn_low;
}

} // namespace lag::macsec
