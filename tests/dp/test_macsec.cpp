// MACsec through the workers: control + macsec_driver over net_ring wires.
// The partner side of each member is played by the test with its own
// macsec::secy (lib/macsec, owning API): what the worker protects must
// verify there and decrypt to the original frame, and what the partner
// protects must come out of the access port identical to the original.
// Every suite, with and without SCI, offsets 0 and 30; counters; SA swap
// under traffic without a lost frame; tampered/replayed frames dropped and
// counted; no mbuf leak.
#include "control/control.hpp"
#include "control/macsec_driver.hpp"
#include "dataplane/dataplane.hpp"
#include "dp_env.hpp"
#include "lacp/lacp.hpp"
#include "punt_recorder.hpp"
#include "macsec/macsec.hpp"

#include <gtest/gtest.h>
#include <rte_ethdev.h>

#include <set>
#include <tuple>

using namespace lag;
using namespace lag::test;

namespace {

constexpr macsec::sci_t our_sci = 0x0200000000010001ull;
constexpr macsec::sci_t peer_sci = 0x0200000000020001ull;

macsec::sa_params params(cipher_suite s, uint8_t fill, uint32_t ssci, uint64_t pn = 1) {
    macsec::sa_params p;
    p.suite = s;
    std::vector<uint8_t> k(key_length(s));
    for (size_t i = 0; i < k.size(); ++i)
        k[i] = static_cast<uint8_t>(fill + i);
    p.key.assign(k);
    p.ssci = ssci;
    for (size_t i = 0; i < 12; ++i)
        p.salt[i] = static_cast<uint8_t>(0xA0 + i);
    p.next_pn = pn;
    return p;
}

std::vector<uint8_t> bytes_of(const rte_mbuf* m) {
    const auto* d = rte_pktmbuf_mtod(m, const uint8_t*);
    return {d, d + m->data_len};
}

using param = std::tuple<cipher_suite, bool, uint8_t>; // suite, include_sci, offset

class macsec_dp : public ::testing::TestWithParam<param> {
protected:
    void SetUp() override {
        static unsigned seq = 0;
        tag = "ms" + std::to_string(seq++);
        host = make_wire(tag + "acc");
        mem = make_wire(tag + "m0");
        auto [suite, sci, offset] = GetParam();
        ASSERT_TRUE(model.add_port("m0", model::port_speed::g10).ok());
        ASSERT_TRUE(model.create_lag({.name = "lag0", .speed = model::port_speed::g10, .members = {"m0"},
                                      .min_links = 1})
                        .ok());
        ctl::control_config cfg;
        cfg.lag = "lag0";
        cfg.access_port = host.b;
        cfg.members.push_back({"m0", mem.a});
        cfg.name_prefix = tag;
        auto cr = ctl::control::create(model, cfg);
        ASSERT_TRUE(cr.ok()) << cr.err().to_string();
        c = std::move(*cr);
        auto d = ctl::macsec_driver::create(*c);
        ASSERT_TRUE(d.ok());
        drv = std::move(*d);

        ours.sci = our_sci;
        ours.suite = suite;
        ours.include_sci = sci;
        ours.confidentiality_offset = offset;
        ours.replay_window = 0;
        const macsec::sci_t peers[] = {peer_sci};
        ASSERT_TRUE(drv->add_port(mem.a, ours, peers).ok());
        ASSERT_TRUE(drv->install_rx_sa(mem.a, peer_sci, 0, params(suite, 0x40, 2)).ok());
        ASSERT_TRUE(drv->install_tx_sa(mem.a, 0, params(suite, 0x10, 1)).ok());
        ASSERT_TRUE(drv->enable_tx_sa(mem.a, 0).ok());

        // The partner: its tx is our rx and the other way round.
        macsec::secy_config pc = ours;
        pc.sci = peer_sci;
        auto e = crypto::engine::create();
        ASSERT_TRUE(e.ok());
        eng = std::move(*e);
        auto p = macsec::secy::create(pc);
        ASSERT_TRUE(p.ok());
        partner = std::move(*p);
        ASSERT_TRUE(partner->add_rx_sc(our_sci).ok());
        install_partner_rx(0, 0x10);
        auto t = macsec::tx_sa::create(*eng, 0, params(suite, 0x40, 2));
        ASSERT_TRUE(t.ok());
        ASSERT_TRUE(partner->install_tx_sa(std::move(*t)).ok());
        ASSERT_TRUE(partner->set_encoding_sa(0).ok());
        c->poll(tick());
        drv->poll();
    }

    void install_partner_rx(uint8_t an, uint8_t fill, uint64_t pn = 1) {
        auto r = macsec::rx_sa::create(*eng, an, params(std::get<0>(GetParam()), fill, 1, pn));
        ASSERT_TRUE(r.ok());
        ASSERT_TRUE(partner->install_rx_sa(our_sci, std::move(*r)).ok());
    }

    void TearDown() override {
        if (c)
            c->shutdown();
        drv.reset();
        c.reset();
        destroy_wire(host);
        destroy_wire(mem);
        EXPECT_EQ(pool_in_use(), 0u) << "mbufs leaked";
    }

    time_point tick() { return now += std::chrono::microseconds(10); }
    void poll() {
        c->poll(tick());
        drv->poll();
        c->worker(0).poll_once();
    }

