// MKA on the control core, end to end inside one process: two systems A and
// B (each a static LAG: control + worker + macsec_driver + mka_driver with
// its own LAG model) joined by two member wires of net_ring ports. MKPDUs go
// out on a TX queue the worker does not use and come back through the
// worker's punt ring and the control's punt demultiplexer (EAPOL). With the
// same CAK every member's session secures on both ends and traffic crosses
// protected both ways (MACsec counters); with must_encrypt no member
// distributes before it is secured, and a wrong CAK never secures; with
// should_encrypt the clear passes until a session secures (and is refused
// while one is). The key server's
// cipher suite (XPN too) is the one both ends use. No member
// names its peer: receive SCs are learnt from the MKPDUs at run time. A rekey
// (operator's, or the PN threshold) in the middle of a steady stream loses no
// frame. Virtual time: `now` advances 50 ms per poll round.
#include "control/lacp_driver.hpp"
#include "control/macsec_driver.hpp"
#include "control/mka_driver.hpp"
#include "dp_env.hpp"
#include "mka/ipsecmb_crypto.hpp"
#include "port.hpp"

#include <gtest/gtest.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <chrono>
#include <cstdio>
#include <functional>

using namespace lag;
using namespace lag::test;

namespace {


constexpr uint16_t control_queue = 1;
constexpr size_t members = 2;

mac_addr member_mac(uint8_t system, size_t i) {
    return mac_addr{{0x02, 0x00, 0x00, 0x00, system, static_cast<uint8_t>(i + 1)}};
}

struct mka_system {
    model::lag_model model;
    std::unique_ptr<ctl::control> c;
    std::unique_ptr<ctl::queue_tx> tx;
    std::unique_ptr<ctl::protected_tx> lacp_tx; // LACPDUs through the member's SecY
    std::unique_ptr<ctl::macsec_driver> macsec;
    std::unique_ptr<mka::ipsecmb_crypto> crypto;
    std::unique_ptr<ctl::mka_driver> mka;
    std::unique_ptr<ctl::lacp_driver> lacp; // with_lacp: LACP is the default punt handler
    std::vector<uint16_t> ports;
    bool with_lacp = false;
    bool lacp_clear = false; // [lag.macsec] lacp = "clear": LACP beside MACsec
    uint64_t pn_threshold = 0;
    duration rekey_interval{0};
    cipher_suite suite = cipher_suite::gcm_aes_128;
    std::vector<cipher_suite> other_suites;
    ctl::encryption_mode mode = ctl::encryption_mode::must_encrypt;
    mka::confidentiality_offset offset = mka::confidentiality_offset::offset_0;

