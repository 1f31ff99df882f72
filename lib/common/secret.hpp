#pragma once
// Key material: a fixed-capacity buffer that wipes itself when dropped and has
// no formatting or streaming operator, so a key cannot reach a log by accident.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

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

// A heap buffer for secret text (a key or CAK file read whole, parsed in
// place): fixed capacity, wiped (all of it) when dropped or moved over;
// move-only, so no copy of its bytes is made behind the owner's back.
class secret_buffer {
public:
    explicit secret_buffer(size_t capacity) : _p(new uint8_t[capacity == 0 ? 1 : capacity]()), _cap(capacity) {}
    ~secret_buffer() { wipe(); }
    secret_buffer(secret_buffer&& o) noexcept : _p(std::move(o._p)), _cap(o._cap), _n(o._n) { o._cap = o._n = 0; }
    secret_buffer& operator=(secret_buffer&& o) noexcept {
        if (this != &o) {
            wipe();
            _p = std::move(o._p);
            _cap = o._cap;
            _n = o._n;
            o._cap = o._n = 0;
        }
        return *this;
    }
    secret_buffer(const secret_buffer&) = delete;
    secret_buffer& operator=(const secret_buffer&) = delete;

    uint8_t* data() noexcept { return _p.get(); }
    size_t capacity() const noexcept { return _cap; }
    size_t size() const noexcept { return _n; }
    // The bytes in use (at most capacity()).
    void set_size(size_t n) noexcept { _n = n < _cap ? n : _cap; }
    std::string_view text() const noexcept { return {reinterpret_cast<const char*>(_p.get()), _n}; }

private:
    void wipe() noexcept {
        if (_p)
            secure_wipe(_p.get(), _cap);
    }
    std::unique_ptr<uint8_t[]> _p;
    size_t _cap = 0;
    size_t _n = 0;
};

} // namespace lag
