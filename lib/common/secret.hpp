#pragma once
// Key material: a fixed-capacity buffer that wipes itself when dropped and has
// no formatting or streaming operator, so a key cannot reach a log by accident.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace lag {

// Overwrites memory in a way the optimiser may not remove.
void secure_wipe(void* p, size_t n) noexcept;

template <size_t Capacity>
class secret {
public:
    secret() = default;
    explicit secret(std::span<const uint8_t> k) noexcept { assign(k); }
    secret(const secret& o) noexcept { assign(o.view()); }
    secret& operator=(const secret& o) noexcept {
        if (this != &o)
            assign(o.view());
        return *this;
    }
    ~secret() { secure_wipe(_b.data(), _b.size()); }

    // Returns false (and keeps nothing) if k is larger than Capacity.
    bool assign(std::span<const uint8_t> k) noexcept {
        secure_wipe(_b.data(), _b.size());
        if (k.size() > Capacity) {
            _n = 0;
            return false;
        }
        for (size_t i = 0; i < k.size(); ++i)
            _b[i] = k[i];
        _n = k.size();
        return true;
    }
    void clear() noexcept {
        secure_wipe(_b.data(), _b.size());
        _n = 0;
    }

    std::span<const uint8_t> view() const noexcept { return {_b.data(), _n}; }
    size_t size() const noexcept { return _n; }
    bool empty() const noexcept { return _n == 0; }

    // Constant-time comparison.
    bool equals(std::span<const uint8_t> o) const noexcept {
        if (o.size() != _n)
            return false;
        uint8_t d = 0;
        for (size_t i = 0; i < _n; ++i)
            d |= static_cast<uint8_t>(_b[i] ^ o[i]);
        return d == 0;
    }

private:
    std::array<uint8_t, Capacity> _b{};
    size_t _n = 0;
};

} // namespace lag
