#pragma once
// What every 802.1AX state machine here is made of: a table of arrows as the
// standard draws them, and a ten-line dispatcher. Internal to lib/lacp.
//
// An arrow leaves one state (or any state, for the standard's global
// transitions such as BEGIN) on one event and enters another, whose entry
// actions then run. Arrows are tried in table order, which is the priority
// order; an event is "active" when its condition holds now. The dispatcher
// follows arrows until none applies. An arrow back into the current state
// (CURRENT on a new LACPDU, a global arrow whose condition still holds) runs
// the entry actions once and ends the step, so a condition that stays true
// cannot loop.

#include "common/time.hpp"

#include <array>
#include <cstddef>
#include <optional>

namespace lag::lacp {

// A 802.1AX timer: started with a duration, "expired" once `now` reaches the
// deadline, and stays expired until restarted or stopped.
struct timer {
    std::optional<time_point> deadline;

    void start(time_point now, duration d) noexcept { deadline = now + d; }
    void stop() noexcept { deadline.reset(); }
    bool running(time_point now) const noexcept { return deadline && now < *deadline; }
    bool expired(time_point now) const noexcept { return deadline && now >= *deadline; }
};

template <typename State, typename Event>
struct arrow {
    Event on;
    State to;
    State from{};
    bool from_any = false;
};

// An arrow from one state.
template <typename State, typename Event>
constexpr arrow<State, Event> from(State f, Event on, State to) {
    return {on, to, f, false};
}
// A global arrow (from every state).
template <typename State, typename Event>
constexpr arrow<State, Event> global(Event on, State to) {
    return {on, to, State{}, true};
}

inline constexpr int max_dispatch_steps = 16;

// Follows the table from `state`. active(Event) says whether an event's
// condition holds; enter(State from, State to, Event) runs the entry actions
// of `to`. Returns the number of transitions that changed the state.
template <typename State, typename Event, size_t N, typename Active, typename Enter>
int dispatch(const std::array<arrow<State, Event>, N>& table, State& state, Active&& active,
             Enter&& enter) {
    int steps = 0;
    while (steps < max_dispatch_steps) {
        const arrow<State, Event>* taken = nullptr;
        for (const auto& a : table)
            if ((a.from_any || a.from == state) && active(a.on)) {
                taken = &a;
                break;
            }
        if (!taken)
            break;
        State was = state;
        state = taken->to;
        enter(was, state, taken->on);
        if (was == state)
            break;
        ++steps;
    }
    return steps;
}

} // namespace lag::lacp
