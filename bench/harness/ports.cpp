// Port and input set-up for dpdk-lag-bench (start-up code: it exits on error).

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_eth_bond.h>
#include <rte_eth_bond_8023ad.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>

#include "dataplane/flow_hash.hpp"
#include "harness.hpp"

namespace lag::bench {

namespace {

constexpr uint16_t ring_desc = 1024;

// Each mbuf's private area holds the index of its frame (feed::rewrite).
constexpr uint16_t priv_size = 8;
static_assert(priv_size % RTE_MBUF_PRIV_ALIGN == 0);
uint32_t& index_of(rte_mbuf* m) noexcept { return *static_cast<uint32_t*>(rte_mbuf_to_priv(m)); }

rte_mempool* make_pool(const std::string& name, uint32_t n, uint32_t cache, int socket) {
    rte_mempool* mp = rte_pktmbuf_pool_create(name.c_str(), n, cache, priv_size, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (mp == nullptr) die(fmt::format("mempool {} ({} mbufs): {}", name, n, rte_strerror(rte_errno)));
    return mp;
}

rte_ring* make_ring(const std::string& name, uint32_t min_free, int socket) {
    rte_ring* r = rte_ring_create(name.c_str(), rte_align32pow2(min_free + 1), socket,
                                  RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (r == nullptr) die(fmt::format("ring {}: {}", name, rte_strerror(rte_errno)));
    return r;
}

// Takes every mbuf out of `mp` and writes frames[i] into the i-th.
std::vector<rte_mbuf*> write_frames(rte_mempool* mp, const std::vector<frame>& frames) {
    std::vector<rte_mbuf*> m(frames.size());
    if (rte_pktmbuf_alloc_bulk(mp, m.data(), static_cast<unsigned>(m.size())) != 0)
        die("cannot take the frame mbufs out of their pool");
    for (size_t i = 0; i < frames.size(); ++i) {
        const frame& f = frames[i];
        if (f.size() > rte_pktmbuf_tailroom(m[i])) die("frame longer than an mbuf");
        std::memcpy(rte_pktmbuf_mtod(m[i], uint8_t*), f.data(), f.size());
        m[i]->data_len = static_cast<uint16_t>(f.size());
        m[i]->pkt_len = static_cast<uint32_t>(f.size());
        index_of(m[i]) = static_cast<uint32_t>(i);
    }
    return m;
}

void slow_rx_discard(uint16_t, rte_mbuf* pkt) { rte_pktmbuf_free(pkt); }

} // namespace

const char* const bond_distribution_method =
    "external 802.3ad state machine API: rte_eth_bond_8023ad_setup with a slowrx_cb "
    "(LACPDUs from members are freed; none arrive on net_null), then "
    "rte_eth_bond_8023ad_ext_collect/_ext_distrib(member, 1) on every member";

namespace {
bool eal_up = false;
}

void mark_eal_up() noexcept { eal_up = true; }

void shutdown_dpdk() noexcept {
    if (!eal_up) return;
    eal_up = false;
    // A bond's 802.3ad alarm must not fire after EAL's memory is gone: stop
    // every port first. Bonds were created after their members, so reverse
    // order stops them first.
    for (int p = RTE_MAX_ETHPORTS - 1; p >= 0; --p)
        if (rte_eth_dev_is_valid_port(static_cast<uint16_t>(p))) rte_eth_dev_stop(static_cast<uint16_t>(p));
    rte_eal_cleanup();
}

void die(const std::string& what) {
    std::fprintf(stderr, "dpdk-lag-bench: %s\n", what.c_str());
    // Give hugepage memory back before exit's handlers restore nr_hugepages.
    shutdown_dpdk();
    std::exit(2);
}

void start_port(uint16_t port, rte_mempool* rx_pool, int socket) {
    rte_eth_conf conf{};
    int rc = rte_eth_dev_configure(port, 1, 1, &conf);
    if (rc < 0) die(fmt::format("configure port {}: {}", port, rte_strerror(-rc)));
    rc = rte_eth_rx_queue_setup(port, 0, ring_desc, static_cast<unsigned>(socket), nullptr, rx_pool);
    if (rc < 0) die(fmt::format("rx queue of port {}: {}", port, rte_strerror(-rc)));
    rc = rte_eth_tx_queue_setup(port, 0, ring_desc, static_cast<unsigned>(socket), nullptr);
    if (rc < 0) die(fmt::format("tx queue of port {}: {}", port, rte_strerror(-rc)));
    rc = rte_eth_dev_start(port);
    if (rc < 0) die(fmt::format("start port {}: {}", port, rte_strerror(-rc)));
}

feed make_feed(uint32_t frames, uint32_t round, int socket) {
    feed f;
    f.round = round;
    f.egress_frames = frames;
    f.ingress_frames = frames;
    // A round must leave frames in the pool's ring: egress frames sit in the
    // pool's per-lcore cache (up to 512) too.
    if (frames < round + 2 * RTE_MEMPOOL_CACHE_MAX_SIZE)
        die(fmt::format("--frames must be at least --round + {}", 2 * RTE_MEMPOOL_CACHE_MAX_SIZE));
    f.access_rx = make_ring("bench_access_rx", 2 * round, socket);
    f.access_tx = make_ring("bench_access_tx", frames, socket);
    f.access_rxq_pool = make_pool("bench_access_rxq", 2 * ring_desc, 0, socket);
    f.scratch.resize(round);
    rte_ring* rx[] = {f.access_rx};
    rte_ring* tx[] = {f.access_tx};
    const int port = rte_eth_from_rings("bench_access", rx, 1, tx, 1, static_cast<unsigned>(socket));
    if (port < 0) die(fmt::format("net_ring access port: {}", rte_strerror(rte_errno)));
    f.access_port = static_cast<uint16_t>(port);
    start_port(f.access_port, f.access_rxq_pool, socket);
    return f;
}

void load_cell(feed& f, const traffic& t, const std::vector<frame>& ingress, bool rewrite, unsigned cell,
               int socket) {
    if (t.egress.size() != f.egress_frames || ingress.size() != f.ingress_frames)
        die("a cell's traffic does not have --frames frames each way");
    f.rewrite = rewrite;
    f.egress_src = t.egress;
    f.ingress_src = ingress;
    // Egress frames: a pool with the usual per-lcore cache, so members' TX
    // frees them as cheaply as with any PMD.
    f.egress_pool = make_pool(fmt::format("bench_egress_{}", cell), f.egress_frames, RTE_MEMPOOL_CACHE_MAX_SIZE,
                              socket);
    // Ingress frames: no cache, so the feeder decides exactly what RX sees.
    f.ingress_pool = make_pool(fmt::format("bench_ingress_{}", cell), f.ingress_frames, 0, socket);

    auto eg = write_frames(f.egress_pool, t.egress);
    // The RSS hash a NIC with the standard key would have written (Toeplitz
    // over l34's fields), computed once here: only the nic-hash worker
    // scenarios read it (snapshot::nic_hash); the others ignore the flag.
    const lag::dp::frame_hash_fn nic = lag::dp::toeplitz_hash_function(lag::dp::hash_policy::l34);
    for (rte_mbuf* m : eg) {
        m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
        m->hash.rss = nic(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
    }
    rte_pktmbuf_free_bulk(eg.data(), static_cast<unsigned>(eg.size()));
    auto in = write_frames(f.ingress_pool, ingress);
    if (rte_ring_enqueue_bulk(f.access_tx, reinterpret_cast<void* const*>(in.data()),
                              static_cast<unsigned>(in.size()), nullptr) != in.size())
        die("ingress stash ring too small");
}

void unload_cell(feed& f) {
    f.reset();
    void** p = f.scratch.data();
    while (rte_ring_dequeue_burst(f.access_tx, p, f.round, nullptr) != 0) {
    }
    rte_mempool_free(f.egress_pool);
    rte_mempool_free(f.ingress_pool);
    f.egress_pool = f.ingress_pool = nullptr;
}

namespace {
// A frame as the cell built it, before protect or verify changed it.
inline void rewrite_egress(const feed& f, rte_mbuf* m) noexcept {
    const frame& src = f.egress_src[index_of(m)];
    m->data_off = static_cast<uint16_t>(std::min<uint32_t>(RTE_PKTMBUF_HEADROOM, m->buf_len));
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), src.data(), src.size());
    m->data_len = static_cast<uint16_t>(src.size());
    m->pkt_len = static_cast<uint32_t>(src.size());
}
// Where net_null's RX (rte_pktmbuf_alloc_bulk: data_off reset) will find it.
inline void rewrite_ingress(const feed& f, rte_mbuf* m) noexcept {
    const frame& src = f.ingress_src[index_of(m)];
    std::memcpy(static_cast<uint8_t*>(m->buf_addr) + std::min<uint32_t>(RTE_PKTMBUF_HEADROOM, m->buf_len),
                src.data(), src.size());
}
} // namespace

bool feed::load_round() noexcept {
    void** p = scratch.data();
    if (egress_on) {
        if (rte_mempool_get_bulk(egress_pool, p, round) != 0) return false;
        if (rewrite)
            for (uint32_t i = 0; i < round; ++i) rewrite_egress(*this, static_cast<rte_mbuf*>(p[i]));
        if (rte_ring_enqueue_bulk(access_rx, p, round, nullptr) != round) return false;
    }
    if (ingress_on) {
        if (rte_ring_dequeue_bulk(access_tx, p, round, nullptr) != round) return false;
        if (rewrite)
            for (uint32_t i = 0; i < round; ++i) rewrite_ingress(*this, static_cast<rte_mbuf*>(p[i]));
        rte_mempool_put_bulk(ingress_pool, p, round);
    }
    return true;
}

void feed::reset() noexcept {
    void** p = scratch.data();
    unsigned n = 0;
    while ((n = rte_ring_dequeue_burst(access_rx, p, round, nullptr)) != 0)
        rte_mempool_put_bulk(egress_pool, p, n);
    while ((n = std::min<unsigned>(rte_mempool_avail_count(ingress_pool), round)) != 0) {
        if (rte_mempool_get_bulk(ingress_pool, p, n) != 0) break;
        rte_ring_enqueue_bulk(access_tx, p, n, nullptr);
    }
}

bool feed::all_home() const noexcept {
    return rte_ring_count(access_rx) == 0 && rte_mempool_avail_count(ingress_pool) == 0 &&
           rte_ring_count(access_tx) == ingress_frames &&
           rte_mempool_avail_count(egress_pool) == egress_frames;
}

void remove_vdev(const std::string& name) noexcept {
    uint16_t port = 0;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port) != 0) return;
    (void)rte_eth_dev_stop(port);
    // A bond lets go only without members (bond_remove: -EBUSY).
    uint16_t members[RTE_MAX_ETHPORTS];
    const int n = rte_eth_bond_slaves_get(port, members, RTE_MAX_ETHPORTS);
    for (int i = 0; i < n; ++i) (void)rte_eth_bond_slave_remove(port, members[i]);
    if (n >= 0) {
        (void)rte_eth_bond_free(name.c_str());
        return;
    }
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(port, &info) == 0 && info.device != nullptr) (void)rte_dev_remove(info.device);
}

