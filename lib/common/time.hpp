#pragma once
// Time as protocol logic sees it: a monotonic instant passed in by the caller.
// Pure libraries never read a clock; the control core converts TSC or
// steady_clock readings into lag::time_point, tests advance it by hand.

#include <chrono>
#include <cstdint>

namespace lag {

using duration = std::chrono::nanoseconds;

struct time_point {
    duration since_epoch{0};

    constexpr auto operator<=>(const time_point&) const = default;
    constexpr time_point operator+(duration d) const { return {since_epoch + d}; }
    constexpr time_point operator-(duration d) const { return {since_epoch - d}; }
    constexpr duration operator-(time_point o) const { return since_epoch - o.since_epoch; }
    constexpr time_point& operator+=(duration d) {
        since_epoch += d;
        return *this;
    }
};

using std::chrono::milliseconds;
using std::chrono::seconds;

} // namespace lag
