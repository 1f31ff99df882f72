#include "dp_env.hpp"

#include "dpdk/dpdk.hpp"
#include "port.hpp"

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_launch.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>

namespace lag::test {

namespace {
constexpr unsigned pool_size = 16384;
dpdk::mempool_ptr g_pool;
std::map<std::string, std::vector<rte_ring*>> g_rings; // by wire name

class eal_environment : public ::testing::Environment {
public:
    void SetUp() override {
        std::string prefix = "lagdp" + std::to_string(getpid());
        std::vector<std::string> args = {"dp-test", "--no-huge", "--no-pci", "-m", "1024", "--no-shconf",
                                         "--file-prefix", prefix, "--log-level", (getenv("DP_LOG") ? getenv("DP_LOG") : "*:warning"),
                                         "--no-telemetry"};
        // DP_LCORES: an --lcores map (e.g. 0@0,1@1,2@1 for three lcores on
        // two CPUs, tests/dp/test_race); lcores 0-1 otherwise.
        if (const char* lc = getenv("DP_LCORES"); lc != nullptr && *lc != '\0') {
            args.push_back("--lcores");
            args.push_back(lc);
        } else {
            args.push_back("-l");
            args.push_back("0-1");
        }
        auto r = dpdk::eal_init(args);
        ASSERT_TRUE(r.ok()) << r.err().to_string();
        auto p = dpdk::make_pktmbuf_pool("dp_test_pool", pool_size, 0);
        ASSERT_TRUE(p.ok()) << p.err().to_string();
        g_pool = std::move(*p);
    }
    void TearDown() override {
        // Ports still open hold no mbufs once drained; the pool goes last.
        g_pool.reset();
        dpdk::eal_cleanup();
    }
};

[[maybe_unused]] auto* const g_env = ::testing::AddGlobalTestEnvironment(new eal_environment);

void put16(std::vector<uint8_t>& f, size_t off, uint16_t v) {
    f[off] = static_cast<uint8_t>(v >> 8);
    f[off + 1] = static_cast<uint8_t>(v);
}
void put32(std::vector<uint8_t>& f, size_t off, uint32_t v) {
    put16(f, off, static_cast<uint16_t>(v >> 16));
    put16(f, off + 2, static_cast<uint16_t>(v));
}
uint32_t get32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
} // namespace

// In the ThreadSanitizer build the harness's own accesses to mbufs (building
// frames it sends, reading and freeing frames it receives) are not recorded:
// those mbufs reach a worker lcore and come back through net_ring and the
// mempool, code in Debian's uninstrumented DPDK libraries, so TSan cannot see
// the hand-over and would report every frame as a race (often with the
// harness's side of the stack lost, so no suppression could name it).
// Accesses by the engine itself (worker, control, rings, snapshots) are all
// still checked against each other.
#if defined(__SANITIZE_THREAD__)
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
extern "C" void AnnotateIgnoreWritesBegin(const char* file, int line);
extern "C" void AnnotateIgnoreWritesEnd(const char* file, int line);
struct harness_mbuf_access {
    harness_mbuf_access() {
        AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
        AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
    }
    ~harness_mbuf_access() {
        AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
        AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
    }
};
#else
struct harness_mbuf_access {};
#endif

rte_mempool* pool() { return g_pool.get(); }
unsigned pool_in_use() { return dpdk::mempool_size(g_pool.get()) - dpdk::mempool_avail(g_pool.get()); }

wire make_wire(const std::string& name, uint16_t queues) {
    std::vector<rte_ring*> ab, ba;
    for (uint16_t q = 0; q < queues; ++q) {
        ab.push_back(rte_ring_create((name + "_ab" + std::to_string(q)).c_str(), 4096, SOCKET_ID_ANY,
                                     RING_F_SP_ENQ | RING_F_SC_DEQ));
        ba.push_back(rte_ring_create((name + "_ba" + std::to_string(q)).c_str(), 4096, SOCKET_ID_ANY,
                                     RING_F_SP_ENQ | RING_F_SC_DEQ));
        EXPECT_NE(ab.back(), nullptr);
        EXPECT_NE(ba.back(), nullptr);
    }
    int a = rte_eth_from_rings((name + "_a").c_str(), ba.data(), queues, ab.data(), queues, SOCKET_ID_ANY);
    int b = rte_eth_from_rings((name + "_b").c_str(), ab.data(), queues, ba.data(), queues, SOCKET_ID_ANY);
    EXPECT_GE(a, 0);
    EXPECT_GE(b, 0);
    net::port_setup s;
    s.rx_queues = queues;
    s.tx_queues = queues;
    s.pool = pool();
    for (int p : {a, b}) {
        auto r = net::configure_and_start(static_cast<uint16_t>(p), s);
        EXPECT_TRUE(r.ok()) << r.err().to_string();
    }
    auto& keep = g_rings[name];
    keep.insert(keep.end(), ab.begin(), ab.end());
    keep.insert(keep.end(), ba.begin(), ba.end());
    return {static_cast<uint16_t>(a), static_cast<uint16_t>(b)};
}

void destroy_wire(const wire& w) {
    std::string name = net::port_name(w.a);
    name = name.substr(0, name.size() - 2); // strip "_a"
    for (uint16_t p : {w.a, w.b}) {
        rte_eth_dev_info info{};
        if (rte_eth_dev_info_get(p, &info) == 0)
            for (uint16_t q = 0; q < info.nb_rx_queues; ++q) {
                auto left = drain(p, q);
                free_all(left);
            }
        net::stop_and_close(p);
    }
    for (rte_ring* r : g_rings[name]) {
        void* m;
        while (rte_ring_dequeue(r, &m) == 0)
            rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        rte_ring_free(r);
    }
    g_rings.erase(name);
}

std::vector<uint8_t> udp_frame(uint32_t flow, uint32_t seq, size_t size, bool reverse) {
    if (size < 14 + 20 + 8 + 8)
        size = 14 + 20 + 8 + 8;
    std::vector<uint8_t> f(size, 0);
    const uint8_t host_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
    std::memcpy(&f[0], reverse ? host_mac : peer_mac, 6);
    std::memcpy(&f[6], reverse ? peer_mac : host_mac, 6);
    put16(f, 12, 0x0800);
    size_t ip = 14;
    f[ip] = 0x45;
    put16(f, ip + 2, static_cast<uint16_t>(size - 14));
    f[ip + 8] = 64;
    f[ip + 9] = 17;
    uint32_t a = 0x0a000000u | (flow & 0xffffu), b = 0x0a010001u;
    put32(f, ip + 12, reverse ? b : a);
    put32(f, ip + 16, reverse ? a : b);
    size_t udp = ip + 20;
    uint16_t sport = static_cast<uint16_t>(1024 + flow % 50000), dport = 4789;
    put16(f, udp, reverse ? dport : sport);
    put16(f, udp + 2, reverse ? sport : dport);
    put16(f, udp + 4, static_cast<uint16_t>(size - 14 - 20));
    put32(f, udp + 8, flow);
    put32(f, udp + 12, seq);
    return f;
}

std::vector<uint8_t> ether_frame(uint16_t ether_type, size_t size) {
    std::vector<uint8_t> f(size < 60 ? 60 : size, 0);
    const uint8_t slow_mac[6] = {0x01, 0x80, 0xc2, 0, 0, 0x02};
    const uint8_t eapol_mac[6] = {0x01, 0x80, 0xc2, 0, 0, 0x03};
    std::memcpy(&f[0], ether_type == 0x8809 ? slow_mac : eapol_mac, 6);
    f[6] = 0x02;
    f[11] = 0x07;
    put16(f, 12, ether_type);
    f[14] = 0x01; // LACP subtype / EAPOL version
    f[15] = 0x01;
    return f;
}

bool read_flow(const rte_mbuf* m, flow_frame& out) {
    [[maybe_unused]] harness_mbuf_access quiet;
    if (m->data_len < 14 + 20 + 8 + 8)
        return false;
    const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
    if (p[12] != 0x08 || p[13] != 0x00 || p[23] != 17)
        return false;
    out.flow = get32(p + 42);
    out.seq = get32(p + 46);
    return true;
}

std::vector<uint8_t> frame_bytes(const rte_mbuf* m) {
    [[maybe_unused]] harness_mbuf_access quiet;
    const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
    return {p, p + m->data_len};
}

size_t inject(uint16_t port, const std::vector<std::vector<uint8_t>>& frames, uint16_t queue, rte_mempool* from) {
    [[maybe_unused]] harness_mbuf_access quiet;
    if (from == nullptr)
        from = pool();
    size_t sent = 0;
    std::vector<rte_mbuf*> batch;
    for (size_t i = 0; i < frames.size();) {
        batch.clear();
        for (; i < frames.size() && batch.size() < 32; ++i) {
            rte_mbuf* m = rte_pktmbuf_alloc(from);
            if (m == nullptr)
                break;
            char* d = rte_pktmbuf_append(m, static_cast<uint16_t>(frames[i].size()));
            std::memcpy(d, frames[i].data(), frames[i].size());
            batch.push_back(m);
        }
        if (batch.empty())
            break; // the pool is empty: nothing more can be sent
        uint16_t n = rte_eth_tx_burst(port, queue, batch.data(), static_cast<uint16_t>(batch.size()));
        sent += n;
        for (size_t k = n; k < batch.size(); ++k)
            rte_pktmbuf_free(batch[k]);
        if (n < batch.size())
            break;
    }
    return sent;
}

std::vector<rte_mbuf*> drain(uint16_t port, uint16_t queue) {
    [[maybe_unused]] harness_mbuf_access quiet;
    std::vector<rte_mbuf*> out;
    rte_mbuf* b[64];
    uint16_t n;
    while ((n = rte_eth_rx_burst(port, queue, b, 64)) > 0)
        out.insert(out.end(), b, b + n);
    return out;
}

void free_all(std::vector<rte_mbuf*>& v) {
    [[maybe_unused]] harness_mbuf_access quiet;
    for (rte_mbuf* m : v)
        rte_pktmbuf_free(m);
    v.clear();
}

namespace {
struct launched {
    int (*fn)(void*) = nullptr;
    void* arg = nullptr;
    int ret = 0;
    std::atomic<bool> go{false}, done{false};
};
launched g_launched[RTE_MAX_LCORE];

int trampoline(void* p) {
    auto* l = static_cast<launched*>(p);
    while (!l->go.load(std::memory_order_acquire)) {
    }
    l->ret = l->fn(l->arg);
    l->done.store(true, std::memory_order_release);
    return 0;
}
} // namespace

int launch_on(unsigned lcore, int (*fn)(void*), void* arg) {
    auto& l = g_launched[lcore];
    l.fn = fn;
    l.arg = arg;
    l.done.store(false, std::memory_order_relaxed);
    l.go.store(false, std::memory_order_relaxed);
    int r = rte_eal_remote_launch(trampoline, &l, lcore);
    l.go.store(true, std::memory_order_release);
    return r;
}

int wait_on(unsigned lcore) {
    auto& l = g_launched[lcore];
    rte_eal_wait_lcore(lcore);
    while (!l.done.load(std::memory_order_acquire)) {
    }
    return l.ret;
}

member_wire make_member_wire(const std::string& name) {
    member_wire w;
    // Multi-producer: the worker and control may send on one port.
    w.ab = rte_ring_create((name + "_ab").c_str(), 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
    w.ba = rte_ring_create((name + "_ba").c_str(), 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
    EXPECT_TRUE(w.ab && w.ba);
    rte_ring* a_tx[2] = {w.ab, w.ab};
    rte_ring* b_tx[2] = {w.ba, w.ba};
    int a = rte_eth_from_rings((name + "_a").c_str(), &w.ba, 1, a_tx, 2, SOCKET_ID_ANY);
    int b = rte_eth_from_rings((name + "_b").c_str(), &w.ab, 1, b_tx, 2, SOCKET_ID_ANY);
    EXPECT_GE(a, 0);
    EXPECT_GE(b, 0);
    net::port_setup s;
    s.rx_queues = 1;
    s.tx_queues = 2;
    s.pool = pool();
    for (int p : {a, b}) {
        auto r = net::configure_and_start(static_cast<uint16_t>(p), s);
        EXPECT_TRUE(r.ok()) << r.err().to_string();
    }
    w.a = static_cast<uint16_t>(a);
    w.b = static_cast<uint16_t>(b);
    return w;
}

void destroy_member_wire(member_wire& w) {
    for (uint16_t p : {w.a, w.b}) {
        auto left = drain(p);
        free_all(left);
        net::stop_and_close(p);
    }
    for (rte_ring* r : {w.ab, w.ba}) {
        void* m;
        while (rte_ring_dequeue(r, &m) == 0)
            rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        rte_ring_free(r);
    }
}


} // namespace lag::test