uint16_t make_null_port(const std::string& name, uint16_t size, rte_mempool* rx_pool, bool start,
                        int socket) {
    const std::string devargs = fmt::format("{},size={},copy=0", name, size);
    int rc = rte_dev_probe(devargs.c_str());
    if (rc < 0) die(fmt::format("vdev {}: {}", devargs, rte_strerror(-rc)));
    uint16_t port = 0;
    rc = rte_eth_dev_get_port_by_name(name.c_str(), &port);
    if (rc < 0) die(fmt::format("port of {}: {}", name, rte_strerror(-rc)));
    if (start) start_port(port, rx_pool, socket);
    return port;
}

uint16_t make_bond(const std::string& name, const std::vector<uint16_t>& members,
                   rte_mempool* rx_pool, int socket) {
    const int bond = rte_eth_bond_create(name.c_str(), BONDING_MODE_8023AD, static_cast<uint8_t>(socket));
    if (bond < 0) die(fmt::format("rte_eth_bond_create {}: {}", name, rte_strerror(-bond)));
    const uint16_t port = static_cast<uint16_t>(bond);
    rte_eth_bond_8023ad_conf conf{};
    int rc = rte_eth_bond_8023ad_conf_get(port, &conf);
    if (rc < 0) die(fmt::format("8023ad conf of {}: {}", name, rte_strerror(-rc)));
    conf.slowrx_cb = slow_rx_discard;
    rc = rte_eth_bond_8023ad_setup(port, &conf);
    if (rc < 0) die(fmt::format("8023ad setup of {}: {}", name, rte_strerror(-rc)));
    for (uint16_t m : members) {
        rc = rte_eth_bond_slave_add(port, m);
        if (rc < 0) die(fmt::format("add member {} to {}: {}", m, name, rte_strerror(-rc)));
    }
    rc = rte_eth_bond_xmit_policy_set(port, BALANCE_XMIT_POLICY_LAYER34);
    if (rc < 0) die(fmt::format("l34 policy on {}: {}", name, rte_strerror(-rc)));
    start_port(port, rx_pool, socket);
    // A bump in the wire forwards whatever it receives.
    rc = rte_eth_promiscuous_enable(port);
    if (rc < 0) die(fmt::format("promiscuous {}: {}", name, rte_strerror(-rc)));

    // Members become active once the bond has seen their link up (it polls
    // links of PMDs without link interrupts): wait up to 5 s.
    uint16_t active[RTE_MAX_ETHPORTS];
    const uint64_t deadline = rte_get_timer_cycles() + 5 * rte_get_timer_hz();
    int n = 0;
    while ((n = rte_eth_bond_active_slaves_get(port, active, RTE_MAX_ETHPORTS)) <
               static_cast<int>(members.size()) &&
           rte_get_timer_cycles() < deadline)
        rte_delay_ms(10);
    if (n < static_cast<int>(members.size()))
        die(fmt::format("{}: only {} of {} members active", name, n, members.size()));
    for (uint16_t m : members) {
        rc = rte_eth_bond_8023ad_ext_collect(port, m, 1);
        if (rc == 0) rc = rte_eth_bond_8023ad_ext_distrib(port, m, 1);
        if (rc < 0) die(fmt::format("{}: member {} collecting/distributing: {}", name, m, rte_strerror(-rc)));
        if (rte_eth_bond_8023ad_ext_distrib_get(port, m) != 1 ||
            rte_eth_bond_8023ad_ext_collect_get(port, m) != 1)
            die(fmt::format("{}: member {} does not report collecting and distributing", name, m));
    }
    return port;
}

} // namespace lag::bench