    // Frames of several sizes (short ones exercise SL; all longer than the
    // offset so it applies).
    std::vector<std::vector<uint8_t>> frames(uint32_t seq, unsigned n = 8) {
        std::vector<std::vector<uint8_t>> v;
        for (unsigned i = 0; i < n; ++i)
            v.push_back(udp_frame(i, seq, 60 + 97 * i % 1400));
        return v;
    }

    // Egress: host -> worker (protect) -> member wire -> partner verifies.
    // Returns the frames the partner accepted, in order.
    std::vector<std::vector<uint8_t>> egress(const std::vector<std::vector<uint8_t>>& in,
                                             std::vector<std::vector<uint8_t>>* wire_bytes = nullptr) {
        EXPECT_EQ(inject(host.a, in), in.size());
        poll();
        auto got = drain(mem.b);
        std::vector<std::vector<uint8_t>> out;
        for (rte_mbuf* m : got) {
            if (wire_bytes != nullptr)
                wire_bytes->push_back(bytes_of(m));
            macsec::frame f{rte_pktmbuf_mtod(m, uint8_t*), m->data_len, rte_pktmbuf_headroom(m),
                            static_cast<uint32_t>(rte_pktmbuf_tailroom(m))};
            if (macsec::delivered(partner->verify(*eng, f)))
                out.emplace_back(f.data, f.data + f.len);
        }
        free_all(got);
        return out;
    }

    // Ingress: partner protects -> member wire -> worker verifies -> host.
    std::vector<std::vector<uint8_t>> protect_as_partner(const std::vector<std::vector<uint8_t>>& in) {
        std::vector<std::vector<uint8_t>> out;
        for (const auto& fr : in) {
            std::vector<uint8_t> buf(64 + fr.size() + 64);
            std::copy(fr.begin(), fr.end(), buf.begin() + 64);
            macsec::frame f{buf.data() + 64, static_cast<uint32_t>(fr.size()), 64, 64};
            EXPECT_EQ(partner->protect(*eng, f), macsec::tx_status::protected_frame);
            out.emplace_back(f.data, f.data + f.len);
        }
        return out;
    }
    std::vector<std::vector<uint8_t>> ingress(const std::vector<std::vector<uint8_t>>& wire) {
        EXPECT_EQ(inject(mem.b, wire), wire.size());
        poll();
        auto got = drain(host.a);
        std::vector<std::vector<uint8_t>> out;
        for (rte_mbuf* m : got)
            out.push_back(bytes_of(m));
        free_all(got);
        return out;
    }