    void start(const std::string& prefix, uint16_t access, const std::vector<uint16_t>& mports, uint8_t self,
               uint8_t peer, const std::vector<uint8_t>& cak, time_point now) {
        ports = mports;
        std::vector<std::string> names;
        for (size_t i = 0; i < mports.size(); ++i) {
            names.push_back("m" + std::to_string(i));
            ASSERT_TRUE(model.add_port(names.back(), model::port_speed::g10));
        }
        ASSERT_TRUE(model.create_lag({.name = "lag0", .speed = model::port_speed::g10, .members = names,
                                      .min_links = 1}));
        ctl::control_config cfg;
        cfg.lag = "lag0";
        cfg.access_port = access;
        for (size_t i = 0; i < mports.size(); ++i)
            cfg.members.push_back({names[i], mports[i]});
        cfg.name_prefix = prefix;
        cfg.static_lag = !with_lacp;
        auto cr = ctl::control::create(model, cfg);
        ASSERT_TRUE(cr.ok()) << cr.err().to_string();
        c = std::move(*cr);
        auto md = ctl::macsec_driver::create(*c);
        ASSERT_TRUE(md.ok());
        macsec = std::move(*md);
        auto cp = mka::ipsecmb_crypto::create();
        ASSERT_TRUE(cp.ok());
        crypto = std::move(*cp);
        tx = std::make_unique<ctl::queue_tx>(pool(), control_queue, *c);
        ctl::mka_driver_config mc;
        mc.ckn = {0x96, 0x43, 0x7a, 0x93};
        mc.cak.assign(cak);
        mc.mode = mode;
        mc.suite = suite;
        mc.other_suites = other_suites;
        mc.offset = offset;
        mc.key_server_priority = self == 0x0a ? 1 : 2;
        mc.pn_threshold = pn_threshold;
        mc.rekey_interval = rekey_interval;
        mc.protect_slow_protocols = !lacp_clear;
        (void)peer;
        std::vector<ctl::mka_member> mm; // no peer SCI: learnt from the MKPDUs
        for (size_t i = 0; i < mports.size(); ++i)
            mm.push_back({names[i], mports[i], member_mac(self, i), 1});
        auto r = ctl::mka_driver::create(*c, *macsec, *crypto, mc, mm, *tx, now);
        ASSERT_TRUE(r.ok()) << r.err().to_string();
        mka = std::move(*r);
        if (with_lacp) { // after MKA, as dpdk-lagd: the first LACPDU already meets the SecY
            std::vector<ctl::lacp_member> lm;
            for (size_t i = 0; i < mports.size(); ++i)
                lm.push_back({names[i], mports[i], member_mac(self, i), static_cast<uint16_t>(i + 1)});
            mac_addr system{{0x02, 0x00, 0x00, 0x00, self, 0x00}};
            lacp_tx = std::make_unique<ctl::protected_tx>(*tx, *c);
            lacp_tx->set_driver([this] { return macsec.get(); });
            auto lr = ctl::lacp_driver::create(*c, model, {.system_id = system, .key = lacp::derive_key(1, 10'000)},
                                               lm, *lacp_tx, now);
            ASSERT_TRUE(lr.ok()) << lr.err().to_string();
            lacp = std::move(*lr);
        }
        // must_encrypt: the links are up, but nothing distributes unsecured.
        if (mode == ctl::encryption_mode::must_encrypt) {
            EXPECT_EQ(model.operational_members("lag0"), 0u);
        }
    }
    void poll(time_point now) {
        c->poll(now);
        c->worker(0).poll_once();
        mka->poll(now);
        if (lacp)
            lacp->poll(now);
        macsec->poll();
    }
    bool all_secured() const {
        for (size_t i = 0; i < members; ++i)
            if (!mka->secured(i))
                return false;
        return true;
    }
    void stop() {
        if (c)
            c->shutdown();
        if (macsec)
            macsec->shutdown();
        lacp.reset();
        mka.reset();
        macsec.reset();
        c.reset();
    }
};

const std::vector<uint8_t> cak_a = {0x13, 0x5b, 0xd7, 0x58, 0xb0, 0xee, 0x5c, 0x11,
                                    0xc5, 0x5f, 0xf6, 0xab, 0x19, 0xfd, 0xb1, 0x99};

class mka_control_test : public ::testing::Test {
protected:
    void start(const std::vector<uint8_t>& cak_b, bool with_lacp = false, bool lacp_clear = false) {
        a.with_lacp = with_lacp;
        b.with_lacp = with_lacp;
        a.lacp_clear = lacp_clear;
        b.lacp_clear = lacp_clear;
        static unsigned seq = 0;
        tag = "mk" + std::to_string(seq++);
        host_a = make_wire(tag + "ha");
        host_b = make_wire(tag + "hb");
        for (size_t i = 0; i < members; ++i)
            wires.push_back(make_member_wire(tag + "w" + std::to_string(i)));
        a.start(tag + "A", host_a.b, {wires[0].a, wires[1].a}, 0x0a, 0x0b, cak_a, now);
        b.start(tag + "B", host_b.b, {wires[0].b, wires[1].b}, 0x0b, 0x0a, cak_b, now);
    }
    void TearDown() override {
        a.stop();
        b.stop();
        destroy_wire(host_a);
        destroy_wire(host_b);
        for (auto& w : wires)
            destroy_member_wire(w);
        EXPECT_EQ(pool_in_use(), 0u) << "mbufs leaked";
    }
    void poll_both() {
        now += std::chrono::milliseconds(50);
        a.poll(now);
        b.poll(now);
    }
    // Polls until pred() or `limit` of virtual time passed.
    bool poll_until(const std::function<bool()>& pred, std::chrono::seconds limit) {
        auto end = now + limit;
        while (!pred()) {
            if (now > end)
                return false;
            poll_both();
        }
        return true;
    }
    // Sends `n` flows from one access side; returns how many reach the other.
    size_t cross(const wire& from, const wire& to, uint32_t n, uint32_t seq) {
        std::vector<std::vector<uint8_t>> frames;
        for (uint32_t f = 0; f < n; ++f)
            frames.push_back(udp_frame(f, seq, 96));
        EXPECT_EQ(inject(from.a, frames), n);
        size_t got = 0;
        for (int i = 0; i < 100 && got < n; ++i) {
            poll_both();
            auto r = drain(to.a);
            for (rte_mbuf* m : r) {
                flow_frame ff{};
                if (read_flow(m, ff) && ff.seq == seq)
                    ++got;
            }
            free_all(r);
        }
        return got;
    }
    // 802.1AE: OutPktsProtected counts integrity-only frames,
    // OutPktsEncrypted confidential ones; with encryption only the latter move.
    // LACP distributing on every member of both systems.
    bool lacp_all() const {
        for (const auto* s : {&a, &b})
            for (uint16_t i = 0; i < members; ++i)
                if (!s->lacp->group().status(i).distributing)
                    return false;
        return true;
    }
    // m1 leaves A as dpdk-lagd's remove member does it (control, LACP if
    // any, MKA), and its SecY once the control released the port.
    void remove_m1_from_a() {
        ASSERT_TRUE(a.c->remove_member("m1", now).ok());
        if (a.lacp)
            a.lacp->remove_member("m1", now);
        ASSERT_TRUE(a.mka->remove_member("m1").ok());
        EXPECT_EQ(a.mka->members().size(), 1u);
        EXPECT_TRUE(a.macsec->has_port(a.ports[1]));
        std::vector<uint16_t> released;
        for (int i = 0; i < 20 && released.empty(); ++i) {
            poll_both();
            released = a.c->take_released();
        }
        ASSERT_EQ(released, std::vector<uint16_t>{a.ports[1]});
        a.macsec->remove_port(a.ports[1]);
        poll_both();
    }
    // ... and joins again with A's CA: MKA (participant and SecY) first,
    // then control (gate closed under must_encrypt), then LACP if any.
    void add_m1_to_a() {
        ctl::mka_driver_config mc;
        mc.ckn = {0x96, 0x43, 0x7a, 0x93};
        mc.cak.assign(cak_a);
        mc.key_server_priority = 1;
        mc.protect_slow_protocols = !a.lacp_clear;
        ASSERT_TRUE(a.mka->add_member({"m1", a.ports[1], member_mac(0x0a, 1), 1}, mc, now).ok());
        EXPECT_FALSE(a.mka->gate_open_at_join());
        ASSERT_TRUE(a.c->add_member({"m1", a.ports[1]}, now, a.mka->gate_open_at_join()).ok());
        if (a.lacp) {
            ASSERT_TRUE(a.lacp->add_member({"m1", a.ports[1], member_mac(0x0a, 1), 2}, now).ok());
        }
    }
    uint64_t protected_out(const mka_system& s) const {
        uint64_t n = 0;
        for (uint16_t p : s.ports) {
            auto t = s.macsec->tx_totals(p);
            EXPECT_EQ(t.out_pkts_protected, 0u);
            n += t.out_pkts_encrypted;
        }
        return n;
    }
    uint64_t ok_in(const mka_system& s) const {
        uint64_t n = 0;
        for (uint16_t p : s.ports)
            n += s.macsec->rx_totals(p).in_pkts_ok;
        return n;
    }
    // A steady stream both ways: `per_round` flows each way every poll round
    // for `rounds` rounds (each_round(r) first), then rounds until all came
    // or 100 more passed. Returns frames sent and received, both ways summed.
    std::pair<size_t, size_t> stream(int rounds, uint32_t per_round, const std::function<void(int)>& each_round) {
        size_t sent = 0, got = 0;
        auto count = [&](const wire& to, uint32_t seq_lo) {
            auto r = drain(to.a);
            for (rte_mbuf* m : r) {
                flow_frame ff{};
                if (read_flow(m, ff) && ff.seq >= seq_lo)
                    ++got;
            }
            free_all(r);
        };
        const uint32_t base = 1000;
        for (int r = 0; r < rounds; ++r) {
            each_round(r);
            for (const wire* w : {&host_a, &host_b}) {
                std::vector<std::vector<uint8_t>> frames;
                for (uint32_t f = 0; f < per_round; ++f)
                    frames.push_back(udp_frame(f, base + static_cast<uint32_t>(r), 96));
                sent += inject(w->a, frames);
            }
            poll_both();
            count(host_a, base);
            count(host_b, base);
        }
        for (int i = 0; i < 100 && got < sent; ++i) {
            poll_both();
            count(host_a, base);
            count(host_b, base);
        }
        return {sent, got};
    }
    std::vector<int> ans(const mka_system& s) const {
        std::vector<int> v;
        for (size_t i = 0; i < members; ++i)
            v.push_back(s.mka->participant(i).latest_an() ? *s.mka->participant(i).latest_an() : -1);
        return v;
    }

    // A 20-round stream both ways crosses whole, and neither side had an SA
    // refused.
    void expect_whole_stream() {
        auto [sent, got] = stream(20, 8, [](int) {});
        EXPECT_EQ(got, sent);
        for (auto* s : {&a, &b})
            EXPECT_EQ(s->mka->counters().sa_failed, 0u);
    }
    // One side sends 16 flows while only it polls, so its protected frames
    // wait on the member wires to the other; they are copied (per wire, the
    // MACsec ones) and put back in order, then the other side takes them.
    std::vector<std::vector<std::vector<uint8_t>>> copy_protected(bool from_b, uint32_t seq) {
        std::vector<std::vector<std::vector<uint8_t>>> out(members);
        mka_system& sender = from_b ? b : a;
        std::vector<std::vector<uint8_t>> flows;
        for (uint32_t f = 0; f < 16; ++f)
            flows.push_back(udp_frame(f, seq, 96));
        EXPECT_EQ(inject((from_b ? host_b : host_a).a, flows), flows.size());
        for (int i = 0; i < 4; ++i) {
            now += std::chrono::milliseconds(50);
            sender.poll(now);
        }
        for (size_t w = 0; w < members; ++w) {
            rte_ring* r = from_b ? wires[w].ba : wires[w].ab;
            std::vector<rte_mbuf*> held(rte_ring_count(r));
            EXPECT_EQ(rte_ring_dequeue_bulk(r, reinterpret_cast<void**>(held.data()),
                                            static_cast<unsigned>(held.size()), nullptr),
                      held.size());
            for (rte_mbuf* m : held) {
                const auto* d = rte_pktmbuf_mtod(m, const uint8_t*);
                if (m->data_len >= 14 && d[12] == 0x88 && d[13] == 0xe5)
                    out[w].emplace_back(d, d + m->data_len);
            }
            EXPECT_EQ(rte_ring_enqueue_bulk(r, reinterpret_cast<void**>(held.data()),
                                            static_cast<unsigned>(held.size()), nullptr),
                      held.size());
        }
        for (int i = 0; i < 4; ++i)
            poll_both();
        auto drained = drain((from_b ? host_a : host_b).a);
        EXPECT_EQ(drained.size(), flows.size());
        free_all(drained);
        return out;
    }
    // The copies, sent again on the same wires in the same direction.
    void send_again(bool from_b) {
        for (size_t w = 0; w < members; ++w)
            EXPECT_EQ(inject(from_b ? wires[w].b : wires[w].a, copies[w]), copies[w].size());
    }

    // Members the copies cross.
    size_t copied_members() const {
        size_t n = 0;
        for (const auto& c : copies)
            n += c.empty() ? 0 : 1;
        return n;
    }

    std::vector<std::vector<std::vector<uint8_t>>> copies;
    std::string tag;
    wire host_a{}, host_b{};
    std::vector<member_wire> wires;
    time_point now{};
    mka_system a, b;
};

TEST_F(mka_control_test, same_cak_secures_every_member_and_traffic_crosses_protected_both_ways) {
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)))
        << "A secured " << a.mka->secured(0) << a.mka->secured(1) << " B secured " << b.mka->secured(0)
        << b.mka->secured(1) << " A out " << a.mka->counters().frames_out << " B in " << b.mka->counters().frames_in
        << " B dropped " << b.mka->counters().frames_dropped << " sa_failed " << a.mka->counters().sa_failed << "/"
        << b.mka->counters().sa_failed;
    // Let the gates open and the SAs reach the workers.
    for (int i = 0; i < 10; ++i)
        poll_both();
    for (auto* s : {&a, &b}) {
        EXPECT_EQ(s->model.operational_members("lag0"), members);
        EXPECT_EQ(s->mka->counters().sa_failed, 0u);
        EXPECT_EQ(s->mka->counters().apply_failed, 0u);
        EXPECT_EQ(s->mka->counters().tx_failed, 0u);
        EXPECT_EQ(s->mka->counters().frames_dropped, 0u);
        EXPECT_GT(s->mka->counters().frames_in, 0u);
        for (size_t i = 0; i < members; ++i)
            EXPECT_TRUE(s->mka->participant(i).latest_key().has_value());
    }
    // A (priority 1) is the key server on both members.
    EXPECT_TRUE(a.mka->participant(0).is_key_server());
    EXPECT_FALSE(b.mka->participant(0).is_key_server());
    // Each side learnt its partner's SCI on each member: one receive SC each.
    for (auto* s : {&a, &b}) {
        EXPECT_EQ(s->mka->counters().rx_scs_learnt, members);
        EXPECT_EQ(s->macsec->counters().rx_scs_added, members);
        for (size_t i = 0; i < members; ++i)
            EXPECT_TRUE(s->macsec->has_rx_sc(s->ports[i], macsec::make_sci(member_mac(s == &a ? 0x0b : 0x0a, i), 1)));
    }

