#pragma once
// The one grace mechanism: what the workers may still read (snapshots, SAs,
// SecYs, a port leaving a LAG) is freed through DPDK's RCU QSBR defer queue
// (rte_rcu_qsbr_dq_*) once every worker has reported quiescence after it
// was handed over. An item is any object: its destructor is what "free"
// means (a snapshot's, an SA's that wipes its key, a callback's). Control
// core only (the queue is created MT-unsafe). Not for direct inclusion: use
// "dpdk/dpdk.hpp".

#include "common/result.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

struct rte_rcu_qsbr;
struct rte_rcu_qsbr_dq;

namespace lag::dpdk {

// What the defer queue destroys once no reader can hold it.
class deferred {
public:
    virtual ~deferred() = default;
};

// A deferred item that runs `f` when it is freed (after the grace period).
template <typename F>
class deferred_fn final : public deferred {
public:
    explicit deferred_fn(F f) : _f(std::move(f)) {}
    ~deferred_fn() override { _f(); }

private:
    F _f;
};
template <typename F>
std::unique_ptr<deferred> on_grace(F f) {
    return std::make_unique<deferred_fn<F>>(std::move(f));
}

class defer_queue {
public:
    // A queue of up to `size` items on QSBR variable `v` (which must outlive it).
    static result<std::unique_ptr<defer_queue>> create(const std::string& name, rte_rcu_qsbr* v, unsigned size);
    // Frees what is left: the caller has taken every reader offline.
    ~defer_queue();
    defer_queue(const defer_queue&) = delete;
    defer_queue& operator=(const defer_queue&) = delete;

    // Starts the grace period for `item` now (the caller has handed every
    // reader what replaces it: a worker reads its ring before it reports
    // quiescence). With the queue full even after reclaiming, the item waits
    // here and goes in at the next reclaim (counted as overflow).
    void defer(std::unique_ptr<deferred> item);
    // Frees every item whose grace period is over; returns how many.
    unsigned reclaim();
    // Items deferred and not freed yet.
    size_t pending() const noexcept { return _tokens.size() + _overflow.size(); }
    uint64_t overflows() const noexcept { return _overflows; }

private:
    defer_queue() = default;
    bool enqueue(std::unique_ptr<deferred>& item);

    rte_rcu_qsbr_dq* _dq = nullptr;
    rte_rcu_qsbr* _v = nullptr;
    size_t _capacity = 0;
    // The grace-period token of each item in _dq, oldest first: reclaim()
    // checks them with the inline rte_rcu_qsbr_check before the library
    // frees that many (a check ThreadSanitizer sees, where the one inside
    // librte_rcu is not instrumented).
    std::deque<uint64_t> _tokens;
    std::vector<std::unique_ptr<deferred>> _overflow;
    uint64_t _overflows = 0;
};

} // namespace lag::dpdk