    std::string tag;
    wire host{}, mem{};
    model::lag_model model;
    std::unique_ptr<ctl::control> c;
    std::unique_ptr<ctl::macsec_driver> drv;
    macsec::secy_config ours;
    std::unique_ptr<crypto::engine> eng;
    std::unique_ptr<macsec::secy> partner;
    time_point now{};
};

TEST_P(macsec_dp, worker_protects_what_the_partner_verifies_and_decrypts) {
    auto in = frames(1);
    std::vector<std::vector<uint8_t>> wire;
    auto out = egress(in, &wire);
    EXPECT_EQ(out, in);
    ASSERT_EQ(wire.size(), in.size());
    const bool sci = std::get<1>(GetParam());
    for (size_t i = 0; i < wire.size(); ++i) {
        EXPECT_EQ(wire[i][12], 0x88);
        EXPECT_EQ(wire[i][13], 0xE5);
        EXPECT_EQ(wire[i].size(), in[i].size() + (sci ? 16u : 8u) + 16u);
        EXPECT_EQ((wire[i][14] & 0x20) != 0, sci) << "SC bit";
        EXPECT_NE(std::vector<uint8_t>(wire[i].end() - 20, wire[i].end() - 16),
                  std::vector<uint8_t>(in[i].end() - 4, in[i].end()))
            << "the payload's tail is encrypted";
    }
    EXPECT_EQ(drv->tx_totals(mem.a).out_pkts_encrypted, in.size());
    EXPECT_EQ(c->totals(mem.a).macsec_tx[size_t(macsec::tx_status::protected_frame)], in.size());
    EXPECT_EQ(c->totals(mem.a).tx_packets, in.size());
}

TEST_P(macsec_dp, partner_frames_come_out_of_the_access_port_identical) {
    auto in = frames(2);
    auto out = ingress(protect_as_partner(in));
    EXPECT_EQ(out, in);
    EXPECT_EQ(drv->rx_totals(mem.a).in_pkts_ok, in.size());
    EXPECT_EQ(c->totals(mem.a).macsec_rx[size_t(macsec::rx_status::ok)], in.size());
}

TEST_P(macsec_dp, tampered_replayed_unprotected_and_truncated_frames_are_dropped_and_counted) {
    auto in = frames(3, 4);
    auto wire = protect_as_partner(in);
    auto tampered = wire[1];
    tampered[tampered.size() - 20] ^= 1;
    auto truncated = wire[2];
    truncated.resize(truncated.size() - 10);
    // In order: 0 ok, 1 tampered, 2 truncated, 3 ok, then 0 again (replay),
    // then a clear frame (strict: no tag).
    std::vector<std::vector<uint8_t>> send = {wire[0], tampered, truncated, wire[3], wire[0], in[1]};
    auto out = ingress(send);
    std::vector<std::vector<uint8_t>> want = {in[0], in[3]};
    EXPECT_EQ(out, want);
    const auto rx = drv->rx_totals(mem.a);
    const auto sy = drv->secy_totals(mem.a);
    EXPECT_EQ(rx.in_pkts_ok, 2u);
    EXPECT_EQ(rx.in_pkts_late, 1u) << "replay";
    // A truncated frame either no longer parses (bad tag) or fails the ICV.
    EXPECT_EQ(rx.in_pkts_not_valid + sy.in_pkts_bad_tag, 2u);
    EXPECT_GE(rx.in_pkts_not_valid, 1u) << "tampered";
    EXPECT_EQ(sy.in_pkts_no_tag, 1u) << "unprotected frame under validate strict";
    EXPECT_EQ(c->totals(mem.a).drop(dp::drop_reason::macsec_rx), 4u);
}

TEST_P(macsec_dp, tx_sa_swap_under_traffic_loses_no_frame_and_frees_the_old_sa_after_quiescence) {
    const auto suite = std::get<0>(GetParam());
    install_partner_rx(1, 0x70);
    size_t sent = 0, got = 0;
    std::vector<std::vector<uint8_t>> all_in, all_out;
    for (uint32_t round = 0; round < 6; ++round) {
        if (round == 3) {
            ASSERT_TRUE(drv->install_tx_sa(mem.a, 1, params(suite, 0x70, 1)).ok());
            ASSERT_TRUE(drv->enable_tx_sa(mem.a, 1).ok());
            drv->retire_tx_sa(mem.a, 0);
            EXPECT_EQ(drv->awaiting_reclaim(), 1u);
        }
        auto in = frames(10 + round, 5);
        auto out = egress(in);
        sent += in.size();
        got += out.size();
        all_in.insert(all_in.end(), in.begin(), in.end());
        all_out.insert(all_out.end(), out.begin(), out.end());
    }
    EXPECT_EQ(got, sent);
    EXPECT_EQ(all_out, all_in);
    drv->poll();
    EXPECT_EQ(drv->awaiting_reclaim(), 0u) << "the worker was quiescent after the detach";
    EXPECT_EQ(drv->tx_sa_of(mem.a, 0), nullptr);
    ASSERT_NE(drv->tx_sa_of(mem.a, 1), nullptr);
    EXPECT_EQ(drv->tx_sa_of(mem.a, 1)->counters().out_pkts_encrypted, 15u);
    EXPECT_EQ(c->worker(0).counters().macsec_refused.load(), 0u);
}

TEST_P(macsec_dp, exhausted_tx_sa_stops_sending_and_signals_control) {
    const auto suite = std::get<0>(GetParam());
    const uint64_t last = is_xpn(suite) ? macsec::max_pn_64 : macsec::max_pn_32;
    auto p = params(suite, 0x10, 1, last - 2);
    install_partner_rx(2, 0x10, last - 2);
    ASSERT_TRUE(drv->install_tx_sa(mem.a, 2, p).ok());
    ASSERT_TRUE(drv->enable_tx_sa(mem.a, 2).ok());
    drv->poll();
    auto out = egress(frames(20, 5));
    EXPECT_EQ(out.size(), 3u) << "PNs last-2, last-1, last";
    drv->poll();
    EXPECT_TRUE(drv->tx_near_exhaustion(mem.a));
    EXPECT_TRUE(drv->tx_exhausted(mem.a));
    EXPECT_GE(drv->counters().pn_near_exhaustion, 1u);
    EXPECT_EQ(drv->secy_totals(mem.a).out_pkts_pn_exhausted, 2u);
    EXPECT_EQ(c->totals(mem.a).drop(dp::drop_reason::macsec_tx), 2u);
}

// Storms: hundreds of frames at once through the worker, each outcome
// counted by its reason.
TEST_P(macsec_dp, pn_exhaustion_replay_and_reorder_storms_are_counted_by_reason) {
    const auto suite = std::get<0>(GetParam());
    // Pushes frames through in chunks the rings hold, polling until the
    // worker took each chunk.
    auto storm = [&](uint16_t in_port, uint16_t out_port, const std::vector<std::vector<uint8_t>>& frames) {
        std::vector<rte_mbuf*> out;
        for (size_t i = 0; i < frames.size(); i += 256) {
            std::vector<std::vector<uint8_t>> chunk(frames.begin() + static_cast<long>(i),
                                                    frames.begin() + static_cast<long>(std::min(frames.size(), i + 256)));
            EXPECT_EQ(inject(in_port, chunk), chunk.size());
            for (int k = 0; k < 16; ++k)
                poll();
            auto got = drain(out_port);
            out.insert(out.end(), got.begin(), got.end());
        }
        return out;
    };

    // Replay and reorder (replay window 0): 256 frames with each pair
    // swapped, then all 256 again. The second of each pair is late, and so
    // is every replayed frame; what is delivered is the odd frames, in order.
    std::vector<std::vector<uint8_t>> in;
    for (uint32_t i = 0; i < 256; ++i)
        in.push_back(udp_frame(i % 16, i, 96));
    auto wire = protect_as_partner(in);
    std::vector<std::vector<uint8_t>> send;
    for (size_t i = 0; i < wire.size(); i += 2) {
        send.push_back(wire[i + 1]);
        send.push_back(wire[i]);
    }
    send.insert(send.end(), wire.begin(), wire.end());
    auto got = storm(mem.b, host.a, send);
    ASSERT_EQ(got.size(), 128u);
    for (size_t k = 0; k < got.size(); ++k)
        EXPECT_EQ(bytes_of(got[k]), in[2 * k + 1]) << "frame " << k;
    free_all(got);
    const auto rx = drv->rx_totals(mem.a);
    const auto& by_reason = c->totals(mem.a).macsec_rx;
    const uint64_t late = by_reason[static_cast<size_t>(macsec::rx_status::drop_late)];
    const uint64_t not_valid = by_reason[static_cast<size_t>(macsec::rx_status::drop_not_valid)];
    EXPECT_EQ(rx.in_pkts_ok, 128u);
    EXPECT_EQ(c->totals(mem.a).drop(dp::drop_reason::macsec_rx), 384u);
    EXPECT_EQ(late, rx.in_pkts_late);
    EXPECT_EQ(not_valid, rx.in_pkts_not_valid);
    if (!is_xpn(suite)) {
        EXPECT_EQ(late, 128u + 256u) << "reordered and replayed";
        EXPECT_EQ(not_valid, 0u);
    } else {
        // XPN recovers a PN's upper half from the lowest acceptable PN
        // (802.1AE-2018 10.6.2): a frame a little below it (the swapped pair,
        // one burst) is late, a replay far below it is taken for the next
        // 2^32 PNs and fails its ICV.
        EXPECT_EQ(late, 128u) << "reordered";
        EXPECT_EQ(not_valid, 256u) << "replayed";
    }

    // PN exhaustion: a transmit SA three PNs from its end and 600 frames.
    const uint64_t last = is_xpn(suite) ? macsec::max_pn_64 : macsec::max_pn_32;
    install_partner_rx(2, 0x10, last - 2);
    ASSERT_TRUE(drv->install_tx_sa(mem.a, 2, params(suite, 0x10, 1, last - 2)).ok());
    ASSERT_TRUE(drv->enable_tx_sa(mem.a, 2).ok());
    drv->poll();
    std::vector<std::vector<uint8_t>> burst(600, udp_frame(1, 0, 200));
    auto sent = storm(host.a, mem.b, burst);
    EXPECT_EQ(sent.size(), 3u) << "PNs last-2, last-1, last";
    free_all(sent);
    drv->poll();
    EXPECT_TRUE(drv->tx_exhausted(mem.a));
    EXPECT_EQ(drv->secy_totals(mem.a).out_pkts_pn_exhausted, 597u);
    EXPECT_EQ(c->totals(mem.a).drop(dp::drop_reason::macsec_tx), 597u);
    EXPECT_EQ(c->totals(mem.a).macsec_tx[static_cast<size_t>(macsec::tx_status::drop_pn_exhausted)], 597u);
    EXPECT_EQ(c->totals(host.b).rx_packets, 600u);
}

// ---- LACP on the SecY's controlled port (protect_slow_protocols) ----------------

lacp::frame a_lacpdu(uint8_t system) {
    lacp::lacpdu pdu;
    pdu.source = mac_addr{{0x02, 0, 0, 0, system, 1}};
    pdu.actor.system = mac_addr{{0x02, 0, 0, 0, system, 0}};
    pdu.actor.key = 0x0011;
    pdu.actor.port = 1;
    pdu.actor.state = 0x3d;
    return lacp::encode(pdu);
}

std::vector<uint8_t> bytes_of(const lacp::frame& f) { return {f.data.begin(), f.data.end()}; }

TEST_P(macsec_dp, eapol_is_punted_before_verify_and_a_clear_lacpdu_is_dropped_under_strict) {
    recording_punt punt;
    c->set_punt_handler(&punt);
    auto out = ingress({ether_frame(0x8809), ether_frame(0x888E)});
    c->poll(tick());
    EXPECT_TRUE(out.empty());
    ASSERT_EQ(punt.frames.size(), 1u);
    EXPECT_EQ(punt.frames[0].second, ether_frame(0x888E));
    EXPECT_EQ(c->totals(mem.a).punted, 1u);
    EXPECT_EQ(drv->secy_totals(mem.a).in_pkts_no_tag, 1u);
    EXPECT_EQ(c->totals(mem.a).macsec_rx[static_cast<size_t>(macsec::rx_status::drop_no_tag)], 1u);
    EXPECT_EQ(c->totals(mem.a).drop(dp::drop_reason::macsec_rx), 1u);
    c->set_punt_handler(nullptr);
}

TEST_P(macsec_dp, a_protected_lacpdu_is_verified_and_punted_as_the_inner_frame) {
    recording_punt punt;
    c->set_punt_handler(&punt);
    const auto lacpdu = bytes_of(a_lacpdu(2));
    // Data and a LACPDU in one burst: the data goes to the access port, the
    // LACPDU (stripped) to control.
    auto wire = protect_as_partner({udp_frame(1, 7, 200), lacpdu, udp_frame(2, 7, 90)});
    EXPECT_NE(wire[1], lacpdu);
    auto out = ingress(wire);
    c->poll(tick());
    EXPECT_EQ(out, (std::vector<std::vector<uint8_t>>{udp_frame(1, 7, 200), udp_frame(2, 7, 90)}));
    ASSERT_EQ(punt.frames.size(), 1u);
    EXPECT_EQ(punt.frames[0].first, mem.a);
    EXPECT_EQ(punt.frames[0].second, lacpdu);
    EXPECT_EQ(c->totals(mem.a).punted, 1u);
    EXPECT_EQ(drv->rx_totals(mem.a).in_pkts_ok, 3u);
    EXPECT_EQ(c->totals(mem.a).total_drops(), 0u);
    c->set_punt_handler(nullptr);
}

TEST_P(macsec_dp, a_member_that_is_not_collecting_still_hands_its_protected_lacpdus_to_control) {
    // As LACP leaves a member before it is collecting: its data is dropped,
    // but its LACPDUs (inside MACsec) must still reach control.
    ASSERT_TRUE(c->set_member_state("m0", false, false, tick()).ok());
    poll();
    recording_punt punt;
    c->set_punt_handler(&punt);
    const auto lacpdu = bytes_of(a_lacpdu(2));
    auto out = ingress(protect_as_partner({udp_frame(1, 8, 100), lacpdu}));
    c->poll(tick());
    EXPECT_TRUE(out.empty());
    ASSERT_EQ(punt.frames.size(), 1u);
    EXPECT_EQ(punt.frames[0].second, lacpdu);
    EXPECT_EQ(c->totals(mem.a).drop(dp::drop_reason::not_collecting), 1u);
    EXPECT_EQ(drv->rx_totals(mem.a).in_pkts_ok, 2u);
    c->set_punt_handler(nullptr);
}

TEST_P(macsec_dp, control_sent_lacpdus_leave_protected_and_the_partner_verifies_them) {
    recording_tx wire;
    ctl::protected_tx tx(wire, *c);
    tx.set_driver([this] { return drv.get(); });
    const auto lacpdu = bytes_of(a_lacpdu(1));
    ASSERT_TRUE(tx.send(mem.a, lacpdu));
    ASSERT_EQ(wire.frames.size(), 1u);
    auto& sent = wire.frames[0].second;
    EXPECT_EQ(wire.frames[0].first, mem.a);
    EXPECT_EQ(sent[12], 0x88);
    EXPECT_EQ(sent[13], 0xE5);
    // The partner (lib/macsec with our transmit key as its receive key).
    std::vector<uint8_t> buf = sent;
    macsec::frame f{buf.data(), static_cast<uint32_t>(buf.size()), 0, 0};
    EXPECT_EQ(partner->verify(*eng, f), macsec::rx_status::ok);
    EXPECT_EQ(std::vector<uint8_t>(f.data, f.data + f.len), lacpdu);
    EXPECT_EQ(c->totals(mem.a).macsec_tx[static_cast<size_t>(macsec::tx_status::protected_frame)], 1u);
    // The workers' SecYs and control's share the transmit SA: the data that
    // follows takes the next PNs and verifies too (no PN used twice).
    auto in = frames(3, 4);
    EXPECT_EQ(egress(in), in);
    ASSERT_TRUE(tx.send(mem.a, lacpdu));
    buf = wire.frames[1].second;
    f = macsec::frame{buf.data(), static_cast<uint32_t>(buf.size()), 0, 0};
    EXPECT_EQ(partner->verify(*eng, f), macsec::rx_status::ok);
    EXPECT_EQ(drv->tx_sa_of(mem.a, 0)->next_pn(), 7u);

    // No SA in use (must_encrypt): nothing leaves, counted as a MACsec drop.
    drv->retire_tx_sa(mem.a, 0);
    EXPECT_FALSE(tx.send(mem.a, lacpdu));
    EXPECT_EQ(wire.frames.size(), 2u);
    EXPECT_EQ(c->totals(mem.a).drop(dp::drop_reason::macsec_tx), 1u);
    EXPECT_EQ(c->totals(mem.a).macsec_tx[static_cast<size_t>(macsec::tx_status::drop_no_sa)], 1u);
    EXPECT_EQ(drv->secy_totals(mem.a).out_pkts_no_sa, 1u);
    // A port without a SecY, or no driver: as it is.
    tx.set_driver([] { return static_cast<ctl::macsec_driver*>(nullptr); });
    ASSERT_TRUE(tx.send(mem.a, lacpdu));
    EXPECT_EQ(wire.frames.back().second, lacpdu);
}

// lacp = "clear": LACP beside MACsec, exactly as before the option: punted
// before verify (in the clear, under strict too), sent in the clear.
TEST_P(macsec_dp, with_lacp_clear_slow_protocols_bypass_the_secy_both_ways) {
    drv->remove_port(mem.a);
    ours.protect_slow_protocols = false;
    const macsec::sci_t peers[] = {peer_sci};
    ASSERT_TRUE(drv->add_port(mem.a, ours, peers).ok());
    ASSERT_TRUE(drv->install_rx_sa(mem.a, peer_sci, 0, params(std::get<0>(GetParam()), 0x40, 2)).ok());
    ASSERT_TRUE(drv->install_tx_sa(mem.a, 0, params(std::get<0>(GetParam()), 0x10, 1)).ok());
    ASSERT_TRUE(drv->enable_tx_sa(mem.a, 0).ok());
    poll();
    recording_punt punt;
    c->set_punt_handler(&punt);
    const auto lacpdu = bytes_of(a_lacpdu(2));
    auto out = ingress({lacpdu, ether_frame(0x888E)});
    c->poll(tick());
    EXPECT_TRUE(out.empty());
    ASSERT_EQ(punt.frames.size(), 2u);
    EXPECT_EQ(punt.frames[0].second, lacpdu);
    EXPECT_EQ(c->totals(mem.a).punted, 2u);
    EXPECT_EQ(drv->secy_totals(mem.a).in_pkts_no_tag, 0u);
    EXPECT_EQ(drv->secy_totals(mem.a).in_pkts_untagged, 0u);
    recording_tx wire;
    ctl::protected_tx tx(wire, *c);
    tx.set_driver([this] { return drv.get(); });
    ASSERT_TRUE(tx.send(mem.a, lacpdu));
    EXPECT_EQ(wire.frames.at(0).second, lacpdu);
    EXPECT_EQ(drv->tx_sa_of(mem.a, 0)->next_pn(), 1u);
    c->set_punt_handler(nullptr);
}

std::string name_of(const ::testing::TestParamInfo<param>& i) {
    std::string s(to_string(std::get<0>(i.param)));
    for (auto& ch : s)
        if (ch == '-')
            ch = '_';
    return s + (std::get<1>(i.param) ? "_sci" : "_nosci") + "_off" + std::to_string(std::get<2>(i.param));
}

INSTANTIATE_TEST_SUITE_P(all, macsec_dp,
                         ::testing::Combine(::testing::ValuesIn(all_cipher_suites), ::testing::Bool(),
                                            ::testing::Values(uint8_t{0}, uint8_t{30})),
                         name_of);

} // namespace

