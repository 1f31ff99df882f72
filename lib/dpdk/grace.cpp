// rte_rcu_qsbr_dq_* are experimental in DPDK 22.11.
#define ALLOW_EXPERIMENTAL_API 1

#include "dpdk/grace.hpp"

#include <rte_errno.h>
#include <rte_rcu_qsbr.h>

#include <fmt/format.h>

namespace lag::dpdk {

namespace {
// The queue holds one pointer per item; freeing it runs the destructor.
void free_items(void*, void* e, unsigned n) {
    auto** items = static_cast<deferred**>(e);
    for (unsigned i = 0; i < n; ++i)
        delete items[i];
}
} // namespace

result<std::unique_ptr<defer_queue>> defer_queue::create(const std::string& name, rte_rcu_qsbr* v, unsigned size) {
    rte_rcu_qsbr_dq_parameters p{};
    p.name = name.c_str();
    p.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE;
    p.size = size;
    p.esize = sizeof(deferred*);
    p.trigger_reclaim_limit = size + 1; // reclaim when asked (and when full), not on every enqueue
    p.max_reclaim_size = size;
    p.free_fn = free_items;
    p.v = v;
    std::unique_ptr<defer_queue> q(new defer_queue());
    q->_dq = rte_rcu_qsbr_dq_create(&p);
    if (q->_dq == nullptr)
        return make_error("rcu", fmt::format("cannot create the defer queue {}: {}", name, rte_strerror(rte_errno)));
    q->_v = v;
    q->_capacity = size;
    return q;
}

defer_queue::~defer_queue() {
    // With a reader still registered, dq_delete frees nothing and fails:
    // the items are left rather than freed under a reader.
    if (_dq != nullptr)
        (void)rte_rcu_qsbr_dq_delete(_dq);
    _overflow.clear(); // the caller took every reader offline
}

bool defer_queue::enqueue(std::unique_ptr<deferred>& item) {
    // Never full: a full dq would reclaim on its own, out of our sight.
    deferred* raw = item.get();
    if (_tokens.size() >= _capacity || rte_rcu_qsbr_dq_enqueue(_dq, &raw) != 0)
        return false;
    (void)item.release();
    // The token the enqueue took (rte_rcu_qsbr_start); one thread enqueues.
    _tokens.push_back(__atomic_load_n(&_v->token, __ATOMIC_RELAXED));
    return true;
}

void defer_queue::defer(std::unique_ptr<deferred> item) {
    if (item == nullptr)
        return;
    if (_overflow.empty() && enqueue(item))
        return;
    ++_overflows;
    _overflow.push_back(std::move(item));
}

unsigned defer_queue::reclaim() {
    unsigned ready = 0;
    while (ready < _tokens.size() && rte_rcu_qsbr_check(_v, _tokens[ready], false) == 1)
        ++ready;
    unsigned freed = 0, pending = 0, available = 0;
    if (ready != 0)
        (void)rte_rcu_qsbr_dq_reclaim(_dq, ready, &freed, &pending, &available);
    _tokens.erase(_tokens.begin(), _tokens.begin() + freed);
    // What waited for room goes in now, in order; its grace period starts here.
    size_t i = 0;
    while (i < _overflow.size() && enqueue(_overflow[i]))
        ++i;
    _overflow.erase(_overflow.begin(), _overflow.begin() + static_cast<std::ptrdiff_t>(i));
    return freed;
}

} // namespace lag::dpdk
