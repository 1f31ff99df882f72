#include "macsec/replay.hpp"

namespace lag::macsec {

void replay_window::accept(uint64_t pn) noexcept {
    if (pn == UINT64_MAX) // check() never passes it; next_pn cannot move past it
        return;
    if (pn >= _next) {
        // PNs _next..pn are new: clear their slots (the slots of PNs that
        // fall out of the tracked range), then mark pn.
        const uint64_t d = pn + 1 - _next;
        if (d >= tracked) {
            _bits.fill(0);
        } else {
            for (uint64_t q = _next; q <= pn; ++q)
                _bits[(q % tracked) / 64] &= ~(uint64_t{1} << (q % 64));
        }
        _next = pn + 1;
    } else if (_next - 1 - pn >= tracked) {
        return; // older than the bitmap covers
    }
    _bits[(pn % tracked) / 64] |= uint64_t{1} << (pn % 64);
}

} // namespace lag::macsec
