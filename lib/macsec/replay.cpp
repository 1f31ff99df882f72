#include "macsec/replay.hpp"

namespace lag::macsec {

bool replay_window::seen(uint64_t pn) const noexcept {
    const uint64_t k = _next - 1 - pn;
    if (k >= tracked)
        return false;
    return (_bits[k / 64] >> (k % 64)) & 1;
}

replay_verdict replay_window::check(uint64_t pn, bool replay_protect) const noexcept {
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

void replay_window::accept(uint64_t pn) noexcept {
    if (pn >= _next) {
        // Shift the bitmap by d = pn + 1 - _next positions (towards older).
        const uint64_t d = pn + 1 - _next;
        if (d >= tracked) {
            _bits.fill(0);
        } else {
            const size_t words = static_cast<size_t>(d / 64);
            const unsigned bits = static_cast<unsigned>(d % 64);
            constexpr size_t n = tracked / 64;
            for (size_t i = n; i-- > 0;) {
                uint64_t v = 0;
                if (i >= words) {
                    v = _bits[i - words] << bits;
                    if (bits != 0 && i >= words + 1)
                        v |= _bits[i - words - 1] >> (64 - bits);
                }
                _bits[i] = v;
            }
        }
        _next = pn + 1;
        _bits[0] |= 1; // k = 0 is pn itself
        return;
    }
    const uint64_t k = _next - 1 - pn;
    if (k < tracked)
        _bits[k / 64] |= uint64_t{1} << (k % 64);
}

} // namespace lag::macsec