// ---- IEEE 802.1AE-2018 Annex C through the worker -------------------------------
// Every vector: the plaintext frame enters the access port, the worker
// protects it with the vector's SAK/PN/SCI, and the bytes on the member wire
// are the vector's, octet for octet; the vector's protected frame entering
// the member comes out of the access port as the plaintext.
#include "../kat/macsec/annex_c_vectors.hpp"

namespace {

class annex_c_dp : public ::testing::TestWithParam<macsec::annex_c::vector> {
protected:
    void TearDown() override {
        if (c)
            c->shutdown();
        drv.reset();
        c.reset();
        destroy_wire(host);
        destroy_wire(mem);
        EXPECT_EQ(pool_in_use(), 0u) << "mbufs leaked";
    }
    std::unique_ptr<ctl::control> c;
    std::unique_ptr<ctl::macsec_driver> drv;
    wire host{}, mem{};
    model::lag_model model;
};

TEST_P(annex_c_dp, protected_bytes_on_the_wire_are_the_vectors) {
    namespace ac = macsec::annex_c;
    const ac::vector& v = GetParam();
    const ac::frame_shape& s = *v.shape;
    static unsigned seq = 0;
    const std::string tag = "ac" + std::to_string(seq++);
    host = make_wire(tag + "acc");
    mem = make_wire(tag + "m0");
    ASSERT_TRUE(model.add_port("m0", model::port_speed::g10).ok());
    ASSERT_TRUE(model.create_lag({.name = "lag0", .speed = model::port_speed::g10, .members = {"m0"}, .min_links = 1})
                    .ok());
    ctl::control_config cfg;
    cfg.lag = "lag0";
    cfg.access_port = host.b;
    cfg.members.push_back({"m0", mem.a});
    cfg.name_prefix = tag;
    auto cr = ctl::control::create(model, cfg);
    ASSERT_TRUE(cr.ok()) << cr.err().to_string();
    c = std::move(*cr);
    auto d = ctl::macsec_driver::create(*c);
    ASSERT_TRUE(d.ok());
    drv = std::move(*d);

    const bytes plain = ac::plain_frame(s.da, s.sa, s.last, s.seq);
    const bytes sectag = ac::hx(s.sectag);
    const uint8_t tci = sectag[2];
    const uint8_t an = tci & 0x03;
    const uint64_t pn = load_be32(&sectag[4]) | (is_xpn(v.suite) ? ac::xpn_pn_high : 0);
    bytes expected(plain.begin(), plain.begin() + 12);
    expected.insert(expected.end(), sectag.begin(), sectag.end());
    if (v.secure_data != nullptr) {
        auto sd = ac::hx(v.secure_data);
        expected.insert(expected.end(), sd.begin(), sd.end());
    } else {
        expected.insert(expected.end(), plain.begin() + 12, plain.end());
    }
    auto icv = ac::hx(v.icv);
    expected.insert(expected.end(), icv.begin(), icv.end());

    macsec::secy_config sc;
    sc.sci = s.sci;
    sc.suite = v.suite;
    sc.confidentiality = (tci & macsec::tci::e) != 0;
    sc.include_sci = (tci & macsec::tci::sc) != 0;
    sc.use_es = (tci & macsec::tci::es) != 0;
    macsec::sa_params p;
    p.suite = v.suite;
    ASSERT_TRUE(p.key.assign(ac::hx(v.key)));
    p.ssci = ac::xpn_ssci;
    p.salt = ac::xpn_salt;
    p.next_pn = pn;
    // The vector's frame comes back as if the partner used the same SC.
    const macsec::sci_t peers[] = {s.sci};
    ASSERT_TRUE(drv->add_port(mem.a, sc, peers).ok());
    ASSERT_TRUE(drv->install_tx_sa(mem.a, an, p).ok());
    ASSERT_TRUE(drv->enable_tx_sa(mem.a, an).ok());
    ASSERT_TRUE(drv->install_rx_sa(mem.a, s.sci, an, p).ok());

    time_point now{};
    ASSERT_EQ(inject(host.a, {std::vector<uint8_t>(plain.begin(), plain.end())}), 1u);
    ASSERT_EQ(inject(mem.b, {std::vector<uint8_t>(expected.begin(), expected.end())}), 1u);
    c->poll(now);
    drv->poll();
    c->worker(0).poll_once();

    auto out = drain(mem.b);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(to_hex(bytes_of(out[0])), to_hex(expected)) << ac::case_name(v);
    free_all(out);
    auto back = drain(host.a);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(to_hex(bytes_of(back[0])), to_hex(plain)) << ac::case_name(v);
    free_all(back);
    EXPECT_EQ(drv->rx_totals(mem.a).in_pkts_ok, 1u);
}

INSTANTIATE_TEST_SUITE_P(annex_c, annex_c_dp, ::testing::ValuesIn(macsec::annex_c::vectors),
                         [](const ::testing::TestParamInfo<macsec::annex_c::vector>& i) {
                             std::string n = macsec::annex_c::case_name(i.param);
                             for (auto& ch : n)
                                 if (!isalnum(static_cast<unsigned char>(ch)))
                                     ch = '_';
                             return n;
                         });

} // namespace