    uint64_t a_out = protected_out(a), b_in = ok_in(b);
    EXPECT_EQ(cross(host_a, host_b, 64, 1), 64u);
    EXPECT_EQ(protected_out(a) - a_out, 64u);
    EXPECT_EQ(ok_in(b) - b_in, 64u);

    uint64_t b_out = protected_out(b), a_in = ok_in(a);
    EXPECT_EQ(cross(host_b, host_a, 64, 2), 64u);
    EXPECT_EQ(protected_out(b) - b_out, 64u);
    EXPECT_EQ(ok_in(a) - a_in, 64u);
}

TEST_F(mka_control_test, wrong_cak_never_secures_and_must_encrypt_never_distributes) {
    std::vector<uint8_t> wrong = cak_a;
    wrong[0] ^= 1;
    start(wrong);
    EXPECT_FALSE(poll_until([&] { return a.mka->secured(0) || a.mka->secured(1) || b.mka->secured(0) ||
                                         b.mka->secured(1); },
                            std::chrono::seconds(20)));
    for (auto* s : {&a, &b}) {
        EXPECT_EQ(s->model.operational_members("lag0"), 0u);
        EXPECT_FALSE(s->model.lag("lag0")->up);
        EXPECT_GT(s->mka->counters().frames_in, 0u);
        // Every MKPDU from the other side failed its ICV.
        EXPECT_EQ(s->mka->counters().frames_dropped, s->mka->counters().frames_in);
        for (size_t i = 0; i < members; ++i)
            EXPECT_FALSE(s->mka->participant(i).has_live_peers());
    }
    EXPECT_EQ(cross(host_a, host_b, 16, 3), 0u);
    EXPECT_EQ(protected_out(a), 0u);
}

TEST_F(mka_control_test, lacp_and_mka_share_the_punt_path_and_a_member_distributes_once_both_agree) {
    start(cak_a, true);
    ASSERT_TRUE(poll_until([&] { return lacp_all() && a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)))
        << "LACP " << lacp_all() << " A secured " << a.all_secured() << " B secured " << b.all_secured();
    for (int i = 0; i < 10; ++i)
        poll_both();
    for (auto* s : {&a, &b}) {
        // Each driver saw only its own frames: LACPDUs are all well formed,
        // MKPDUs all accepted.
        for (uint16_t i = 0; i < members; ++i)
            EXPECT_EQ(s->lacp->group().counters(i).illegal_rx, 0u);
        EXPECT_GT(s->lacp->counters().frames_in, 0u);
        EXPECT_GT(s->mka->counters().frames_in, 0u);
        EXPECT_EQ(s->mka->counters().frames_dropped, 0u);
        EXPECT_EQ(s->model.operational_members("lag0"), members);
    }
    // LACP on the SecYs' controlled ports: every LACPDU control sent since
    // the sessions secured left protected (the transmit SAs count them with
    // the data), none was refused since, and the workers verified the
    // peer's and punted them (a clear one would be InPktsNoTag).
    uint64_t a_out = protected_out(a), a_lacp = a.lacp->counters().frames_out;
    const uint64_t refused = a.c->totals(a.ports[0]).drop(dp::drop_reason::macsec_tx) +
                             a.c->totals(a.ports[1]).drop(dp::drop_reason::macsec_tx);
    EXPECT_EQ(cross(host_a, host_b, 64, 4), 64u);
    for (int i = 0; i < 40; ++i) // 2 s: two fast periodic LACPDUs per member
        poll_both();
    EXPECT_GE(a.lacp->counters().frames_out - a_lacp, 2u * members);
    EXPECT_EQ(protected_out(a) - a_out, 64u + (a.lacp->counters().frames_out - a_lacp));
    EXPECT_EQ(a.c->totals(a.ports[0]).drop(dp::drop_reason::macsec_tx) +
                  a.c->totals(a.ports[1]).drop(dp::drop_reason::macsec_tx),
              refused);
    for (uint16_t p : b.ports) {
        EXPECT_EQ(b.macsec->secy_totals(p).in_pkts_no_tag, 0u);
        EXPECT_GT(b.c->totals(p).macsec_tx[static_cast<size_t>(macsec::tx_status::protected_frame)], 0u);
    }
    // What left each member: the workers' data (tx_packets) and control's
    // frames (control_tx_packets): LACPDUs, protected like the data, and
    // MKPDUs, clear.
    for (size_t i = 0; i < members; ++i) {
        const auto t = a.c->totals(a.ports[i]);
        EXPECT_EQ(t.tx_packets + t.control_tx_packets,
                  t.macsec_tx[static_cast<size_t>(macsec::tx_status::protected_frame)] +
                      a.mka->participant(i).counters().mkpdus_sent)
            << "member " << i;
        EXPECT_GT(t.control_tx_packets, a.mka->participant(i).counters().mkpdus_sent) << "member " << i;
    }
}

TEST_F(mka_control_test, with_protected_lacp_nothing_converges_before_the_session_secures) {
    // must_encrypt and LACP inside MACsec: without an SA control sends no
    // LACPDU (each counted as a MACsec tx drop, no SA), so LACP never even
    // hears its partner while the CAKs differ.
    std::vector<uint8_t> wrong = cak_a;
    wrong[5] ^= 0x80;
    start(wrong, true);
    for (int i = 0; i < 200; ++i)
        poll_both();
    for (uint16_t i = 0; i < members; ++i) {
        EXPECT_FALSE(a.lacp->group().status(i).heard_partner.has_value());
        EXPECT_FALSE(a.lacp->group().status(i).distributing);
    }
    EXPECT_GT(a.lacp->counters().tx_failed, 0u);
    const auto t = a.c->totals(a.ports[0]);
    EXPECT_GT(t.drop(dp::drop_reason::macsec_tx), 0u);
    EXPECT_EQ(t.macsec_tx[static_cast<size_t>(macsec::tx_status::drop_no_sa)], t.drop(dp::drop_reason::macsec_tx));
    EXPECT_EQ(a.model.operational_members("lag0"), 0u);
    EXPECT_EQ(cross(host_a, host_b, 16, 5), 0u);
}

