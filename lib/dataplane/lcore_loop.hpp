#pragma once
// The worker lcores, shared by every LAG of a host (dpdk-lagd's). Each
// worker lcore runs one loop over a fixed array of slots, one per LAG: a slot
// holds the dp::worker of that LAG which this lcore polls (the i-th worker
// lcore polls each LAG's worker i, which owns queue i of that LAG's ports),
// or null. Lock-free on the worker side: the loop bumps its lcore's epoch
// counter, then loads every slot and calls poll_once() on each non-null one.
//
// Control path (the main lcore): a LAG that starts reserves a slot, builds
// its control and workers, then attach() fills the slot on every lcore; a
// LAG that stops calls detach(), which clears the slot on every lcore and
// waits (bounded, spinning on the main lcore only) until each lcore's epoch
// has moved on twice: after that no lcore holds a pointer to those workers
// and they can be destroyed. Each LAG keeps its own control, rings and QSBR
// variable; a dp::worker still serves one LAG.
//
// With no worker lcore (-l N) nothing is launched: the main loop polls every
// LAG's worker itself (dpdk-lagd's lag_runtime::poll).
//
// A public header of its own, beside dataplane.hpp: the scheduler of the
// workers, which dataplane.hpp's users (the workers, control) do not need.

#include "common/result.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace lag::dp {

class worker;

class lcore_loop {
public:
    static constexpr unsigned max_lags = 16;

    // Launches the loop on the first `workers` worker lcores (0: none).
    explicit lcore_loop(unsigned workers);
    ~lcore_loop() { stop(); }
    lcore_loop(const lcore_loop&) = delete;
    lcore_loop& operator=(const lcore_loop&) = delete;

    unsigned workers() const noexcept { return _n; }
    // A free slot for a LAG that is about to start, or "lag-count".
    result<unsigned> reserve();
    // workers[i] is polled by the i-th worker lcore from now on (size must
    // be workers(); they are built and online on their QSBR variable).
    void attach(unsigned slot, const std::vector<worker*>& workers);
    // Clears the slot and waits until no lcore can still be inside one of
    // its workers. False if an lcore did not move on within `bound` (then
    // the workers must not be freed).
    bool detach(unsigned slot, std::chrono::milliseconds bound);
    // The slot is free again (after detach).
    void release(unsigned slot) noexcept { _used[slot] = false; }
    // Stops the loop on every lcore and waits for them (at exit, after
    // every LAG detached). Idempotent.
    void stop();

private:
    struct alignas(64) lane {
        std::array<std::atomic<worker*>, max_lags> slots{};
        std::atomic<uint64_t> epoch{0};
        const std::atomic<bool>* quit = nullptr;
        unsigned lcore = 0;
    };
    static int lane_main(void* arg) noexcept;

    unsigned _n;
    std::unique_ptr<lane[]> _lanes;
    std::atomic<bool> _quit{false};
    std::array<bool, max_lags> _used{};
    bool _running = false;
};

} // namespace lag::dp
