// MKA on the control core, end to end inside one process: two systems A and
// B (each a static LAG: control + worker + macsec_driver + mka_driver with
// its own LAG model) joined by two member wires of net_ring ports. MKPDUs go
// out on a TX queue the worker does not use and come back through the
// worker's punt ring and the control's punt demultiplexer (EAPOL). With the
// same CAK every member's session secures on both ends and traffic crosses
// protected both ways (MACsec counters); with must_encrypt no member
// distributes before it is secured, and a wrong CAK never secures. Virtual
// time: `now` advances 50 ms per poll round.
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
    std::unique_ptr<ctl::macsec_driver> macsec;
    std::unique_ptr<mka::ipsecmb_crypto> crypto;
    std::unique_ptr<ctl::mka_driver> mka;
    std::unique_ptr<ctl::lacp_driver> lacp; // with_lacp: LACP is the default punt handler
    std::vector<uint16_t> ports;
    bool with_lacp = false;

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
        tx = std::make_unique<ctl::queue_tx>(pool(), control_queue);
        if (with_lacp) {
            std::vector<ctl::lacp_member> lm;
            for (size_t i = 0; i < mports.size(); ++i)
                lm.push_back({names[i], mports[i], member_mac(self, i), static_cast<uint16_t>(i + 1)});
            mac_addr system{{0x02, 0x00, 0x00, 0x00, self, 0x00}};
            auto lr = ctl::lacp_driver::create(*c, model, {.system_id = system, .key = lacp::derive_key(1, 10'000)},
                                               lm, *tx, now);
            ASSERT_TRUE(lr.ok()) << lr.err().to_string();
            lacp = std::move(*lr);
        }
        ctl::mka_driver_config mc;
        mc.ckn = {0x96, 0x43, 0x7a, 0x93};
        mc.cak.assign(cak);
        mc.mode = ctl::encryption_mode::must_encrypt;
        mc.key_server_priority = self == 0x0a ? 1 : 2;
        std::vector<ctl::mka_member> mm;
        for (size_t i = 0; i < mports.size(); ++i)
            mm.push_back({names[i], mports[i], member_mac(self, i), 1, {macsec::make_sci(member_mac(peer, i), 1)}});
        auto r = ctl::mka_driver::create(*c, *macsec, *crypto, mc, mm, *tx, now);
        ASSERT_TRUE(r.ok()) << r.err().to_string();
        mka = std::move(*r);
        // must_encrypt: the links are up, but nothing distributes unsecured.
        EXPECT_EQ(model.operational_members("lag0"), 0u);
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
        mka.reset();
        lacp.reset();
        macsec.reset();
        c.reset();
    }
};

const std::vector<uint8_t> cak_a = {0x13, 0x5b, 0xd7, 0x58, 0xb0, 0xee, 0x5c, 0x11,
                                    0xc5, 0x5f, 0xf6, 0xab, 0x19, 0xfd, 0xb1, 0x99};

class mka_control_test : public ::testing::Test {
protected:
    void start(const std::vector<uint8_t>& cak_b, bool with_lacp = false) {
        a.with_lacp = with_lacp;
        b.with_lacp = with_lacp;
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
    auto lacp_all = [&] {
        for (auto* s : {&a, &b})
            for (uint16_t i = 0; i < members; ++i)
                if (!s->lacp->group().status(i).distributing)
                    return false;
        return true;
    };
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
    uint64_t a_out = protected_out(a);
    EXPECT_EQ(cross(host_a, host_b, 64, 4), 64u);
    EXPECT_EQ(protected_out(a) - a_out, 64u);
}

TEST_F(mka_control_test, with_lacp_a_wrong_cak_keeps_lacp_members_from_distributing) {
    std::vector<uint8_t> wrong = cak_a;
    wrong[5] ^= 0x80;
    start(wrong, true);
    // LACP agrees on both members, but must_encrypt holds them back.
    ASSERT_TRUE(poll_until([&] { return a.lacp->group().status(0).distributing && a.lacp->group().status(1).distributing; },
                           std::chrono::seconds(30)));
    for (int i = 0; i < 100; ++i)
        poll_both();
    EXPECT_FALSE(a.mka->secured(0) || a.mka->secured(1));
    EXPECT_EQ(a.model.operational_members("lag0"), 0u);
    EXPECT_EQ(b.model.operational_members("lag0"), 0u);
    EXPECT_EQ(cross(host_a, host_b, 16, 5), 0u);
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
    // B comes back: both secure again (a new SAK) and traffic crosses.
    ASSERT_TRUE(poll_until([&] { return a.all_secured() && b.all_secured(); }, std::chrono::seconds(30)));
    for (int i = 0; i < 10; ++i)
        poll_both();
    EXPECT_EQ(a.model.operational_members("lag0"), members);
    EXPECT_EQ(cross(host_a, host_b, 32, 9), 32u);
    EXPECT_EQ(cross(host_b, host_a, 32, 10), 32u);
}

} // namespace
