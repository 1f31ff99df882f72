// The worker alone, driven with poll_once() on one thread, over net_ring
// wires: snapshots are built and sent by hand here (control's own tests are
// in test_control.cpp).
#include "dataplane/dataplane.hpp"
#include "dataplane/flow_hash.hpp"
#include "dp_env.hpp"
#include "dpdk/dpdk.hpp"

#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_ring_elem.h>

#include <cstring>
#include <map>
#include <optional>
#include <set>

using namespace lag;
using namespace lag::test;

namespace {

class worker_test : public ::testing::Test {
protected:
    static constexpr unsigned members = 3;

    void SetUp() override {
        static unsigned seq = 0;
        std::string tag = "w" + std::to_string(seq++);
        host = make_wire(tag + "acc");
        for (unsigned i = 0; i < members; ++i)
            mem.push_back(make_wire(tag + "m" + std::to_string(i)));
        auto r = dpdk::make_ring(tag + "ctl", 64, dp::control_message_size, dpdk::ring_sync::sp_sc);
        ASSERT_TRUE(r.ok());
        ctl = std::move(*r);
        auto p = dpdk::make_ring(tag + "punt", 64, sizeof(void*), dpdk::ring_sync::mp_sc);
        ASSERT_TRUE(p.ok());
        punt = std::move(*p);
        auto q = dpdk::make_qsbr(1);
        ASSERT_TRUE(q.ok());
        qsbr = std::move(*q);
    }

    void TearDown() override {
        w.reset();
        void* m;
        while (rte_ring_dequeue(punt.get(), &m) == 0)
            rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        destroy_wire(host);
        for (auto& x : mem)
            destroy_wire(x);
        EXPECT_EQ(pool_in_use(), 0u) << "mbufs leaked";
    }

    // access port = host.b (the host injects on host.a); member i = mem[i].a,
    // its partner side mem[i].b.
    dp::membership membership(std::vector<bool> up, unsigned min_links = 1,
                              dp::hash_policy policy = dp::hash_policy::l34) const {
        dp::membership m;
        m.access_port = host.b;
        for (auto& x : mem)
            m.member_ports.push_back(x.a);
        m.distributing = up;
        m.collecting = up;
        m.min_links = min_links;
        unsigned n = 0;
        for (bool b : up)
            n += b;
        m.lag_up = n >= std::max(1u, min_links);
        m.policy = policy;
        return m;
    }

    void start(std::vector<bool> up, unsigned min_links = 1) {
        snaps.push_back(dp::build_snapshot(membership(up, min_links), nullptr));
        ASSERT_NE(snaps.back(), nullptr);
        dp::worker_config c;
        c.initial = snaps.back().get();
        c.control_ring = ctl.get();
        c.punt_ring = punt.get();
        c.qsbr = qsbr.get();
        w = std::make_unique<dp::worker>(c);
    }

    void publish(std::vector<bool> up, unsigned min_links = 1) {
        snaps.push_back(dp::build_snapshot(membership(up, min_links), snaps.back().get()));
        dp::control_message msg{dp::message_kind::snapshot, 0, snaps.back().get()};
        ASSERT_EQ(rte_ring_sp_enqueue_elem(ctl.get(), &msg, sizeof msg), 0);
    }

    // Polls until the worker found nothing to do three times in a row.
    void settle() {
        for (int idle = 0; idle < 3;)
            idle = w->poll_once() == 0 ? idle + 1 : 0;
    }

    dp::port_totals totals(uint16_t port) const {
        dp::port_totals t;
        t.add(w->counters().ports[port]);
        return t;
    }

    // Sends frames of `flows` flows, `per_flow` each, from the host side and
    // returns flow -> member index as seen on the partner sides; checks each
    // flow used one member and arrived in order.
    std::map<uint32_t, unsigned> egress_round(uint32_t flows, uint32_t per_flow, uint32_t seq0,
                                              size_t* received = nullptr) {
        std::vector<std::vector<uint8_t>> frames;
        for (uint32_t s = 0; s < per_flow; ++s)
            for (uint32_t f = 0; f < flows; ++f)
                frames.push_back(udp_frame(f, seq0 + s, 64 + (f * 37) % 1400));
        size_t sent = 0;
        for (size_t off = 0; off < frames.size(); off += 1024) {
            std::vector<std::vector<uint8_t>> part(frames.begin() + off,
                                                   frames.begin() + std::min(frames.size(), off + 1024));
            sent += inject(host.a, part);
            settle();
            collect(seq0);
        }
        EXPECT_EQ(sent, frames.size());
        if (received != nullptr)
            *received = _received;
        _received = 0;
        auto out = std::move(_seen);
        _seen.clear();
        _next.clear();
        return out;
    }

