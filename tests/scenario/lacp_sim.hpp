#pragma once
// LACP systems wired together in virtual time, for scenario tests: no clock,
// no I/O. Each wire joins one port of one group to one port of another,
// carries frames after a latency, and can lose its carrier (both ends see
// link down) or go silent in one direction (frames lost, carrier kept).
// Everything the groups do is recorded with its virtual time.

#include "lacp/lacp.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lag::lacp::sim {

struct endpoint {
    size_t group = 0;
    uint16_t port = 0;
    bool operator==(const endpoint&) const = default;
};

struct record {
    time_point at;
    size_t group;
    action what;
};

class network {
public:
    duration latency = milliseconds(1);

    size_t add_group(const group_config& c) {
        _groups.emplace_back(c);
        return _groups.size() - 1;
    }
    uint16_t add_port(size_t g, const port_config& pc) {
        auto r = _groups[g].add_port(pc, _now, _out);
        flush(g);
        return r.value();
    }
    group& at(size_t g) { return _groups[g]; }
    time_point now() const { return _now; }

    // A wire between two ports; carrier comes up on both at once.
    size_t connect(endpoint a, endpoint b) {
        _wires.push_back({a, b, true, true, true});
        set_carrier(_wires.size() - 1, true);
        return _wires.size() - 1;
    }
    // Pull the cable (or plug it back): both ends see their link change.
    void set_carrier(size_t w, bool up) {
        auto& wire = _wires[w];
        wire.carrier = up;
        for (endpoint e : {wire.a, wire.b}) {
            _groups[e.group].set_link(e.port, up, _now, _out);
            flush(e.group);
        }
    }
    // Frames from `from` across wire w are lost (a one-way fault, or a
    // partner that stopped sending); carrier stays up.
    void set_passes(size_t w, endpoint from, bool passes) {
        auto& wire = _wires[w];
        (from == wire.a ? wire.a_to_b : wire.b_to_a) = passes;
    }
    // Moves one end of a wire to another port (re-cabling): the old far end
    // loses carrier, the new one gains it.
    void rewire(size_t w, endpoint old_end, endpoint new_end) {
        auto& wire = _wires[w];
        _groups[old_end.group].set_link(old_end.port, false, _now, _out);
        flush(old_end.group);
        (old_end == wire.a ? wire.a : wire.b) = new_end;
        _groups[new_end.group].set_link(new_end.port, wire.carrier, _now, _out);
        flush(new_end.group);
    }

    // An administrative call on a group now, e.g.
    // net.act(g, [](group& x, time_point now, actions& out) { x.set_port_key(1, 5, now, out); });
    template <typename F>
    void act(size_t g, F f) {
        f(_groups[g], _now, _out);
        flush(g);
    }

    // Runs every event up to and including `until`.
    void run_until(time_point until) {
        for (;;) {
            std::optional<time_point> next;
            auto consider = [&](std::optional<time_point> t) {
                if (t && (!next || *t < *next))
                    next = t;
            };
            if (!_in_flight.empty())
                consider(_in_flight.front().at);
            for (const auto& g : _groups)
                consider(g.next_deadline());
            if (!next || *next > until)
                break;
            _now = std::max(_now, *next);
            while (!_in_flight.empty() && _in_flight.front().at <= _now) {
                auto f = _in_flight.front();
                _in_flight.pop_front();
                _groups[f.to.group].on_frame(f.to.port, f.data.view(), _now, _out);
                flush(f.to.group);
            }
            for (size_t g = 0; g < _groups.size(); ++g) {
                _groups[g].tick(_now, _out);
                flush(g);
            }
        }
        _now = std::max(_now, until);
    }
    void run_for(duration d) { run_until(_now + d); }

    // Runs until pred() holds (checked after every event) or `limit` passes.
    template <typename Pred>
    bool run_until_true(Pred pred, duration limit) {
        time_point end = _now + limit;
        while (!pred()) {
            std::optional<time_point> next;
            if (!_in_flight.empty())
                next = _in_flight.front().at;
            for (const auto& g : _groups)
                if (auto t = g.next_deadline(); t && (!next || *t < *next))
                    next = t;
            if (!next || *next > end)
                return pred();
            run_until(*next);
        }
        return true;
    }

    bool distributing(endpoint e) { return _groups[e.group].status(e.port).distributing; }

    const std::vector<record>& log() const { return _log; }
    // First time at or after `since` that `e` reported `kind` with `on`.
    std::optional<time_point> first(endpoint e, action_kind kind, bool on, time_point since) const {
        for (const auto& r : _log)
            if (r.at >= since && r.group == e.group && r.what.port == e.port &&
                r.what.kind == kind && r.what.on == on)
                return r.at;
        return std::nullopt;
    }
    size_t count(endpoint e, action_kind kind, time_point since = {}) const {
        return static_cast<size_t>(std::count_if(_log.begin(), _log.end(), [&](const record& r) {
            return r.at >= since && r.group == e.group && r.what.port == e.port && r.what.kind == kind;
        }));
    }
    // Every non-transmit action, with the time, for failure messages.
    std::string trace() const {
        std::string s;
        for (const auto& r : _log)
            if (r.what.kind != action_kind::transmit)
                s += std::to_string(std::chrono::duration_cast<milliseconds>(r.at.since_epoch).count()) +
                     " ms  g" + std::to_string(r.group) + " " + r.what.to_string() + "\n";
        return s;
    }

    // Called with each action of each group as it happens (e.g. to feed a
    // lag::model::lag_model).
    std::function<void(size_t group, const action&)> observer;

private:
    struct wire {
        endpoint a, b;
        bool carrier, a_to_b, b_to_a;
    };
    struct in_flight {
        time_point at;
        endpoint to;
        frame data;
    };

    void flush(size_t g) {
        for (const auto& a : _out) {
            _log.push_back({_now, g, a});
            if (observer)
                observer(g, a);
            if (a.kind == action_kind::transmit)
                send({g, a.port}, a.tx);
        }
        _out.clear();
    }
    void send(endpoint from, const frame& f) {
        for (const auto& w : _wires) {
            if (!w.carrier)
                continue;
            if (w.a == from && w.a_to_b)
                _in_flight.push_back({_now + latency, w.b, f});
            else if (w.b == from && w.b_to_a)
                _in_flight.push_back({_now + latency, w.a, f});
        }
        // Constant latency keeps the queue in time order.
    }

    std::deque<group> _groups;
    std::vector<wire> _wires;
    std::deque<in_flight> _in_flight;
    std::vector<record> _log;
    actions _out;
    time_point _now{};
};

} // namespace lag::lacp::sim