TEST_F(mka_control_test, with_lacp_clear_a_wrong_cak_keeps_lacp_members_from_distributing) {
    std::vector<uint8_t> wrong = cak_a;
    wrong[5] ^= 0x80;
    start(wrong, true, true);
    // LACP beside MACsec (lacp = "clear") agrees on both members, but
    // must_encrypt holds them back.
    ASSERT_TRUE(poll_until([&] { return a.lacp->group().status(0).distributing && a.lacp->group().status(1).distributing; },
                           std::chrono::seconds(30)));
    for (int i = 0; i < 100; ++i)
        poll_both();
    EXPECT_FALSE(a.mka->secured(0) || a.mka->secured(1));
    EXPECT_EQ(a.model.operational_members("lag0"), 0u);
    EXPECT_EQ(b.model.operational_members("lag0"), 0u);
    EXPECT_EQ(cross(host_a, host_b, 16, 5), 0u);
}

TEST_F(mka_control_test, a_rekey_in_a_steady_stream_both_ways_loses_no_frame) {
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    const auto before_a = ans(a), before_b = ans(b);
    EXPECT_EQ(before_a, before_b);
    // B is not the key server: refused, with the reason.
    auto no = b.mka->rekey(0, now);
    ASSERT_FALSE(no.ok());
    EXPECT_EQ(no.err().code, "mka-not-key-server");
    const uint64_t freed = a.macsec->counters().sas_freed + b.macsec->counters().sas_freed;
    bool always_secured = true;
    auto [sent, got] = stream(80, 4, [&](int r) {
        if (r == 20) {
            for (size_t i = 0; i < members; ++i) {
                EXPECT_TRUE(a.mka->rekey(i, now).ok());
            }
        }
        always_secured = always_secured && a.all_secured() && b.all_secured();
    });
    EXPECT_EQ(got, sent) << "frames lost across the rekey";
    EXPECT_EQ(sent, 80u * 4 * 2);
    EXPECT_TRUE(always_secured);
    EXPECT_EQ(a.mka->counters().rekeys, members);
    const auto after_a = ans(a), after_b = ans(b);
    EXPECT_EQ(after_a, after_b);
    for (size_t i = 0; i < members; ++i)
        EXPECT_EQ(after_a[i], (before_a[i] + 1) % 4) << "member " << i;
    // The old SAs were retired once the peer moved, and freed after QSBR.
    EXPECT_GT(a.macsec->counters().sas_freed + b.macsec->counters().sas_freed, freed);
    for (auto* s : {&a, &b}) {
        EXPECT_EQ(s->mka->counters().sa_failed, 0u);
        EXPECT_EQ(s->model.operational_members("lag0"), members);
        for (uint16_t p : s->ports) {
            EXPECT_EQ(s->macsec->rx_totals(p).in_pkts_not_using_sa, 0u);
            EXPECT_EQ(s->macsec->rx_totals(p).in_pkts_not_valid, 0u);
        }
    }
}

TEST_F(mka_control_test, the_pn_threshold_rotates_the_sak_with_traffic_flowing_and_no_frame_lost) {
    a.pn_threshold = 150;
    b.pn_threshold = 150;
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    const auto before = ans(a);
    const uint64_t mkpdus_before = a.mka->counters().frames_out + b.mka->counters().frames_out;
    // 8 flows each way per round over 2 members: about 4 PNs per member SA
    // per round, the threshold crossed more than once.
    auto [sent, got] = stream(120, 8, [](int) {});
    // The data path reports the PN on every poll; MKPDUs stay at the hello
    // rate plus the rotations' own (no MKPDU per poll while over the threshold).
    const uint64_t mkpdus = a.mka->counters().frames_out + b.mka->counters().frames_out - mkpdus_before;
    EXPECT_LT(mkpdus, 120u) << mkpdus << " MKPDUs in 6 s of virtual time on 2 members";
    EXPECT_EQ(got, sent) << "frames lost across the rotations";
    const auto after = ans(a);
    EXPECT_EQ(after, ans(b));
    for (size_t i = 0; i < members; ++i)
        EXPECT_NE(after[i], before[i]) << "member " << i << " never rotated";
    EXPECT_GT(a.macsec->counters().pn_near_exhaustion + b.macsec->counters().pn_near_exhaustion, 0u);
    for (auto* s : {&a, &b}) {
        EXPECT_TRUE(s->all_secured());
        EXPECT_EQ(s->mka->counters().sa_failed, 0u);
        for (uint16_t p : s->ports)
            EXPECT_EQ(s->macsec->secy_totals(p).out_pkts_pn_exhausted, 0u);
    }
}

// The SAK rekey interval through the driver, with frames flowing both ways:
// A (the key server) rotates every member's SAK every 2 s of virtual time,
// B's interval would rotate nothing (it is not the key server), no frame is
// lost; set to zero at run time, the rotations stop.
TEST_F(mka_control_test, the_rekey_interval_rotates_every_members_sak_in_a_steady_stream_without_loss) {
    a.rekey_interval = std::chrono::seconds(2);
    b.rekey_interval = std::chrono::seconds(1);
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    auto rotations = [](const mka_system& s) {
        uint64_t n = 0;
        for (size_t i = 0; i < members; ++i)
            n += s.mka->participant(i).counters().interval_rekeys;
        return n;
    };
    const uint64_t before = rotations(a);
    const time_point t0 = now;
    auto [sent, got] = stream(120, 4, [](int) {});
    EXPECT_EQ(got, sent) << "frames lost across the interval rotations";
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - t0).count();
    ASSERT_GE(secs, 5) << "the stream ran " << secs << " s of virtual time";
    // at least one rotation per member per full interval in the stream
    EXPECT_GE(rotations(a) - before, members * static_cast<uint64_t>(secs / 2 - 1));
    EXPECT_EQ(rotations(b), 0u) << "only the key server's interval rotates";
    EXPECT_EQ(ans(a), ans(b));
    for (auto* s : {&a, &b})
        EXPECT_TRUE(s->all_secured());
    a.mka->set_rekey_interval(duration::zero());
    const uint64_t stopped = rotations(a);
    const auto keys = ans(a);
    auto [sent2, got2] = stream(120, 4, [](int) {});
    EXPECT_EQ(got2, sent2);
    EXPECT_EQ(rotations(a), stopped);
    EXPECT_EQ(ans(a), keys);
}

