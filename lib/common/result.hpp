#pragma once
// A small result type for control and config paths (no exceptions there, see
// shared/STYLE.md). std::expected needs -std=c++23 with g++ 12; this is the
// subset we use.

#include <string>
#include <utility>
#include <variant>

namespace lag {

// An error names the rule or check that failed (a short, stable code such as
// "max-members") and says what happened in one line for a human.
struct error {
    std::string code;
    std::string message;

    std::string to_string() const { return code + ": " + message; }
};

template <typename T>
class [[nodiscard]] result {
public:
    result(T value) : _v(std::in_place_index<0>, std::move(value)) {}
    result(error e) : _v(std::in_place_index<1>, std::move(e)) {}

    bool ok() const noexcept { return _v.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(_v); }
    const T& value() const& { return std::get<0>(_v); }
    T&& value() && { return std::get<0>(std::move(_v)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const error& err() const { return std::get<1>(_v); }

private:
    std::variant<T, error> _v;
};

// result<void>: success carries nothing.
struct ok_t {};
inline constexpr ok_t ok_v{};

template <>
class [[nodiscard]] result<void> {
public:
    result() = default;
    result(ok_t) {}
    result(error e) : _err(std::move(e)), _failed(true) {}

    bool ok() const noexcept { return !_failed; }
    explicit operator bool() const noexcept { return ok(); }
    const error& err() const { return _err; }

private:
    error _err;
    bool _failed = false;
};

inline error make_error(std::string code, std::string message) {
    return error{std::move(code), std::move(message)};
}

} // namespace lag
