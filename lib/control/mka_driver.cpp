#include "control/mka_driver.hpp"

#include "dpdk/link.hpp"
#include "macsec/sectag.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace lag::ctl {

namespace {

// What a key server distributes with its SAKs: none (integrity only) under
// no_encrypt, else the configured offset.
mka::confidentiality_offset distributed_offset(const mka_driver_config& cfg) {
    return cfg.mode == encryption_mode::no_encrypt ? mka::confidentiality_offset::none : cfg.offset;
}

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

mka_driver::~mka_driver() {
    if (!_stopped)
        _control.set_punt_handler(mka::eapol_ethertype, nullptr);
}

result<std::unique_ptr<mka_driver>> mka_driver::create(control& c, macsec_driver& macsec,
                                                       mka::crypto_provider& crypto, const mka_driver_config& cfg,
                                                       std::vector<mka_member> members, frame_tx& tx,
                                                       time_point now) {
    std::unique_ptr<mka_driver> d(new mka_driver(c, macsec, crypto, cfg, std::move(members), tx));
    for (const auto& mb : d->_members) {
        auto p = d->make_chain(mb, cfg, 0, now);
        if (!p)
            return p.err();
        d->_chains.push_back(std::move(*p));
        if (auto r = d->add_secy(mb, cfg); !r)
            return r.err();
        if (cfg.mode == encryption_mode::must_encrypt) {
            auto g = c.set_member_gate(mb.name, false, now);
            if (!g)
                return g.err();
        }
    }
    d->_active_an.assign(d->_members.size(), 0xFF);
    d->_key_offset.assign(d->_members.size(), mka::confidentiality_offset::none);
    d->_legacy.resize(d->_members.size());
    for (const auto& mb : d->_members)
        d->_watch.push_back({.link = dpdk::link_up(mb.port)});
    if (!c.set_punt_handler(mka::eapol_ethertype, d.get()))
        return make_error("punt-table", "the control's punt demultiplexer is full");
    return d;
}

namespace {
macsec::secy_config secy_config_of(const mka_member& mb, const mka_driver_config& cfg) {
    macsec::secy_config sc;
    sc.sci = macsec::make_sci(mb.mac, mb.port_id);
    sc.suite = cfg.suite;
    sc.any_suite = true; // the key server's
    if (cfg.mode == encryption_mode::should_encrypt) {
        // Clear traffic while no MKA peer answers: sent untagged until a
        // transmit SA is in use, untagged frames accepted (validate check;
        // strict while the session is secured, see apply()).
        sc.clear_without_sa = true;
        sc.validate = macsec::validate_frames::check;
    }
    sc.confidentiality = cfg.mode != encryption_mode::no_encrypt;
    sc.confidentiality_offset = sc.confidentiality ? offset_octets(cfg.offset) : 0;
    sc.replay_window = cfg.replay_window;
    sc.protect_slow_protocols = cfg.protect_slow_protocols;
    return sc;
}
} // namespace

result<void> mka_driver::add_secy(const mka_member& mb, const mka_driver_config& cfg) {
    auto r = _macsec.add_port(mb.port, secy_config_of(mb, cfg), mb.peers);
    if (!r)
        return make_error(r.err().code, fmt::format("port '{}': {}", mb.name, r.err().message));
    return ok_v;
}

result<void> mka_driver::add_member(const mka_member& mb, const mka_driver_config& cfg, time_point now) {
    if (_stopped)
        return make_error("no-mka", "MKA is stopped on this LAG");
    if (cfg.mode != _mode)
        return make_error("mka-encryption", "a joining member takes the LAG's encryption mode");
    for (const auto& m : _members)
        if (m.name == mb.name || m.port == mb.port)
            return make_error("already-member", fmt::format("'{}' already runs MKA", mb.name));
    auto p = make_chain(mb, cfg, 0, now);
    if (!p)
        return p.err();
    if (auto r = add_secy(mb, cfg); !r)
        return r.err();
    _members.push_back(mb);
    _chains.push_back(std::move(*p));
    _active_an.push_back(0xFF);
    _key_offset.push_back(mka::confidentiality_offset::none);
    _legacy.emplace_back();
    _watch.push_back({.link = dpdk::link_up(mb.port)});
    dpdk::log(dpdk::log_type::mka, dpdk::log_level::info, "{}: MKA participant started", mb.name);
    return ok_v;
}

result<void> mka_driver::remove_member(std::string_view name) {
    for (size_t i = 0; i < _members.size(); ++i) {
        if (_members[i].name != name)
            continue;
        const auto at = static_cast<std::ptrdiff_t>(i);
        _members.erase(_members.begin() + at);
        _chains.erase(_chains.begin() + at); // its ICKs and KEKs are wiped with it
        _active_an.erase(_active_an.begin() + at);
        _key_offset.erase(_key_offset.begin() + at);
        _legacy.erase(_legacy.begin() + at);
        _watch.erase(_watch.begin() + at);
        dpdk::log(dpdk::log_type::mka, dpdk::log_level::info, "{}: MKA participant ended",
                  std::string(name));
        return ok_v;
    }
    return make_error("not-member", fmt::format("'{}' runs no MKA participant", name));
}

result<void> mka_driver::change_mode(const mka_driver_config& cfg, time_point now) {
    if (_stopped)
        return make_error("no-mka", "MKA is stopped on this LAG");
    for (const auto& mb : _members) // checked first: a refusal changes nothing
        if (!_macsec.has_port(mb.port))
            return make_error("macsec-port", fmt::format("port '{}' has no SecY", mb.name));
    _mode = cfg.mode;
    for (size_t i = 0; i < _members.size(); ++i) {
        const mka_member& mb = _members[i];
        const macsec::secy_config sc = secy_config_of(mb, cfg);
        if (!_macsec.set_policy(mb.port, sc.confidentiality, sc.clear_without_sa, sc.validate))
            ++_counters.sa_failed;
        if (sc.confidentiality) { // the key server's offset, as its SAK said, else the configured one
            const auto o = _key_offset[i] != mka::confidentiality_offset::none ? _key_offset[i] : cfg.offset;
            if (!_macsec.set_offset(mb.port, offset_octets(o)))
                ++_counters.sa_failed;
        }
        // The offset the key server distributes follows the mode: with
        // another one than its latest SAK's, it distributes a new SAK
        // (applied like any rekey), so the peers take the change too.
        if (auto a = _chains[i].set_offset(distributed_offset(cfg), now); !a.list.empty())
            apply(i, a, now);
        // must_encrypt: only a secured member (or one whose previous CA's
        // SAs still carry it, change_key) distributes.
        const bool open = _mode != encryption_mode::must_encrypt || _chains[i].secured() || _legacy[i].has_value();
        if (!_control.set_member_gate(mb.name, open, now))
            ++_counters.apply_failed;
    }
    return ok_v;
}

result<mka::key_chain> mka_driver::make_chain(const mka_member& mb, const mka_driver_config& cfg, uint8_t first_an,
                                              time_point now) {
    mka::participant_config pc;
    pc.mac = mb.mac;
    pc.port_id = mb.port_id;
    pc.ckn = cfg.ckn;
    pc.cak = cfg.cak;
    pc.key_server_priority = cfg.key_server_priority;
    pc.cipher_suites = {cfg.suite};
    for (auto s : cfg.other_suites)
        if (s != cfg.suite)
            pc.cipher_suites.push_back(s);
    pc.offset = distributed_offset(cfg);
    if (cfg.pn_threshold != 0) {
        pc.pn_threshold = cfg.pn_threshold;
        pc.xpn_pn_threshold = cfg.pn_threshold;
    }
    pc.first_an = first_an;
    pc.rekey_interval = cfg.rekey_interval;
    mka::key_chain_config kc;
    kc.base = std::move(pc);
    mka::chain_key first;
    first.ckn = cfg.ckn;
    first.cak = cfg.cak;
    first.start = cfg.start;
    kc.keys.push_back(std::move(first));
    for (const auto& k : cfg.more_keys)
        kc.keys.push_back(k);
    kc.fallback = cfg.fallback;
    auto p = mka::key_chain::create(std::move(kc), _crypto, now);
    if (!p)
        return make_error(p.err().code, fmt::format("port '{}': {}", mb.name, p.err().message));
    return std::move(*p);
}

result<void> mka_driver::add_key(const mka::chain_key& k, time_point now) {
    if (_stopped)
        return make_error("no-mka", "MKA is stopped on this LAG");
    for (const auto& c : _chains) // checked first: a refusal changes nothing
        for (const auto& s : c.keys())
            if (std::equal(s.ckn.view().begin(), s.ckn.view().end(), k.ckn.begin(), k.ckn.end()))
                return make_error("duplicate-ckn", "the LAG's key chain already holds a key with this CKN");
    for (size_t i = 0; i < _chains.size(); ++i) {
        if (auto r = _chains[i].add_key(k, now); !r)
            return make_error(r.err().code, fmt::format("port '{}': {}", _members[i].name, r.err().message));
    }
    ++_counters.keys_added;
    return ok_v;
}

result<void> mka_driver::remove_key(std::span<const uint8_t> ckn, time_point now) {
    if (_stopped)
        return make_error("no-mka", "MKA is stopped on this LAG");
    if (_chains.empty())
        return make_error("no-such-key", "no member runs MKA");
    for (size_t i = 0; i < _chains.size(); ++i) {
        auto r = _chains[i].remove_key(ckn, now);
        if (!r) {
            if (i == 0)
                return r.err(); // the chains hold the same keys: nothing changed
            ++_counters.apply_failed;
            continue;
        }
        apply(i, *r, now);
    }
    ++_counters.keys_removed;
    return ok_v;
}

result<void> mka_driver::set_fallback(const std::optional<mka::chain_key>& k, time_point now) {
    if (_stopped)
        return make_error("no-mka", "MKA is stopped on this LAG");
    for (size_t i = 0; i < _chains.size(); ++i) {
        auto r = _chains[i].set_fallback(k, now);
        if (!r) {
            if (i == 0)
                return r.err();
            ++_counters.apply_failed;
            continue;
        }
        apply(i, *r, now);
    }
    return ok_v;
}

result<void> mka_driver::change_key(const mka_driver_config& cfg, time_point now) {
    if (cfg.mode != _mode)
        return make_error("mka-encryption", "the encryption mode cannot change at run time");
    std::vector<mka::key_chain> parts;
    std::vector<std::optional<legacy_keys>> legacy(_members.size());
    for (size_t i = 0; i < _members.size(); ++i) {
        // The previous CA's SAs stay in use until the new CA's session
        // secures (then a life time more, while the peer moves), so a member
        // that stays secured loses nothing; the new key server starts past
        // their AN.
        std::vector<uint8_t> ans;
        if (_legacy[i])
            ans = _legacy[i]->ans;
        const auto& cur = *_chains[i].current();
        if (auto an = cur.latest_an())
            ans.push_back(*an);
        if (_active_an[i] != 0xFF)
            ans.push_back(_active_an[i]);
        uint8_t first = 0;
        if (!ans.empty())
            first = static_cast<uint8_t>((*std::max_element(ans.begin(), ans.end()) + 1) % 4);
        if (cur.latest_an())
            first = static_cast<uint8_t>((*cur.latest_an() + 1) % 4);
        auto p = make_chain(_members[i], cfg, first, now);
        if (!p)
            return p.err();
        parts.push_back(std::move(*p));
        if (!ans.empty())
            legacy[i] = legacy_keys{ans, std::nullopt, now + legacy_grace};
    }
    _chains = std::move(parts);
    _legacy = std::move(legacy);
    ++_counters.key_changes;
    return ok_v;
}

void mka_driver::retire_legacy(size_t i, time_point now) {
    const auto& l = *_legacy[i];
    const auto cur = _chains[i].current()->latest_an();
    for (uint8_t an : l.ans) {
        if (cur && *cur == an)
            continue; // the new CA's key took this AN over
        _macsec.retire_tx_sa(_members[i].port, an);
        _macsec.retire_rx_sas(_members[i].port, an);
        if (_active_an[i] == an)
            _active_an[i] = 0xFF;
    }
    if (!_chains[i].secured() && _mode == encryption_mode::must_encrypt &&
        !_control.set_member_gate(_members[i].name, false, now))
        ++_counters.apply_failed;
    _legacy[i].reset();
}

void mka_driver::stop(time_point now) {
    for (size_t i = 0; i < _members.size(); ++i) {
        _macsec.remove_port(_members[i].port);
        if (_mode == encryption_mode::must_encrypt && !_control.set_member_gate(_members[i].name, true, now))
            ++_counters.apply_failed;
    }
    _control.set_punt_handler(mka::eapol_ethertype, nullptr);
    _stopped = true;
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
    auto a = _chains[static_cast<size_t>(i)].on_mkpdu(frame, now);
    if (a.dropped) {
        ++_counters.frames_dropped;
        dpdk::log(dpdk::log_type::mka, dpdk::log_level::debug, "{}: MKPDU of {} octets dropped",
                  _members[static_cast<size_t>(i)].name, frame.size());
    }
    apply(static_cast<size_t>(i), a, now);
}

unsigned mka_driver::poll(time_point now) {
    unsigned work = 0;
    if (_stopped)
        return 0;
    // The transmit SA's next PN and watch(): every 10 ms, not on every poll,
    // to leave the workers' cache lines alone; the transmit PN on every poll
    // once near exhaustion.
    const bool due = now >= _next_watch;
    if (due)
        _next_watch = now + std::chrono::milliseconds(10);
    for (size_t i = 0; i < _members.size(); ++i) {
        if (_legacy[i] && ((_legacy[i]->retire_at && now >= *_legacy[i]->retire_at) || now >= _legacy[i]->deadline)) {
            retire_legacy(i, now);
            ++work;
        }
        auto a = _chains[i].tick(now);
        if (_active_an[i] != 0xFF && (due || _macsec.tx_near_exhaustion(_members[i].port)))
            if (const auto* sa = _macsec.tx_sa_of(_members[i].port, _active_an[i]))
                a.append(_chains[i].report_tx_pn(sa->next_pn(), now));
        if (due)
            watch(i, a, now);
        if (!a.list.empty())
            ++work;
        apply(i, a, now);
    }
    return work;
}

void mka_driver::watch(size_t i, mka::actions& a, time_point now) {
    auto& w = _watch[i];
    auto& kc = _chains[i];
    // The participant in use, fetched again after each call that may make
    // the chain retire a CA.
    auto p = [&]() -> const mka::participant& { return *kc.current(); };
    const uint16_t port = _members[i].port;
    // A member's link came back while its session lived on (the peer kept
    // us live): the peer may put its transmit SA back under the same key at
    // a PN it already used (wpa_supplicant 2.10 does, from PN 1). As key
    // server, distribute a new SAK for the member now.
    const bool up = dpdk::link_up(port);
    if (up && !w.link && p().is_key_server() && p().latest_key()) {
        a.append(kc.rekey(now));
        ++_counters.link_rekeys;
        dpdk::log(dpdk::log_type::mka, dpdk::log_level::notice, "{}: link back with the MKA session alive: new SAK",
                  _members[i].name);
    }
    w.link = up;
    // What the receive SAs accept, for SAK Use.
    std::array<std::optional<macsec_driver::rx_sa_status>, 4> rx;
    for (uint8_t an = 0; an < 4; ++an)
        if ((rx[an] = _macsec.rx_sa_totals(port, an)))
            a.append(kc.report_rx_pn(an, rx[an]->lowest_pn, now));
    // Where the link says nothing (net_pcap, a far-end flap): the peer's
    // frames under the latest key are dropped as late while its receive SAs
    // take nothing new. That is a transmit SA restarted under the same key,
    // reusing GCM nonces, whose frames we drop until its PN passes the old
    // one (hours, after a long session). A new SAK ends it: the key server
    // distributes one, anyone else asks the key server for one
    // (request_new_sak). At most once a life time per member (a replayer on
    // the wire can make no more of it than that).
    const auto an = p().latest_an();
    if (!an) {
        w.an = 0xFF;
        return;
    }
    const uint64_t lowest = rx[*an & 3] ? rx[*an & 3]->lowest_pn : 0;
    const uint64_t late = rx[*an & 3] ? rx[*an & 3]->late : 0;
    if (w.an == *an && late > w.late && lowest == w.lowest && p().has_live_peers() &&
        (!w.replay_rekey_at || now - *w.replay_rekey_at >= mka::mka_life_time)) {
        a.append(kc.request_new_sak(now));
        ++_counters.replay_rekeys;
        dpdk::log(dpdk::log_type::mka, dpdk::log_level::notice,
                  "{}: the peer sends PNs already taken under the current key: new SAK{}", _members[i].name,
                  p().is_key_server() ? "" : " asked of the key server");
        w.replay_rekey_at = now;
    }
    w.an = *an;
    w.lowest = lowest;
    w.late = late;
}

void mka_driver::set_rekey_interval(duration d) {
    for (auto& c : _chains)
        c.set_rekey_interval(d);
}

result<void> mka_driver::rekey(size_t member, time_point now) {
    if (member >= _chains.size())
        return make_error("mka-member", "no such member");
    const auto& p = *_chains[member].current();
    if (!p.has_live_peers())
        return make_error("mka-no-peer", fmt::format("port '{}': no live MKA peer", _members[member].name));
    if (!p.is_key_server()) {
        const auto ks = p.key_server();
        return make_error("mka-not-key-server",
                          fmt::format("port '{}': this side is not the MKA key server{}; rekey on the key server",
                                      _members[member].name,
                                      ks ? fmt::format(" (the key server is {})", ks->to_string()) : ""));
    }
    auto a = _chains[member].rekey(now);
    ++_counters.rekeys;
    apply(member, a, now);
    return ok_v;
}

void mka_driver::apply(size_t i, const mka::actions& a, time_point now) {
    const mka_member& mb = _members[i];
    auto sa_result = [&](const result<void>& r) {
        if (!r)
            ++_counters.sa_failed;
    };
    // The key server's confidentiality offset comes with its SAK (an
    // integrity-only SecY has none to change).
    auto follow_offset = [&](const mka::sa_key& k) {
        if (k.offset != mka::confidentiality_offset::none)
            _key_offset[i] = k.offset; // kept for a change of encryption mode
        if (_mode != encryption_mode::no_encrypt && k.offset != mka::confidentiality_offset::none)
            sa_result(_macsec.set_offset(mb.port, offset_octets(k.offset)));
    };
    // Receive first, then transmit, then enable, then retire: no frame
    // protected with a new key reaches a peer that cannot verify it.
    for (const auto* x : a.all<mka::install_rx_sa>()) {
        follow_offset(x->key);
        const macsec::sci_t peer = macsec::make_sci(x->peer.addr, x->peer.port);
        if (!_macsec.has_rx_sc(mb.port, peer)) {
            auto r = _macsec.add_rx_sc(mb.port, peer);
            sa_result(r);
            if (!r)
                continue;
            ++_counters.rx_scs_learnt;
        }
        sa_result(_macsec.install_rx_sa(mb.port, peer, x->key.an, params_of(x->key, x->ssci, x->lowest_pn)));
    }
    for (const auto* x : a.all<mka::install_tx_sa>()) {
        follow_offset(x->key);
        sa_result(_macsec.install_tx_sa(mb.port, x->key.an, params_of(x->key, x->ssci, x->next_pn), _pn_threshold));
    }
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
        _macsec.retire_rx_sas(mb.port, x->an);
    }
    for (const auto* x : a.all<mka::secured_changed>()) {
        if (x->secured && _legacy[i] && !_legacy[i]->retire_at)
            _legacy[i]->retire_at = now + mka::mka_life_time; // the peer moves meanwhile
        dpdk::log(dpdk::log_type::mka, dpdk::log_level::info, "{} {}", mb.name,
                  x->secured ? "secured" : "not secured");
        if (_mode != encryption_mode::must_encrypt)
            continue;
        if (!_control.set_member_gate(mb.name, x->secured, now))
            ++_counters.apply_failed;
    }
    if (_mode == encryption_mode::should_encrypt) {
        // 802.1X's CP (and wpa_supplicant, the kernel's macsec under it):
        // validate check while unsecured, strict once secured, so the clear
        // no longer passes. Strict once the peers protect their frames too:
        // the last clear ones they sent before that still pass.
        const auto& p = *_chains[i].current();
        sa_result(_macsec.set_validate(mb.port, p.secured() && p.peers_protect() ? macsec::validate_frames::strict
                                                                                 : macsec::validate_frames::check));
    }
    for (const auto* x : a.all<mka::send_mkpdu>()) {
        if (_tx.send(mb.port, x->frame))
            ++_counters.frames_out;
        else
            ++_counters.tx_failed;
    }
}

} // namespace lag::ctl