TEST_F(mka_control_test, sak_use_tells_the_peer_the_pn_its_receive_sas_accept) {
    // The workers publish each receive SA's lowest acceptable PN; the MKA
    // driver feeds it, and the transmit SA's next PN, to the member's
    // participant, whose SAK Use carries the higher of both (wpa_supplicant
    // after 2.10 starts a transmit SA it puts back under the same key there). With no
    // replay window the receive SA's is the PN after the last frame
    // verified: the far end's transmit next PN once the stream stopped.
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    auto [sent, got] = stream(40, 8, [](int) {});
    EXPECT_EQ(got, sent);
    // then A alone: its transmit PNs pass B's, so each side's report is the
    // higher one only if it takes both (B: what it receives, A: what it sends)
    EXPECT_EQ(cross(host_a, host_b, 64, 7), 64u);
    for (int i = 0; i < 50; ++i) // 2.5 s: a hello from every participant
        poll_both();
    uint64_t highest = 0;
    for (const auto& pair : {std::pair{&a, &b}, std::pair{&b, &a}}) {
        const mka_system& self = *pair.first;
        const mka_system& far = *pair.second;
        for (size_t i = 0; i < members; ++i) {
            const auto an = self.mka->participant(i).latest_an();
            ASSERT_TRUE(an);
            const auto* sa = self.macsec->tx_sa_of(self.ports[i], *an);
            ASSERT_NE(sa, nullptr);
            const auto rx = far.macsec->rx_sa_totals(far.ports[i], *an);
            ASSERT_TRUE(rx);
            EXPECT_EQ(rx->lowest_pn, sa->next_pn()) << "member " << i;
            const auto peers = self.mka->participant(i).peers();
            ASSERT_EQ(peers.size(), 1u);
            ASSERT_TRUE(peers[0].lowest_acceptable_pn) << "member " << i;
            const auto* far_sa = far.macsec->tx_sa_of(far.ports[i], *an);
            ASSERT_NE(far_sa, nullptr);
            EXPECT_EQ(*peers[0].lowest_acceptable_pn, std::max(sa->next_pn(), far_sa->next_pn()))
                << "member " << i << ": ours " << sa->next_pn() << ", the far end's " << far_sa->next_pn();
            highest = std::max(highest, sa->next_pn());
        }
    }
    EXPECT_GT(highest, 40u) << "the stream used the SAs";
}

TEST_F(mka_control_test, the_key_server_gives_a_member_whose_link_came_back_a_new_sak) {
    // The session outlives a short link loss (the peer keeps us live for a
    // life time), but the peer may have put its transmit SA back under the
    // same key: the key server (A, priority 1) distributes a new SAK for
    // that member only. B, not the key server, asks for nothing.
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    ASSERT_TRUE(a.mka->participant(1).is_key_server());
    const auto k0 = *a.mka->participant(0).latest_key();
    const auto k1 = *a.mka->participant(1).latest_key();
    ASSERT_EQ(rte_eth_dev_set_link_down(wires[1].a), 0);
    ASSERT_EQ(rte_eth_dev_set_link_down(wires[0].b), 0);
    for (int i = 0; i < 20; ++i) // 1 s: less than a life time
        poll_both();
    EXPECT_TRUE(a.mka->participant(1).has_live_peers());
    EXPECT_EQ(a.mka->counters().link_rekeys, 0u) << "nothing while down";
    ASSERT_EQ(rte_eth_dev_set_link_up(wires[1].a), 0);
    ASSERT_EQ(rte_eth_dev_set_link_up(wires[0].b), 0);
    ASSERT_TRUE(poll_until(
        [&] {
            return a.all_secured() && b.all_secured() && !(*b.mka->participant(1).latest_key() == k1) &&
                   ans(a) == ans(b);
        },
        std::chrono::seconds(10)));
    EXPECT_EQ(a.mka->counters().link_rekeys, 1u);
    EXPECT_EQ(b.mka->counters().link_rekeys, 0u);
    const auto n1 = *a.mka->participant(1).latest_key();
    EXPECT_EQ(n1.mi, k1.mi);
    EXPECT_EQ(n1.kn, k1.kn + 1);
    EXPECT_EQ(*a.mka->participant(0).latest_key(), k0) << "member 0's link flapped on B only";
    expect_whole_stream();
}

TEST_F(mka_control_test, the_key_server_rotates_when_the_peer_sends_pns_already_taken) {
    // wpa_supplicant 2.10 puts its transmit SA back under the same key from
    // PN 1 when its link returns. B's own protected frames, copied off the
    // member wires and sent again, show A (key server) the same: late drops
    // while its receive SA takes nothing new. Mixed into a fresh stream
    // (late drops while new frames are taken: reordering, a replayer) they
    // rotate nothing, nor within a life time of the last such rotation.
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    ASSERT_TRUE(a.mka->participant(0).is_key_server());
    auto capture = [&](uint32_t seq) { copies = copy_protected(true, seq); };
    auto replay = [&] { send_again(true); };
    capture(1);
    const size_t replayed = copied_members();
    ASSERT_GT(replayed, 0u);
    const auto keys = ans(a);
    // the copies inside a fresh stream from B: frames taken and frames late
    // in the same reading
    auto [sent, got] = stream(10, 8, [&](int r) {
        if (r == 5)
            replay();
    });
    EXPECT_EQ(got, sent);
    EXPECT_EQ(a.mka->counters().replay_rekeys, 0u) << "late drops amid taken frames rotate nothing";
    EXPECT_EQ(ans(a), keys);
    // the copies alone: every member they cross rotates
    replay();
    ASSERT_TRUE(poll_until(
        [&] { return a.mka->counters().replay_rekeys == replayed && ans(a) == ans(b) && a.all_secured(); },
        std::chrono::seconds(10)));
    for (size_t w = 0; w < members; ++w)
        EXPECT_EQ(ans(a)[w] != keys[w], !copies[w].empty()) << "member " << w;
    // B's frames under the new keys, sent again within a life time of that
    // rotation: none more; after it: again
    const auto keys2 = ans(a);
    ASSERT_TRUE(poll_until(
        [&] {
            for (size_t w = 0; w < members; ++w)
                if (b.macsec->status(b.ports[w])->encoding_an != keys2[w])
                    return false;
            return true;
        },
        std::chrono::seconds(10)))
        << "B transmits with the new keys";
    capture(2);
    replay();
    for (int i = 0; i < 20; ++i)
        poll_both();
    EXPECT_EQ(a.mka->counters().replay_rekeys, replayed);
    EXPECT_EQ(ans(a), keys2);
    uint64_t late = 0;
    for (size_t w = 0; w < members; ++w)
        late += a.macsec->rx_sa_totals(a.ports[w], static_cast<uint8_t>(keys2[w])).value_or(ctl::macsec_driver::rx_sa_status{}).late;
    EXPECT_GT(late, 0u) << "the copies were late under the new keys";
    for (int i = 0; i < 100; ++i) // 5 s: past the life time
        poll_both();
    const size_t again = copied_members();
    replay();
    ASSERT_TRUE(poll_until([&] { return a.mka->counters().replay_rekeys == replayed + again && ans(a) == ans(b); },
                           std::chrono::seconds(10)));
    EXPECT_EQ(b.mka->counters().replay_rekeys, 0u);
    expect_whole_stream();
}

TEST_F(mka_control_test, a_participant_not_the_key_server_asks_for_a_new_sak_when_the_peer_sends_pns_already_taken) {
    // The same seen from B (not the key server): A's frames sent again. B's
    // SAK Use reports a PN past the exhaustion threshold for the latest key,
    // and A rotates the member's key on it.
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    ASSERT_FALSE(b.mka->participant(0).is_key_server());
    copies = copy_protected(false, 1);
    const size_t replayed = copied_members();
    ASSERT_GT(replayed, 0u);
    const auto keys = ans(a);
    const uint64_t generated = a.mka->participant(0).counters().saks_generated +
                               a.mka->participant(1).counters().saks_generated;
    send_again(false);
    ASSERT_TRUE(poll_until(
        [&] { return b.mka->counters().replay_rekeys == replayed && ans(a) == ans(b) && ans(a) != keys; },
        std::chrono::seconds(10)));
    for (size_t w = 0; w < members; ++w)
        EXPECT_EQ(ans(a)[w] != keys[w], !copies[w].empty()) << "member " << w;
    EXPECT_EQ(a.mka->participant(0).counters().saks_generated + a.mka->participant(1).counters().saks_generated,
              generated + replayed);
    EXPECT_EQ(a.mka->counters().replay_rekeys, 0u);
    EXPECT_EQ(b.mka->participant(0).counters().saks_generated, 0u);
    // the new key's SAK Use is back to what B's SAs are at: nothing more rotates
    for (int i = 0; i < 100; ++i)
        poll_both();
    EXPECT_EQ(a.mka->participant(0).counters().saks_generated + a.mka->participant(1).counters().saks_generated,
              generated + replayed);
    auto [sent, got] = stream(20, 8, [](int) {});
    EXPECT_EQ(got, sent);
}

