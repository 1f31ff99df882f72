#include "dataplane/lcore_loop.hpp"

#include "dataplane/worker.hpp"

#include <fmt/format.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>

namespace lag::dp {

lcore_loop::lcore_loop(unsigned workers) : _n(workers), _lanes(new lane[workers == 0 ? 1 : workers]) {
    unsigned i = 0;
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) {
        if (i >= _n)
            break;
        _lanes[i].quit = &_quit;
        _lanes[i].lcore = lcore;
        rte_eal_remote_launch(lane_main, &_lanes[i], lcore);
        ++i;
    }
    _n = i;
    _running = i > 0;
}

int lcore_loop::lane_main(void* arg) noexcept {
    auto* l = static_cast<lane*>(arg);
    uint64_t epoch = 0;
    while (!l->quit->load(std::memory_order_relaxed)) {
        // The epoch before the slots (both sequentially consistent): once
        // control cleared a slot and then saw this lcore's epoch move twice,
        // the iteration that could have loaded the old pointer is over.
        l->epoch.store(++epoch, std::memory_order_seq_cst);
        unsigned polled = 0;
        for (auto& s : l->slots)
            if (worker* w = s.load(std::memory_order_seq_cst)) {
                w->poll_once();
                ++polled;
            }
        if (polled == 0)
            rte_pause();
    }
    return 0;
}

result<unsigned> lcore_loop::reserve() {
    for (unsigned s = 0; s < max_lags; ++s)
        if (!_used[s]) {
            _used[s] = true;
            return s;
        }
    return make_error("lag-count", fmt::format("this daemon runs at most {} LAGs", max_lags));
}

void lcore_loop::attach(unsigned slot, const std::vector<worker*>& workers) {
    for (unsigned i = 0; i < _n && i < workers.size(); ++i)
        _lanes[i].slots[slot].store(workers[i], std::memory_order_seq_cst);
}

bool lcore_loop::detach(unsigned slot, std::chrono::milliseconds bound) {
    std::vector<uint64_t> seen(_n);
    for (unsigned i = 0; i < _n; ++i) {
        _lanes[i].slots[slot].store(nullptr, std::memory_order_seq_cst);
        seen[i] = _lanes[i].epoch.load(std::memory_order_seq_cst);
    }
    if (!_running)
        return true;
    auto deadline = std::chrono::steady_clock::now() + bound;
    for (unsigned i = 0; i < _n; ++i)
        while (_lanes[i].epoch.load(std::memory_order_seq_cst) < seen[i] + 2) {
            if (std::chrono::steady_clock::now() > deadline)
                return false;
            rte_pause();
        }
    return true;
}

void lcore_loop::stop() {
    if (!_running)
        return;
    _running = false;
    _quit.store(true);
    for (unsigned i = 0; i < _n; ++i)
        rte_eal_wait_lcore(_lanes[i].lcore);
}

} // namespace lag::dp