// ---- two workers share one transmit SA ------------------------------------------
namespace {

TEST(macsec_two_workers, share_the_transmit_sa_without_reusing_a_pn_and_each_verifies_its_queue) {
    const cipher_suite suite = cipher_suite::gcm_aes_xpn_256;
    wire host = make_wire("mw_acc", 2), mem = make_wire("mw_m0", 2);
    {
        model::lag_model model;
        ASSERT_TRUE(model.add_port("m0", model::port_speed::g10).ok());
        ASSERT_TRUE(
            model.create_lag({.name = "lag0", .speed = model::port_speed::g10, .members = {"m0"}, .min_links = 1}).ok());
        ctl::control_config cfg;
        cfg.lag = "lag0";
        cfg.access_port = host.b;
        cfg.members.push_back({"m0", mem.a});
        cfg.name_prefix = "mw";
        cfg.workers = 2;
        auto cr = ctl::control::create(model, cfg);
        ASSERT_TRUE(cr.ok()) << cr.err().to_string();
        auto& c = *cr;
        auto d = ctl::macsec_driver::create(*c);
        ASSERT_TRUE(d.ok());
        auto& drv = *d;
        macsec::secy_config sc;
        sc.sci = our_sci;
        sc.suite = suite;
        const macsec::sci_t peers[] = {peer_sci};
        ASSERT_TRUE(drv->add_port(mem.a, sc, peers).ok());
        ASSERT_TRUE(drv->install_tx_sa(mem.a, 0, params(suite, 0x10, 1)).ok());
        ASSERT_TRUE(drv->enable_tx_sa(mem.a, 0).ok());
        ASSERT_TRUE(drv->install_rx_sa(mem.a, peer_sci, 0, params(suite, 0x40, 2)).ok());

        auto eng = crypto::engine::create();
        ASSERT_TRUE(eng.ok());
        macsec::secy_config pc = sc;
        pc.sci = peer_sci;
        pc.replay_window = 1024; // two queues: the partner sees the workers' PN ranges interleaved
        auto partner = macsec::secy::create(pc);
        ASSERT_TRUE(partner.ok());
        ASSERT_TRUE((*partner)->add_rx_sc(our_sci).ok());
        auto prx = macsec::rx_sa::create(**eng, 0, params(suite, 0x10, 1));
        ASSERT_TRUE(prx.ok());
        ASSERT_TRUE((*partner)->install_rx_sa(our_sci, std::move(*prx)).ok());
        auto ptx = macsec::tx_sa::create(**eng, 0, params(suite, 0x40, 2));
        ASSERT_TRUE(ptx.ok());
        ASSERT_TRUE((*partner)->install_tx_sa(std::move(*ptx)).ok());
        ASSERT_TRUE((*partner)->set_encoding_sa(0).ok());

        std::set<uint32_t> pns;
        size_t verified = 0, sent = 0, delivered = 0;
        for (uint32_t round = 0; round < 5; ++round) {
            std::vector<std::vector<uint8_t>> q0, q1;
            for (uint32_t f = 0; f < 6; ++f) {
                q0.push_back(udp_frame(f, round, 200));
                q1.push_back(udp_frame(f + 100, round, 300));
            }
            ASSERT_EQ(inject(host.a, q0, 0), q0.size());
            ASSERT_EQ(inject(host.a, q1, 1), q1.size());
            // Ingress on queue 1 only: worker 1 verifies with its own rx SA.
            std::vector<std::vector<uint8_t>> prot;
            for (const auto& fr : q0) {
                std::vector<uint8_t> buf(64 + fr.size() + 64);
                std::copy(fr.begin(), fr.end(), buf.begin() + 64);
                macsec::frame f{buf.data() + 64, static_cast<uint32_t>(fr.size()), 64, 64};
                ASSERT_EQ((*partner)->protect(**eng, f), macsec::tx_status::protected_frame);
                prot.emplace_back(f.data, f.data + f.len);
            }
            ASSERT_EQ(inject(mem.b, prot, 1), prot.size());
            sent += q0.size() + q1.size();
            c->poll(time_point{});
            drv->poll();
            c->worker(0).poll_once();
            c->worker(1).poll_once();
            for (uint16_t q : {0, 1}) {
                auto got = drain(mem.b, q);
                for (rte_mbuf* m : got) {
                    const uint8_t* b = rte_pktmbuf_mtod(m, const uint8_t*);
                    pns.insert(load_be32(b + 16));
                    macsec::frame f{rte_pktmbuf_mtod(m, uint8_t*), m->data_len, rte_pktmbuf_headroom(m),
                                    static_cast<uint32_t>(rte_pktmbuf_tailroom(m))};
                    verified += macsec::delivered((*partner)->verify(**eng, f));
                }
                free_all(got);
            }
            auto back = drain(host.a, 1);
            delivered += back.size();
            free_all(back);
        }
        EXPECT_EQ(verified, sent);
        EXPECT_EQ(pns.size(), sent) << "every frame had its own PN";
        EXPECT_EQ(delivered, 30u);
        EXPECT_EQ(drv->tx_totals(mem.a).out_pkts_encrypted, sent);
        EXPECT_EQ(drv->rx_totals(mem.a).in_pkts_ok, 30u);
        c->shutdown();
        drv.reset();
    }
    destroy_wire(host);
    destroy_wire(mem);
    EXPECT_EQ(pool_in_use(), 0u) << "mbufs leaked";
}

} // namespace