    void collect(uint32_t seq0) {
        for (unsigned i = 0; i < members; ++i) {
            auto got = drain(mem[i].b);
            for (rte_mbuf* m : got) {
                flow_frame ff{};
                EXPECT_TRUE(read_flow(m, ff));
                auto [it, fresh] = _seen.emplace(ff.flow, i);
                EXPECT_EQ(it->second, i) << "flow " << ff.flow << " on two members";
                auto [nx, first] = _next.emplace(ff.flow, seq0);
                EXPECT_EQ(ff.seq, nx->second) << "flow " << ff.flow << " out of order or lost";
                nx->second = ff.seq + 1;
                ++_received;
            }
            free_all(got);
        }
    }

    wire host{};
    std::vector<wire> mem;
    dpdk::ring_ptr ctl, punt;
    dpdk::qsbr_ptr qsbr;
    std::vector<std::unique_ptr<const dp::snapshot>> snaps;
    std::unique_ptr<dp::worker> w;
    std::map<uint32_t, unsigned> _seen;
    std::map<uint32_t, uint32_t> _next;
    size_t _received = 0;
};

TEST_F(worker_test, forwards_many_flows_both_ways_one_member_per_flow) {
    start({true, true, true});
    size_t received = 0;
    auto seen = egress_round(600, 8, 0, &received);
    EXPECT_EQ(received, 600u * 8);
    ASSERT_EQ(seen.size(), 600u);
    std::array<unsigned, members> per_member{};
    for (auto [flow, m] : seen)
        ++per_member[m];
    for (unsigned i = 0; i < members; ++i)
        EXPECT_GT(per_member[i], 600u / members / 2) << "member " << i << " got too few flows";
    EXPECT_EQ(totals(host.b).rx_packets, 600u * 8);
    // Bytes: what the host sent, split over the members' TX counters.
    uint64_t want_bytes = 0, member_bytes = 0;
    for (uint32_t f = 0; f < 600; ++f)
        want_bytes += 8u * (64 + (f * 37) % 1400);
    for (unsigned i = 0; i < members; ++i)
        member_bytes += totals(mem[i].a).tx_bytes;
    EXPECT_EQ(totals(host.b).rx_bytes, want_bytes);
    EXPECT_EQ(member_bytes, want_bytes);

    // Ingress: every member's partner sends; all of it reaches the host.
    std::vector<std::vector<uint8_t>> frames;
    for (uint32_t f = 0; f < 300; ++f)
        frames.push_back(udp_frame(f, 0, 200, true));
    size_t sent = 0;
    for (unsigned i = 0; i < members; ++i)
        sent += inject(mem[i].b, frames);
    settle();
    auto back = drain(host.a);
    EXPECT_EQ(sent, 900u);
    EXPECT_EQ(back.size(), 900u);
    free_all(back);
    EXPECT_EQ(totals(host.b).tx_packets, 900u);
    EXPECT_EQ(totals(host.b).tx_bytes, 900u * 200);
    for (unsigned i = 0; i < members; ++i)
        EXPECT_EQ(totals(mem[i].a).rx_packets, 300u);
}

// The access port's RSS hash, as a NIC writes it into the mbuf (here the
// test writes it; net_ring hands the mbufs over untouched). With
// snapshot::nic_hash a flagged frame is bucketed by it, not by reading the
// frame; an unflagged one takes the software hash. Toeplitz l34 with rss_key
// is what a NIC with the standard key computes for these UDP frames, so a
// flow lands on the same member either way.
TEST_F(worker_test, nic_rss_hash_picks_the_member_and_unflagged_frames_take_the_software_hash) {
    auto m = membership({true, true, true});
    m.algo = dp::hash_algo::toeplitz;
    m.nic_hash = true;
    snaps.push_back(dp::build_snapshot(m, nullptr));
    ASSERT_NE(snaps.back(), nullptr);
    const dp::snapshot& s = *snaps.back();
    ASSERT_TRUE(s.nic_hash);
    dp::worker_config c;
    c.initial = &s;
    c.control_ring = ctl.get();
    c.punt_ring = punt.get();
    c.qsbr = qsbr.get();
    w = std::make_unique<dp::worker>(c);
    const dp::frame_hash_fn soft = dp::toeplitz_hash_function(dp::hash_policy::l34);
    // A hash every flow would go to member 2 by, whatever its headers say.
    uint32_t to_2 = 0;
    while (s.slot_for_hash(to_2) != 2)
        ++to_2;

    // mode 0: flagged, the true hash; 1: flagged, to_2; 2: not flagged
    for (int mode : {0, 1, 2}) {
        SCOPED_TRACE(mode);
        constexpr uint32_t flows = 200;
        std::map<uint32_t, unsigned> want;
        std::vector<rte_mbuf*> batch;
        for (uint32_t f = 0; f < flows; ++f) {
            auto bytes = udp_frame(f, 0, 128);
            rte_mbuf* mb = rte_pktmbuf_alloc(pool());
            ASSERT_NE(mb, nullptr);
            std::memcpy(rte_pktmbuf_append(mb, static_cast<uint16_t>(bytes.size())), bytes.data(), bytes.size());
            const uint32_t h = soft(bytes.data(), static_cast<uint32_t>(bytes.size()));
            if (mode != 2) {
                mb->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
                mb->hash.rss = mode == 0 ? h : to_2;
            }
            want[f] = mode == 1 ? 2u : s.slot_for_hash(h);
            batch.push_back(mb);
        }
        for (size_t off = 0; off < batch.size(); off += 32) {
            const auto k = static_cast<uint16_t>(std::min<size_t>(32, batch.size() - off));
            ASSERT_EQ(rte_eth_tx_burst(host.a, 0, batch.data() + off, k), k);
            settle();
        }
        std::map<uint32_t, unsigned> got;
        for (unsigned i = 0; i < members; ++i) {
            auto out = drain(mem[i].b);
            for (rte_mbuf* x : out) {
                flow_frame ff{};
                ASSERT_TRUE(read_flow(x, ff));
                got[ff.flow] = i;
            }
            free_all(out);
        }
        EXPECT_EQ(got, want);
    }
}

// snapshot::max_frame (the LAG's MTU + 14): a longer frame from the access
// port is dropped and counted as over_mtu, never sent; each VLAN tag (one
// or two) allows 4 octets more; 0 is no limit.
TEST_F(worker_test, frames_over_the_mtu_are_dropped_and_counted_never_sent) {
    auto frame = [](uint32_t flow, size_t len, unsigned tags) {
        auto f = udp_frame(flow, 0, len - 4 * tags);
        for (unsigned t = 0; t < tags; ++t) {
            const uint8_t tag[4] = {t == 0 && tags == 2 ? uint8_t{0x88} : uint8_t{0x81},
                                    t == 0 && tags == 2 ? uint8_t{0xa8} : uint8_t{0x00}, 0x00, uint8_t(5 + t)};
            f.insert(f.begin() + 12 + 4 * t, tag, tag + 4);
        }
        EXPECT_EQ(f.size(), len);
        return f;
    };
    auto m = membership({true, true, true});
    m.max_frame = 1514; // MTU 1500
    snaps.push_back(dp::build_snapshot(m, nullptr));
    ASSERT_NE(snaps.back(), nullptr);
    ASSERT_EQ(snaps.back()->max_frame, 1514u);
    dp::worker_config c;
    c.initial = snaps.back().get();
    c.control_ring = ctl.get();
    c.punt_ring = punt.get();
    c.qsbr = qsbr.get();
    w = std::make_unique<dp::worker>(c);
    auto sent_on_members = [&] {
        size_t got = 0;
        for (unsigned i = 0; i < members; ++i) {
            auto v = drain(mem[i].b);
            got += v.size();
            for (rte_mbuf* x : v)
                EXPECT_LE(x->pkt_len, 1522u);
            free_all(v);
        }
        return got;
    };
    // Per flow: one frame at the limit for its tags, one octet over it.
    std::vector<std::vector<uint8_t>> ok, over;
    for (uint32_t f = 0; f < 30; ++f) {
        const unsigned tags = f % 3;
        ok.push_back(frame(f, 1514 + 4 * tags, tags));
        over.push_back(frame(f, 1515 + 4 * tags, tags));
    }
    over.push_back(udp_frame(99, 0, 2000)); // far over
    ASSERT_EQ(inject(host.a, ok), ok.size());
    settle();
    EXPECT_EQ(sent_on_members(), ok.size());
    EXPECT_EQ(totals(host.b).drop(dp::drop_reason::over_mtu), 0u);
    ASSERT_EQ(inject(host.a, over), over.size());
    settle();
    EXPECT_EQ(sent_on_members(), 0u);
    EXPECT_EQ(totals(host.b).drop(dp::drop_reason::over_mtu), over.size());
    // Mixed in one burst with frames that fit: only the long ones go.
    std::vector<std::vector<uint8_t>> mixed;
    for (size_t i = 0; i < ok.size(); ++i) {
        mixed.push_back(ok[i]);
        mixed.push_back(over[i]);
    }
    ASSERT_EQ(inject(host.a, mixed), mixed.size());
    settle();
    EXPECT_EQ(sent_on_members(), ok.size());
    EXPECT_EQ(totals(host.b).drop(dp::drop_reason::over_mtu), over.size() + ok.size());
    EXPECT_EQ(totals(host.b).rx_bytes, [&] {
        uint64_t b = 0;
        for (const auto* v : {&ok, &over, &mixed})
            for (const auto& f : *v)
                b += f.size();
        return b;
    }()) << "a dropped frame's bytes are counted as received";
}

TEST_F(worker_test, member_leaving_moves_only_its_flows_and_loses_no_surviving_frame) {
    start({true, true, true});
    auto before = egress_round(900, 4, 0);
    publish({true, false, true});
    size_t received = 0;
    auto after = egress_round(900, 4, 4, &received);
    EXPECT_EQ(received, 900u * 4);
    unsigned moved = 0;
    for (auto [flow, m] : before) {
        if (m == 1) {
            EXPECT_NE(after[flow], 1u);
            ++moved;
        } else {
            EXPECT_EQ(after[flow], m) << "flow " << flow << " moved although its member stayed";
        }
    }
    EXPECT_GT(moved, 0u);
    EXPECT_EQ(w->counters().snapshots_applied.load(), 1u);
    // It comes back: it takes an even share and nothing else moves.
    publish({true, true, true});
    auto again = egress_round(900, 4, 8);
    for (auto [flow, m] : again)
        if (m != 1) {
            EXPECT_EQ(after[flow], m) << "flow " << flow << " moved to a member other than the joiner";
        }
}

TEST_F(worker_test, lag_down_drops_and_counts_egress) {
    start({true, true, true}, 2);
    publish({true, false, false}, 2); // one member left, min-links 2: down
    std::vector<std::vector<uint8_t>> frames;
    for (uint32_t f = 0; f < 100; ++f)
        frames.push_back(udp_frame(f, 0, 100));
    EXPECT_EQ(inject(host.a, frames), 100u);
    settle();
    EXPECT_EQ(totals(host.b).drop(dp::drop_reason::lag_down), 100u);
    for (unsigned i = 0; i < members; ++i)
        EXPECT_EQ(drain(mem[i].b).size(), 0u);
    publish({true, true, false}, 2); // back up
    EXPECT_EQ(inject(host.a, frames), 100u);
    settle();
    size_t got = 0;
    for (unsigned i = 0; i < members; ++i) {
        auto v = drain(mem[i].b);
        got += v.size();
        free_all(v);
    }
    EXPECT_EQ(got, 100u);
    EXPECT_EQ(totals(host.b).drop(dp::drop_reason::lag_down), 100u);
}

TEST_F(worker_test, slow_protocol_and_eapol_frames_are_punted_with_their_port) {
    start({true, false, true});
    std::vector<std::vector<uint8_t>> frames = {ether_frame(0x8809), udp_frame(1, 0), ether_frame(0x888E)};
    // Member 1 is not collecting: its LACPDU is still punted, its data dropped.
    for (unsigned i = 0; i < members; ++i)
        EXPECT_EQ(inject(mem[i].b, frames), 3u);
    settle();
    std::map<uint16_t, unsigned> by_port;
    void* obj;
    while (rte_ring_dequeue(punt.get(), &obj) == 0) {
        auto* m = static_cast<rte_mbuf*>(obj);
        uint16_t et = dp::outer_ether_type(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
        EXPECT_TRUE(et == dp::ether_type_slow || et == dp::ether_type_eapol);
        ++by_port[m->port];
        rte_pktmbuf_free(m);
    }
    for (unsigned i = 0; i < members; ++i) {
        EXPECT_EQ(by_port[mem[i].a], 2u);
        EXPECT_EQ(totals(mem[i].a).punted, 2u);
    }
    EXPECT_EQ(totals(mem[1].a).drop(dp::drop_reason::not_collecting), 1u);
    auto host_got = drain(host.a);
    EXPECT_EQ(host_got.size(), 2u); // the data frames of members 0 and 2
    EXPECT_EQ(totals(host.b).tx_bytes, 2u * frames[1].size());
    EXPECT_EQ(totals(mem[0].a).rx_bytes, frames[0].size() + frames[1].size() + frames[2].size());
    free_all(host_got);
}

TEST_F(worker_test, full_punt_ring_is_a_counted_drop) {
    start({true, true, true});
    std::vector<std::vector<uint8_t>> frames(200, ether_frame(0x8809));
    EXPECT_EQ(inject(mem[0].b, frames), 200u);
    settle();
    auto t = totals(mem[0].a);
    EXPECT_EQ(t.punted, rte_ring_get_capacity(punt.get()));
    EXPECT_EQ(t.punted + t.drop(dp::drop_reason::punt_full), 200u);
}

// A snapshot the worker must not trust: buckets with no member, slots past
// member_count, and a hash function that is none of crc32_hash_function's
// (the worker's generic per-frame loop). Those frames are freed and counted
// as no_member, the rest sent; nothing leaks (TearDown checks the pool).
uint32_t length_hash(const uint8_t*, uint32_t len) noexcept {
    return len;
}

TEST_F(worker_test, untrusted_snapshot_slots_are_dropped_and_counted) {
    start({true, true, true});
    for (bool crc : {true, false}) {
        SCOPED_TRACE(crc ? "crc32 inline loop" : "generic loop");
        auto bad = std::make_unique<dp::snapshot>(*snaps.back());
        bad->member_count = 2; // slot 2 is still in the table
        for (size_t b = 0; b < bad->slot_of_bucket.size(); b += 4)
            bad->slot_of_bucket[b] = dp::drop_slot;
        if (!crc)
            bad->hash = &length_hash;
        const dp::snapshot* sp = bad.get();
        snaps.push_back(std::move(bad));
        dp::control_message msg{dp::message_kind::snapshot, 0, sp};
        ASSERT_EQ(rte_ring_sp_enqueue_elem(ctl.get(), &msg, sizeof msg), 0);
        const auto before = totals(host.b);
        std::vector<std::vector<uint8_t>> frames;
        uint64_t bytes = 0, want_dropped = 0;
        for (uint32_t f = 0; f < 400; ++f) {
            frames.push_back(udp_frame(f, 0, 64 + f % 200));
            bytes += frames.back().size();
            const uint32_t h = crc ? sp->hash(frames.back().data(), static_cast<uint32_t>(frames.back().size()))
                                   : length_hash(nullptr, static_cast<uint32_t>(frames.back().size()));
            want_dropped += sp->slot_for_hash(h) >= 2;
        }
        ASSERT_EQ(inject(host.a, frames), frames.size());
        settle();
        size_t got = 0;
        for (unsigned i = 0; i < members; ++i) {
            auto v = drain(mem[i].b);
            if (i == 2) {
                EXPECT_EQ(v.size(), 0u);
            }
            got += v.size();
            free_all(v);
        }
        const auto after = totals(host.b);
        EXPECT_GT(want_dropped, 0u);
        EXPECT_EQ(got + want_dropped, 400u);
        EXPECT_EQ(after.drop(dp::drop_reason::no_member) - before.drop(dp::drop_reason::no_member), want_dropped);
        EXPECT_EQ(after.rx_bytes - before.rx_bytes, bytes);
    }
}

TEST_F(worker_test, member_that_cannot_take_frames_drops_and_counts_tx_full) {
    start({true, false, false}); // everything to member 0
    // Fill member 0's wire (ring of 4096 slots, 4095 usable) so it takes nothing more.
    std::vector<std::vector<uint8_t>> frames;
    for (uint32_t f = 0; f < 64; ++f)
        frames.push_back(udp_frame(f, 0, 64));
    size_t filled = 0;
    for (int k = 0; k < 80; ++k)
        filled += inject(mem[0].a, frames);
    ASSERT_EQ(filled, 4095u);
    EXPECT_EQ(inject(host.a, frames), 64u);
    settle();
    EXPECT_EQ(totals(mem[0].a).drop(dp::drop_reason::tx_full), 64u);
    EXPECT_EQ(totals(mem[0].a).tx_packets, 0u);
}

} // namespace