TEST_F(mka_control_test, the_key_servers_cipher_suite_is_used_by_both_ends_xpn_too) {
    const std::vector<cipher_suite> all = {cipher_suite::gcm_aes_128, cipher_suite::gcm_aes_256,
                                           cipher_suite::gcm_aes_xpn_128, cipher_suite::gcm_aes_xpn_256};
    a.suite = cipher_suite::gcm_aes_xpn_256; // A is the key server (priority 1)
    a.other_suites = all;
    b.suite = cipher_suite::gcm_aes_128; // B prefers another, accepts the key server's
    b.other_suites = all;
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    for (auto* s : {&a, &b})
        for (size_t i = 0; i < members; ++i) {
            ASSERT_TRUE(s->mka->participant(i).suite_in_use().has_value());
            EXPECT_EQ(*s->mka->participant(i).suite_in_use(), cipher_suite::gcm_aes_xpn_256);
        }
    EXPECT_EQ(cross(host_a, host_b, 64, 7), 64u);
    EXPECT_EQ(cross(host_b, host_a, 64, 8), 64u);
    for (auto* s : {&a, &b}) {
        EXPECT_EQ(s->mka->counters().sa_failed, 0u);
        EXPECT_EQ(ok_in(*s), 64u);
    }
}

TEST_F(mka_control_test, should_encrypt_passes_the_clear_until_a_session_secures) {
    a.mode = b.mode = ctl::encryption_mode::should_encrypt;
    std::vector<uint8_t> wrong = cak_a;
    wrong[3] ^= 0x10;
    start(wrong); // no MKA peer ever answers
    for (int i = 0; i < 100; ++i)
        poll_both();
    EXPECT_FALSE(a.mka->secured(0) || a.mka->secured(1));
    EXPECT_EQ(a.model.operational_members("lag0"), members);
    EXPECT_EQ(cross(host_a, host_b, 32, 9), 32u);
    EXPECT_EQ(cross(host_b, host_a, 32, 10), 32u);
    uint64_t untagged = 0;
    for (uint16_t p : a.ports)
        untagged += a.macsec->secy_totals(p).out_pkts_untagged;
    EXPECT_EQ(untagged, 32u);
    EXPECT_EQ(protected_out(a), 0u);
}

TEST_F(mka_control_test, should_encrypt_encrypts_once_secured) {
    a.mode = b.mode = ctl::encryption_mode::should_encrypt;
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    uint64_t a_out = protected_out(a), b_in = ok_in(b);
    EXPECT_EQ(cross(host_a, host_b, 64, 11), 64u);
    EXPECT_EQ(protected_out(a) - a_out, 64u);
    EXPECT_EQ(ok_in(b) - b_in, 64u);
}

TEST_F(mka_control_test, should_encrypt_refuses_the_clear_once_secured_and_takes_it_again_when_the_peer_is_gone) {
    // 802.1X's CP (wpa_supplicant, and the kernel's macsec it drives):
    // validate check while unsecured, strict once secured.
    a.mode = b.mode = ctl::encryption_mode::should_encrypt;
    start(cak_a);
    for (uint16_t p : a.ports)
        EXPECT_EQ(a.macsec->validate_of(p), macsec::validate_frames::check);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    for (auto* s : {&a, &b})
        for (uint16_t p : s->ports)
            EXPECT_EQ(s->macsec->validate_of(p), macsec::validate_frames::strict);
    EXPECT_EQ(cross(host_b, host_a, 32, 40), 32u); // protected
    // B's MACsec goes off (its operator's `unset lag lag0 macsec`): B sends
    // the clear while A's session is still secured.
    b.mka->stop(now);
    auto no_tag = [&] {
        uint64_t n = 0;
        for (uint16_t p : a.ports)
            n += a.macsec->secy_totals(p).in_pkts_no_tag;
        return n;
    };
    const uint64_t before = no_tag();
    ASSERT_TRUE(a.all_secured());
    EXPECT_EQ(cross(host_b, host_a, 32, 41), 0u);
    EXPECT_EQ(no_tag() - before, 32u);
    // B's participant is gone after its life time: not secured, the clear
    // passes again.
    ASSERT_TRUE(poll_until([&] { return !a.mka->secured(0) && !a.mka->secured(1); }, std::chrono::seconds(10)));
    for (uint16_t p : a.ports)
        EXPECT_EQ(a.macsec->validate_of(p), macsec::validate_frames::check);
    EXPECT_EQ(cross(host_b, host_a, 32, 42), 32u);
}

ctl::mka_driver_config new_key_config(const std::vector<uint8_t>& cak, uint8_t priority) {
    ctl::mka_driver_config mc;
    mc.ckn = {0x0e, 0x0f};
    mc.cak.assign(cak);
    mc.key_server_priority = priority;
    return mc;
}

const std::vector<uint8_t> cak_new = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
                                      0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0};

TEST_F(mka_control_test, a_new_cak_on_both_ends_rekeys_every_member_without_losing_a_frame) {
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    const auto old_an = ans(a);
    const auto old_mi = a.mka->participant(0).mi();
    bool gates_open = true;
    // A takes the new key at round 10, B (its operator a little later) at round 30.
    auto [sent, got] = stream(400, 2, [&](int r) {
        if (r == 10) {
            EXPECT_TRUE(a.mka->change_key(new_key_config(cak_new, 1), now).ok());
        }
        if (r == 30) {
            EXPECT_TRUE(b.mka->change_key(new_key_config(cak_new, 2), now).ok());
        }
        gates_open = gates_open && a.model.operational_members("lag0") == members &&
                     b.model.operational_members("lag0") == members;
    });
    EXPECT_EQ(got, sent) << "frames lost across the key change";
    EXPECT_TRUE(gates_open) << "a member stopped distributing during the key change";
    EXPECT_TRUE(a.all_secured() && b.all_secured());
    EXPECT_NE(a.mka->participant(0).mi(), old_mi);
    const auto new_an = ans(a);
    EXPECT_EQ(new_an, ans(b));
    for (size_t i = 0; i < members; ++i) {
        EXPECT_EQ(new_an[i], (old_an[i] + 1) % 4) << "member " << i;
        // The old CA's SAs are gone (retired a life time after the new session secured).
        EXPECT_EQ(a.macsec->tx_sa_of(a.ports[i], static_cast<uint8_t>(old_an[i])), nullptr);
    }
    EXPECT_EQ(a.mka->counters().key_changes, 1u);
    EXPECT_EQ(a.mka->counters().sa_failed, 0u);
}

TEST_F(mka_control_test, a_new_cak_the_far_end_never_takes_closes_the_member_after_the_grace) {
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    ASSERT_TRUE(a.mka->change_key(new_key_config(cak_new, 1), now).ok());
    // Until the grace ends the old SAs carry the traffic.
    EXPECT_EQ(cross(host_a, host_b, 16, 20), 16u);
    EXPECT_EQ(a.model.operational_members("lag0"), members);
    poll_until([] { return false; }, std::chrono::seconds(31));
    EXPECT_FALSE(a.mka->secured(0) || a.mka->secured(1));
    EXPECT_EQ(a.model.operational_members("lag0"), 0u); // must_encrypt: out
    EXPECT_EQ(cross(host_a, host_b, 16, 21), 0u);
}

mka::chain_key chain_key_of(const std::vector<uint8_t>& ckn, const std::vector<uint8_t>& cak, time_point start) {
    mka::chain_key k;
    k.ckn = ckn;
    k.cak.assign(cak);
    k.start = start;
    return k;
}

constexpr char hex_digits[] = "0123456789abcdef";

std::string ckn_in_use(const ctl::mka_driver& d, size_t member) {
    auto c = d.chain(member).ckn_in_use();
    std::string s;
    if (c)
        for (auto b : c->view())
            s += hex_digits[b >> 4], s += hex_digits[b & 15];
    return s;
}

