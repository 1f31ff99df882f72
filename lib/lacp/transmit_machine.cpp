#include "lacp/transmit_machine.hpp"

#include "lacp/periodic_machine.hpp"

namespace lag::lacp {

namespace {

using st = transmit_state;
using ev = transmit_event;

constexpr std::array transmit_table{
    global(ev::tx_disabled, st::no_tx),
    from(st::no_tx, ev::tx_enabled, st::tx_ready),
    from(st::tx_ready, ev::ntt_allowed, st::transmit),
    from(st::transmit, ev::uct, st::tx_ready),
};

// The oldest of the last three transmissions, if there were three.
std::optional<time_point> oldest_of_window(const port_vars& p) {
    if (p.tx_count < max_tx_per_fast_periodic)
        return std::nullopt;
    return p.tx_times[p.tx_count % max_tx_per_fast_periodic];
}

bool window_open(const port_vars& p, time_point now) {
    auto oldest = oldest_of_window(p);
    return !oldest || now - *oldest >= fast_periodic_time;
}

} // namespace

lacpdu make_lacpdu(const port_vars& p) {
    lacpdu pdu;
    pdu.source = p.mac;
    pdu.actor = p.actor;
    pdu.partner = p.partner;
    pdu.collector_max_delay = 0;
    return pdu;
}

std::optional<time_point> tx_window_opens(const port_vars& p) {
    if (!p.ntt || p.tx_st != st::tx_ready)
        return std::nullopt;
    auto oldest = oldest_of_window(p);
    if (!oldest)
        return std::nullopt;
    return *oldest + fast_periodic_time;
}

int run_transmit_machine(port_vars& p, const step_context& ctx) {
    bool disabled = p.begin || !p.port_enabled || !p.lacp_enabled ||
                    p.periodic_st == periodic_state::no_periodic;
    bool held_back = false;
    auto active = [&](ev e) {
        switch (e) {
        case ev::tx_disabled: return disabled;
        case ev::tx_enabled: return !disabled;
        case ev::ntt_allowed:
            if (!p.ntt)
                return false;
            held_back = !window_open(p, ctx.now);
            return !held_back;
        case ev::uct: return true;
        }
        return false;
    };
    int n = dispatch(transmit_table, p.tx_st, active, [&](st, st to, ev) {
        switch (to) {
        case st::no_tx: p.ntt = false; break;
        case st::tx_ready: break;
        case st::transmit: {
            action a;
            a.kind = action_kind::transmit;
            a.port = p.index;
            a.tx = encode(make_lacpdu(p));
            ctx.out->push_back(a);
            p.ntt = false;
            p.tx_times[p.tx_count % max_tx_per_fast_periodic] = ctx.now;
            ++p.tx_count;
            ++p.counters.lacpdus_tx;
            break;
        }
        }
    });
    if (held_back && p.ntt)
        ++p.counters.tx_rate_limited;
    return n;
}

} // namespace lag::lacp
