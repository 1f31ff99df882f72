#pragma once
// lib/engine hosts cabled back to back in virtual time, for scenario tests:
// each host on its own fake_port_io; a cable joins a device of one to a
// device of another and carries every control frame either sends after a
// latency. A device's link is up while its cable has carrier and both ends
// are started (a stopped far end is a dark fibre). No clock, no I/O.

#include "engine/fake_port_io.hpp"
#include "engine/host.hpp"

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lag::engine::sim {

struct end {
    size_t host = 0;
    uint16_t device = 0;
    bool operator==(const end&) const = default;
};

class network {
public:
    duration latency = milliseconds(1);

    size_t add_host(const host_config& c) {
        auto s = std::make_unique<side>();
        s->h = std::make_unique<host>(s->io, c);
        _sides.push_back(std::move(s));
        return _sides.size() - 1;
    }
    host& at(size_t h) { return *_sides[h]->h; }
    fake_port_io& io(size_t h) { return _sides[h]->io; }
    time_point now() const { return _now; }

    // A device of host `a` (added to its fake) cabled to one of host `b`.
    size_t cable(end a, end b) {
        _cables.push_back({a, b, true});
        return _cables.size() - 1;
    }
    void set_carrier(size_t c, bool up) {
        _cables[c].carrier = up;
        settle();
    }

    // After an operation on a host: links follow the devices, frames sent
    // go on the wire, hosts see link changes.
    void settle() {
        bool changed = sync_links();
        collect();
        if (changed) {
            for (auto& s : _sides)
                s->h->tick(_now);
            collect();
        }
    }

    void run_until(time_point until) {
        settle();
        for (;;) {
            std::optional<time_point> next;
            if (!_in_flight.empty())
                next = _in_flight.front().at;
            for (const auto& s : _sides)
                if (auto t = s->h->next_deadline(); t && (!next || *t < *next))
                    next = t;
            if (!next || *next > until)
                break;
            _now = std::max(_now, *next);
            while (!_in_flight.empty() && _in_flight.front().at <= _now) {
                auto f = std::move(_in_flight.front());
                _in_flight.pop_front();
                // Only a started device receives (a real one drops it).
                if (io(f.to.host).started(f.to.device))
                    at(f.to.host).on_frame(f.to.device, f.bytes, _now);
            }
            for (auto& s : _sides)
                s->h->tick(_now);
            settle();
        }
        _now = std::max(_now, until);
    }
    void run_for(duration d) { run_until(_now + d); }
    // Runs until pred() holds (checked after every event) or `limit` passes.
    bool run_until_true(const std::function<bool()>& pred, duration limit) {
        const time_point stop = _now + limit;
        settle();
        while (!pred()) {
            std::optional<time_point> next;
            if (!_in_flight.empty())
                next = _in_flight.front().at;
            for (const auto& s : _sides)
                if (auto t = s->h->next_deadline(); t && (!next || *t < *next))
                    next = t;
            if (!next || *next > stop) {
                run_until(stop);
                return pred();
            }
            run_until(*next);
        }
        return true;
    }
    uint64_t frames_carried() const noexcept { return _carried; }

private:
    struct side {
        fake_port_io io;
        std::unique_ptr<host> h;
    };
    struct cable_t {
        end a, b;
        bool carrier;
    };
    struct in_flight {
        time_point at;
        end to;
        std::vector<uint8_t> bytes;
    };

    bool sync_links() {
        bool changed = false;
        for (const auto& c : _cables) {
            const bool up = c.carrier && io(c.a.host).started(c.a.device) && io(c.b.host).started(c.b.device);
            for (end e : {c.a, c.b}) {
                auto& d = io(e.host).at(e.device);
                changed = changed || d.link.up != up;
                d.link.up = up;
            }
        }
        return changed;
    }
    void collect() {
        for (size_t h = 0; h < _sides.size(); ++h)
            for (auto& f : io(h).take_sent())
                for (const auto& c : _cables) {
                    if (!c.carrier)
                        continue;
                    const end from{h, f.port};
                    if (c.a == from)
                        _in_flight.push_back({_now + latency, c.b, f.bytes});
                    else if (c.b == from)
                        _in_flight.push_back({_now + latency, c.a, f.bytes});
                    else
                        continue;
                    ++_carried;
                }
        // Constant latency keeps the queue in time order.
    }

    std::vector<std::unique_ptr<side>> _sides;
    std::vector<cable_t> _cables;
    std::deque<in_flight> _in_flight;
    time_point _now{};
    uint64_t _carried = 0;
};

} // namespace lag::engine::sim