mka::key_state state_of(const ctl::mka_driver& d, size_t member, const std::vector<uint8_t>& ckn) {
    for (const auto& k : d.chain(member).keys())
        if (std::equal(k.ckn.view().begin(), k.ckn.view().end(), ckn.begin(), ckn.end()))
            return k.state;
    ADD_FAILURE() << "no such key";
    return mka::key_state::disassociated;
}

const std::vector<uint8_t> ckn_two = {0x96, 0x43, 0x7a, 0x94};

TEST_F(mka_control_test, a_key_added_to_the_chain_on_both_ends_takes_over_without_losing_a_frame) {
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    bool gates_open = true;
    // A takes the new key at round 10, B a little later at round 30.
    auto [sent, got] = stream(400, 2, [&](int r) {
        if (r == 10) {
            EXPECT_TRUE(a.mka->add_key(chain_key_of(ckn_two, cak_new, now), now).ok());
            EXPECT_EQ(state_of(*a.mka, 0, ckn_two), mka::key_state::associating);
        }
        if (r == 30) {
            EXPECT_TRUE(b.mka->add_key(chain_key_of(ckn_two, cak_new, now), now).ok());
        }
        gates_open = gates_open && a.model.operational_members("lag0") == members &&
                     b.model.operational_members("lag0") == members;
    });
    EXPECT_EQ(got, sent) << "frames lost across the rollover";
    EXPECT_TRUE(gates_open) << "a member stopped distributing during the rollover";
    for (auto* s : {&a, &b})
        for (size_t i = 0; i < members; ++i) {
            EXPECT_EQ(ckn_in_use(*s->mka, i), "96437a94") << "member " << i;
            EXPECT_EQ(state_of(*s->mka, i, ckn_two), mka::key_state::associated);
            EXPECT_EQ(state_of(*s->mka, i, {0x96, 0x43, 0x7a, 0x93}), mka::key_state::disassociated);
            EXPECT_EQ(s->mka->chain(i).counters().rollovers, 1u);
            EXPECT_EQ(s->mka->chain(i).participants().size(), 1u); // the old CA's participant ended
        }
    EXPECT_EQ(a.mka->counters().sa_failed, 0u);
    EXPECT_EQ(b.mka->counters().sa_failed, 0u);
    // The old key can go now; the one in use cannot be the last.
    EXPECT_TRUE(a.mka->remove_key(std::vector<uint8_t>{0x96, 0x43, 0x7a, 0x93}, now).ok());
    EXPECT_FALSE(a.mka->remove_key(ckn_two, now).ok());
    expect_whole_stream();
}

TEST_F(mka_control_test, a_key_the_far_end_never_takes_keeps_the_old_one_securing) {
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    ASSERT_TRUE(a.mka->add_key(chain_key_of(ckn_two, cak_new, now), now).ok());
    EXPECT_FALSE(a.mka->add_key(chain_key_of(ckn_two, cak_new, now), now).ok()); // one CKN once
    poll_until([] { return false; }, std::chrono::seconds(45));
    EXPECT_TRUE(a.all_secured() && b.all_secured());
    EXPECT_EQ(a.model.operational_members("lag0"), members);
    for (size_t i = 0; i < members; ++i) {
        EXPECT_EQ(ckn_in_use(*a.mka, i), "96437a93");
        EXPECT_EQ(state_of(*a.mka, i, ckn_two), mka::key_state::associating);
    }
    expect_whole_stream();
}

TEST_F(mka_control_test, mka_lost_under_clear_lacp_takes_a_must_encrypt_member_out_with_lacp_still_up) {
    // SONiC's case: MACsec down, LACP (beside it, lacp = "clear") still up.
    start(cak_a, true, true);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured() && lacp_all(); },
                           std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    ASSERT_EQ(a.model.operational_members("lag0"), members);
    // B's MKA goes (its MACsec off); LACP keeps running on both.
    b.mka->stop(now);
    const time_point lost = now;
    ASSERT_TRUE(poll_until([&] { return a.model.operational_members("lag0") == 0; }, std::chrono::seconds(10)));
    EXPECT_LE(now - lost, mka::mka_life_time + std::chrono::seconds(1)) << "out within MKA's life time";
    for (uint16_t i = 0; i < members; ++i) {
        EXPECT_TRUE(a.lacp->group().status(i).distributing) << "LACP still says distributing, member " << i;
        EXPECT_FALSE(a.mka->secured(i));
    }
    // A sends nothing B could not take: nothing at all under must_encrypt.
    EXPECT_EQ(cross(host_a, host_b, 16, 50), 0u);
}

TEST_F(mka_control_test, mka_lost_under_should_encrypt_goes_clear_on_both_ends) {
    a.mode = b.mode = ctl::encryption_mode::should_encrypt;
    start(cak_a, true, true);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured() && lacp_all(); },
                           std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    EXPECT_EQ(cross(host_a, host_b, 16, 51), 16u); // protected
    b.mka->stop(now); // B sends and takes the clear from now on
    ASSERT_TRUE(poll_until([&] { return !a.mka->secured(0) && !a.mka->secured(1); }, std::chrono::seconds(10)));
    for (int i = 0; i < 200; ++i) // past the kept keys' life time: A's transmit SAs go
        poll_both();
    for (uint16_t p : a.ports)
        EXPECT_EQ(a.macsec->validate_of(p), macsec::validate_frames::check);
    EXPECT_EQ(a.model.operational_members("lag0"), members); // should_encrypt distributes unsecured
    // Both ways in the clear, each end taking what the other sends.
    EXPECT_EQ(cross(host_a, host_b, 16, 52), 16u);
    EXPECT_EQ(cross(host_b, host_a, 16, 53), 16u);
}

TEST_F(mka_control_test, stop_turns_macsec_off_and_the_clear_passes) {
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    a.mka->stop(now);
    b.mka->stop(now);
    for (int i = 0; i < 10; ++i)
        poll_both();
    EXPECT_TRUE(a.mka->stopped());
    EXPECT_FALSE(a.macsec->has_port(a.ports[0]));
    EXPECT_EQ(a.model.operational_members("lag0"), members);
    EXPECT_EQ(cross(host_a, host_b, 32, 22), 32u);
    EXPECT_EQ(cross(host_b, host_a, 32, 23), 32u);
    EXPECT_EQ(a.macsec->awaiting_reclaim(), 0u); // SecYs and SAs freed after QSBR
}

