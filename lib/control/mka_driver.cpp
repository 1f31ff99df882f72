#include "control/mka_driver.hpp"

#include "macsec/sectag.hpp"

#include <fmt/format.h>

namespace lag::ctl {

namespace {

uint8_t offset_octets(mka::confidentiality_offset o) {
    switch (o) {
    case mka::confidentiality_offset::offset_30: return 30;
    case mka::confidentiality_offset::offset_50: return 50;
    default: return 0;
    }
}

macsec::sa_params params_of(const mka::sa_key& k, uint32_t ssci, uint64_t pn) {
    macsec::sa_params p;
    p.suite = k.suite;
    p.key = k.sak;
    p.ssci = ssci;
    p.salt = k.salt;
    p.next_pn = pn;
    return p;
}

} // namespace

mka_driver::~mka_driver() { _control.set_punt_handler(mka::eapol_ethertype, nullptr); }

result<std::unique_ptr<mka_driver>> mka_driver::create(control& c, macsec_driver& macsec,
                                                       mka::crypto_provider& crypto, const mka_driver_config& cfg,
                                                       std::vector<mka_member> members, frame_tx& tx,
                                                       time_point now) {
    if (members.empty())
        return make_error("mka-members", "an MKA LAG needs at least one member");
    std::unique_ptr<mka_driver> d(new mka_driver(c, macsec, cfg, std::move(members), tx));
    for (const auto& mb : d->_members) {
        mka::participant_config pc;
        pc.mac = mb.mac;
        pc.port_id = mb.port_id;
        pc.ckn = cfg.ckn;
        pc.cak = cfg.cak;
        pc.key_server_priority = cfg.key_server_priority;
        pc.cipher_suites = {cfg.suite};
        pc.offset = cfg.mode == encryption_mode::no_encrypt ? mka::confidentiality_offset::none : cfg.offset;
        auto p = mka::participant::create(std::move(pc), crypto, now);
        if (!p)
            return make_error(p.err().code, fmt::format("port '{}': {}", mb.name, p.err().message));
        d->_parts.push_back(std::move(*p));

        macsec::secy_config sc;
        sc.sci = macsec::make_sci(mb.mac, mb.port_id);
        sc.suite = cfg.suite;
        sc.confidentiality = cfg.mode != encryption_mode::no_encrypt;
        sc.confidentiality_offset = sc.confidentiality ? offset_octets(cfg.offset) : 0;
        sc.replay_window = cfg.replay_window;
        auto r = macsec.add_port(mb.port, sc, mb.peers);
        if (!r)
            return make_error(r.err().code, fmt::format("port '{}': {}", mb.name, r.err().message));
        if (cfg.mode == encryption_mode::must_encrypt) {
            auto g = c.set_member_gate(mb.name, false, now);
            if (!g)
                return g.err();
        }
    }
    d->_active_an.assign(d->_members.size(), 0xFF);
    if (!c.set_punt_handler(mka::eapol_ethertype, d.get()))
        return make_error("punt-table", "the control's punt demultiplexer is full");
    return d;
}

int mka_driver::member_of(uint16_t port) const noexcept {
    for (size_t i = 0; i < _members.size(); ++i)
        if (_members[i].port == port)
            return static_cast<int>(i);
    return -1;
}

void mka_driver::on_frame(uint16_t port, std::span<const uint8_t> frame, time_point now) {
    ++_counters.frames_in;
    int i = member_of(port);
    if (i < 0) {
        ++_counters.not_a_member;
        return;
    }
    auto a = _parts[static_cast<size_t>(i)].on_mkpdu(frame, now);
    if (a.dropped) {
        ++_counters.frames_dropped;
        dpdk::log(dpdk::log_type::mka, dpdk::log_level::debug, "{}: MKPDU of {} octets dropped",
                  _members[static_cast<size_t>(i)].name, frame.size());
    }
    apply(static_cast<size_t>(i), a, now);
}

unsigned mka_driver::poll(time_point now) {
    unsigned work = 0;
    for (size_t i = 0; i < _members.size(); ++i) {
        auto a = _parts[i].tick(now);
        if (_active_an[i] != 0xFF && _macsec.tx_near_exhaustion(_members[i].port)) {
            if (const auto* sa = _macsec.tx_sa_of(_members[i].port, _active_an[i])) {
                auto b = _parts[i].report_tx_pn(sa->next_pn(), now);
                for (auto& x : b.list)
                    a.list.push_back(std::move(x));
            }
        }
        if (!a.list.empty())
            ++work;
        apply(i, a, now);
    }
    return work;
}

void mka_driver::apply(size_t i, const mka::actions& a, time_point now) {
    const mka_member& mb = _members[i];
    auto sa_result = [&](const result<void>& r) {
        if (!r)
            ++_counters.sa_failed;
    };
    // Receive first, then transmit, then enable, then retire: no frame
    // protected with a new key reaches a peer that cannot verify it.
    for (const auto* x : a.all<mka::install_rx_sa>())
        sa_result(_macsec.install_rx_sa(mb.port, macsec::make_sci(x->peer.addr, x->peer.port), x->key.an,
                                        params_of(x->key, x->ssci, x->lowest_pn)));
    for (const auto* x : a.all<mka::install_tx_sa>())
        sa_result(_macsec.install_tx_sa(mb.port, x->key.an, params_of(x->key, x->ssci, x->next_pn)));
    for (const auto* x : a.all<mka::enable_tx_sa>()) {
        auto r = _macsec.enable_tx_sa(mb.port, x->an);
        if (r)
            _active_an[i] = x->an;
        sa_result(r);
    }
    for (const auto* x : a.all<mka::retire_sa>()) {
        // An AN that a newer key took over holds that key now: keep it.
        bool reused = false;
        for (const auto* y : a.all<mka::install_tx_sa>())
            reused = reused || y->key.an == x->an;
        for (const auto* y : a.all<mka::install_rx_sa>())
            reused = reused || y->key.an == x->an;
        if (reused)
            continue;
        _macsec.retire_tx_sa(mb.port, x->an);
        if (_active_an[i] == x->an)
            _active_an[i] = 0xFF;
        for (auto peer : mb.peers)
            _macsec.retire_rx_sa(mb.port, peer, x->an);
    }
    for (const auto* x : a.all<mka::secured_changed>()) {
        dpdk::log(dpdk::log_type::mka, dpdk::log_level::info, "{} {}", mb.name,
                  x->secured ? "secured" : "not secured");
        if (_mode != encryption_mode::must_encrypt)
            continue;
        if (!_control.set_member_gate(mb.name, x->secured, now))
            ++_counters.apply_failed;
    }
    for (const auto* x : a.all<mka::send_mkpdu>()) {
        if (_tx.send(mb.port, x->frame))
            ++_counters.frames_out;
        else
            ++_counters.tx_failed;
    }
}

} // namespace lag::ctl