// ---- validate check / disabled: unprotected frames pass --------------------------
namespace {

bool pass_clear(macsec::validate_frames v) { return v != macsec::validate_frames::strict; }

void clear_frames_under(macsec::validate_frames v, const std::string& tag) {
    wire host = make_wire(tag + "acc"), mem = make_wire(tag + "m0");
    {
        model::lag_model model;
        ASSERT_TRUE(model.add_port("m0", model::port_speed::g10).ok());
        ASSERT_TRUE(
            model.create_lag({.name = "lag0", .speed = model::port_speed::g10, .members = {"m0"}, .min_links = 1}).ok());
        ctl::control_config cfg;
        cfg.lag = "lag0";
        cfg.access_port = host.b;
        cfg.members.push_back({"m0", mem.a});
        cfg.name_prefix = tag;
        auto c = ctl::control::create(model, cfg);
        ASSERT_TRUE(c.ok());
        auto d = ctl::macsec_driver::create(**c);
        ASSERT_TRUE(d.ok());
        macsec::secy_config sc;
        sc.sci = our_sci;
        sc.suite = cipher_suite::gcm_aes_256;
        sc.validate = v;
        const macsec::sci_t peers[] = {peer_sci};
        ASSERT_TRUE((*d)->add_port(mem.a, sc, peers).ok());
        std::vector<std::vector<uint8_t>> in = {udp_frame(1, 1), udp_frame(2, 1, 300)};
        ASSERT_EQ(inject(mem.b, in), in.size());
        // A clear LACPDU (LACP on the controlled port, the default): the
        // SecY's to judge like data, punted when it passes.
        ASSERT_EQ(inject(mem.b, {ether_frame(0x8809)}), 1u);
        recording_punt punt;
        (*c)->set_punt_handler(&punt);
        (*c)->poll(time_point{});
        (*d)->poll();
        (*c)->worker(0).poll_once();
        (*c)->poll(time_point{});
        EXPECT_EQ(punt.frames.size(), pass_clear(v) ? 1u : 0u) << to_string(v);
        (*c)->set_punt_handler(nullptr);
        auto back = drain(host.a);
        std::vector<std::vector<uint8_t>> out;
        for (rte_mbuf* m : back)
            out.push_back(bytes_of(m));
        free_all(back);
        const bool pass = pass_clear(v);
        EXPECT_EQ(out, pass ? in : std::vector<std::vector<uint8_t>>{}) << to_string(v);
        EXPECT_EQ((*d)->secy_totals(mem.a).in_pkts_untagged, pass ? 3u : 0u);
        EXPECT_EQ((*d)->secy_totals(mem.a).in_pkts_no_tag, pass ? 0u : 3u);
        (*c)->shutdown();
    }
    destroy_wire(host);
    destroy_wire(mem);
    EXPECT_EQ(pool_in_use(), 0u) << "mbufs leaked";
}

TEST(macsec_validate, unprotected_frames_and_lacpdus_pass_under_check_and_disabled_and_drop_under_strict) {
    clear_frames_under(macsec::validate_frames::check, "vchk");
    clear_frames_under(macsec::validate_frames::disabled, "vdis");
    clear_frames_under(macsec::validate_frames::strict, "vstr");
}

} // namespace