TEST_F(mka_control_test, a_new_encryption_mode_applies_in_a_steady_stream_without_losing_a_frame) {
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    auto mode_cfg = [](ctl::encryption_mode m) {
        ctl::mka_driver_config mc;
        mc.mode = m;
        return mc;
    };
    const auto mi = a.mka->participant(0).mi();
    const auto an = ans(a);
    ASSERT_TRUE(a.mka->participant(0).is_key_server());
    bool gates_open = true;
    uint64_t integrity_only = 0;
    std::vector<int> an_integrity; // the SAKs A distributed under no_encrypt
    // A: must_encrypt -> should_encrypt (round 10) -> no_encrypt (round 40,
    // integrity only) -> must_encrypt (round 80), B stays must_encrypt.
    auto [sent, got] = stream(120, 2, [&](int r) {
        if (r == 10) {
            ASSERT_TRUE(a.mka->change_mode(mode_cfg(ctl::encryption_mode::should_encrypt), now).ok());
            EXPECT_EQ(a.macsec->status(a.ports[0])->cfg.validate, macsec::validate_frames::check);
            EXPECT_EQ(ans(a), an) << "the same offset: the same SAK";
        }
        if (r == 40) {
            ASSERT_TRUE(a.mka->change_mode(mode_cfg(ctl::encryption_mode::no_encrypt), now).ok());
            EXPECT_FALSE(a.macsec->status(a.ports[0])->cfg.confidentiality);
            EXPECT_EQ(a.mka->participant(0).offset(), mka::confidentiality_offset::none);
            an_integrity = ans(a);
            EXPECT_NE(an_integrity, an) << "the key server distributes a SAK that says: no confidentiality";
        }
        if (r == 79) {
            for (uint16_t p : a.ports)
                integrity_only += a.macsec->tx_totals(p).out_pkts_protected;
            EXPECT_EQ(ans(b), an_integrity) << "B took it";
        }
        if (r == 80) {
            ASSERT_TRUE(a.mka->change_mode(mode_cfg(ctl::encryption_mode::must_encrypt), now).ok());
            EXPECT_TRUE(a.macsec->status(a.ports[0])->cfg.confidentiality);
            EXPECT_EQ(a.macsec->status(a.ports[0])->cfg.validate, macsec::validate_frames::strict);
            EXPECT_EQ(a.mka->participant(0).offset(), mka::confidentiality_offset::offset_0);
            EXPECT_NE(ans(a), an_integrity) << "leaving no_encrypt, a SAK with the offset again";
        }
        gates_open = gates_open && a.model.operational_members("lag0") == members;
    });
    EXPECT_EQ(got, sent) << "frames lost across the encryption mode changes";
    EXPECT_TRUE(gates_open) << "a secured member stopped distributing";
    EXPECT_GT(integrity_only, 0u) << "no_encrypt: A sent integrity-only frames, B verified them";
    EXPECT_EQ(a.mka->mode(), ctl::encryption_mode::must_encrypt);
    EXPECT_EQ(a.mka->participant(0).mi(), mi) << "the sessions were kept";
    EXPECT_EQ(ans(b), ans(a)) << "B on A's latest SAK";
    EXPECT_TRUE(a.all_secured() && b.all_secured());
    EXPECT_EQ(a.mka->counters().sa_failed, 0u);
    EXPECT_EQ(a.mka->counters().apply_failed, 0u);
    // must_encrypt again: a member whose session ends stops distributing.
    ASSERT_TRUE(a.mka->change_mode(mode_cfg(ctl::encryption_mode::should_encrypt), now).ok());
    const time_point hung = now; // B hangs: only A is polled, past MKA's life time
    while (now < hung + std::chrono::seconds(8)) {
        now += std::chrono::milliseconds(50);
        a.poll(now);
    }
    EXPECT_FALSE(a.mka->secured(0));
    EXPECT_EQ(a.model.operational_members("lag0"), members) << "should_encrypt: distributes unsecured";
    ASSERT_TRUE(a.mka->change_mode(mode_cfg(ctl::encryption_mode::must_encrypt), now).ok());
    EXPECT_EQ(a.model.operational_members("lag0"), 0u) << "must_encrypt: the unsecured members are out";
}

TEST_F(mka_control_test, a_member_removed_and_added_again_gets_a_new_session_with_the_lags_key) {
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    // m1 leaves A: control first, then its participant; its SecY goes once
    // the control released the port (no worker holds a snapshot naming it).
    ASSERT_NO_FATAL_FAILURE(remove_m1_from_a());
    for (int i = 0; i < 10; ++i)
        poll_both();
    EXPECT_FALSE(a.macsec->has_port(a.ports[1]));
    EXPECT_EQ(a.macsec->awaiting_reclaim(), 0u) << "its SecY and SAs freed after QSBR";
    EXPECT_TRUE(a.mka->secured(0));
    EXPECT_EQ(cross(host_a, host_b, 64, 40), 64u); // all on m0

    // It joins again: a new participant with the LAG's key, gate closed
    // (must_encrypt) until its session secures.
    ASSERT_NO_FATAL_FAILURE(add_m1_to_a());
    EXPECT_EQ(a.model.operational_members("lag0"), 1u);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    EXPECT_EQ(a.model.operational_members("lag0"), members);
    EXPECT_EQ(cross(host_a, host_b, 64, 41), 64u);
    EXPECT_EQ(cross(host_b, host_a, 64, 42), 64u);
    EXPECT_EQ(a.mka->counters().sa_failed, 0u);
}

TEST_F(mka_control_test, a_member_added_at_run_time_to_a_lacp_and_mka_lag_sends_no_clear_lacpdu) {
    // As dpdk-lagd's add member: MKA (participant and SecY) first, then
    // control (gate closed under must_encrypt), then LACP. The new member's
    // LACP starts sending at once, long before its session secures: every
    // LACPDU until then is refused for want of an SA, never sent clear.
    start(cak_a, true);
    ASSERT_TRUE(poll_until([&] { return lacp_all() && a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    ASSERT_NO_FATAL_FAILURE(remove_m1_from_a());
    const uint64_t b_no_tag = b.macsec->secy_totals(b.ports[1]).in_pkts_no_tag;
    const uint64_t no_sa_before = a.c->totals(a.ports[1]).macsec_tx[static_cast<size_t>(macsec::tx_status::drop_no_sa)];
    ASSERT_NO_FATAL_FAILURE(add_m1_to_a());
    // B is busy for 1.5 s (only A is polled): A's m1 hears no MKPDU, so its
    // session cannot secure, while its LACP starts transmitting.
    for (int i = 0; i < 30; ++i) {
        now += std::chrono::milliseconds(50);
        a.poll(now);
    }
    EXPECT_FALSE(a.mka->secured(1));
    EXPECT_GT(a.c->totals(a.ports[1]).macsec_tx[static_cast<size_t>(macsec::tx_status::drop_no_sa)], no_sa_before)
        << "the new member's LACPDUs met its SecY before any SA, and were refused";
    ASSERT_TRUE(poll_until([&] { return lacp_all() && a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)))
        << "LACP " << lacp_all() << " A secured " << a.all_secured() << " B secured " << b.all_secured();
    for (int i = 0; i < 10; ++i)
        poll_both();
    EXPECT_EQ(b.macsec->secy_totals(b.ports[1]).in_pkts_no_tag, b_no_tag) << "a clear frame reached B's m1";
    EXPECT_EQ(a.model.operational_members("lag0"), members);
    EXPECT_EQ(cross(host_a, host_b, 64, 43), 64u);
}

TEST_F(mka_control_test, the_key_servers_confidentiality_offset_is_used_by_both_ends) {
    a.offset = mka::confidentiality_offset::offset_30; // A is the key server
    b.offset = mka::confidentiality_offset::offset_0;
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    for (auto* s : {&a, &b})
        for (uint16_t p : s->ports)
            EXPECT_EQ(s->macsec->offset_of(p), 30);
    EXPECT_EQ(cross(host_a, host_b, 64, 30), 64u);
    EXPECT_EQ(cross(host_b, host_a, 64, 31), 64u);
    for (auto* s : {&a, &b})
        EXPECT_EQ(ok_in(*s), 64u);
}

// ---- faults -----------------------------------------------------------------

TEST_F(mka_control_test, a_partner_that_stops_answering_is_dropped_after_its_life_time_and_must_encrypt_closes_members) {
    start(cak_a);
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    ASSERT_EQ(a.model.operational_members("lag0"), members);
    // B hangs: only A is polled. After MKA's life time (6 s) A drops B as a
    // live peer on every member; must_encrypt closes the members' gates and
    // the LAG goes down.
    const time_point hung = now;
    while (now < hung + std::chrono::seconds(10)) {
        now += std::chrono::milliseconds(50);
        a.poll(now);
    }
    for (size_t i = 0; i < members; ++i) {
        EXPECT_FALSE(a.mka->participant(i).has_live_peers()) << "member " << i;
        EXPECT_FALSE(a.mka->secured(i)) << "member " << i;
    }
    EXPECT_EQ(a.model.operational_members("lag0"), 0u);
    EXPECT_FALSE(a.model.lag("lag0")->up);
    EXPECT_EQ(a.c->current().distributing, 0u);
    EXPECT_EQ(a.mka->counters().apply_failed, 0u);
    // B comes back: both secure again (on the same SAK if both kept it, see
    // participant's kept keys) and traffic crosses.
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    EXPECT_EQ(a.model.operational_members("lag0"), members);
    EXPECT_EQ(cross(host_a, host_b, 32, 9), 32u);
    EXPECT_EQ(cross(host_b, host_a, 32, 10), 32u);
}

} // namespace
