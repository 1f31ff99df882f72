#include "mka/participant.hpp"

#include <algorithm>

namespace lag::mka {

uint64_t participant_counters::total_drops() const {
    uint64_t n = 0;
    for (auto d : dropped)
        n += d;
    return n;
}

result<participant> participant::create(participant_config cfg, crypto_provider& c,
                                         time_point now) {
    mka::ckn name;
    if (!name.assign(cfg.ckn))
        return make_error("ckn-length", "a CKN is 1 to 32 octets");
    if (cfg.cipher_suites.empty())
        return make_error("cipher-suites", "at least one cipher suite is needed");
    auto keys = derive_keys(c, cfg.cak.view(), name);
    if (!keys)
        return keys.err();
    participant p(std::move(cfg), c, std::move(keys.value()));
    p._ckn = name;
    if (!p.new_mi())
        return make_error("random", "the random source failed");
    p._next_hello = now;
    return p;
}

participant::participant(participant_config cfg, crypto_provider& c, derived_keys k)
    : _cfg(std::move(cfg)), _crypto(&c), _keys(std::move(k)) {
    _sci = {_cfg.mac, _cfg.port_id};
    _next_an = static_cast<uint8_t>(_cfg.first_an % 4);
    // The CAK is not needed once ICK and KEK exist.
    _cfg.cak.clear();
}

bool participant::new_mi() {
    _mn = 0;
    _sent.clear();
    return _crypto->random_bytes(_mi);
}

void participant::drop(actions& out, drop_reason r) {
    ++_counters.dropped[static_cast<size_t>(r)];
    out.dropped = r;
}

participant::peer* participant::find_peer(const member_id& mi) {
    for (auto& p : _peers)
        if (p.mi == mi)
            return &p;
    return nullptr;
}

size_t participant::live_peer_count() const {
    return static_cast<size_t>(std::count_if(_peers.begin(), _peers.end(),
                                             [](const peer& p) { return p.live; }));
}

std::optional<sci> participant::key_server() const {
    if (!has_live_peers() || (!_ks_is_self && !_ks_mi))
        return std::nullopt;
    return _ks_is_self ? _sci : _ks_sci;
}

std::optional<key_identifier> participant::latest_key() const {
    if (!_latest)
        return std::nullopt;
    return _latest->ki;
}

std::optional<cipher_suite> participant::suite_in_use() const {
    if (!_latest)
        return std::nullopt;
    return _latest->suite;
}

std::optional<uint8_t> participant::latest_an() const {
    if (!_latest)
        return std::nullopt;
    return _latest->an;
}

bool participant::peers_protect() const {
    auto receives = [&](const key_identifier& ki) {
        return (_latest && _latest->rx && _latest->ki == ki) || (_old && _old->rx && _old->ki == ki);
    };
    bool any = false;
    for (const auto& p : _peers) {
        if (!p.live)
            continue;
        any = true;
        const auto& u = p.last_sak_use;
        if (!u || !u->has_keys || !((u->latest_tx && receives(u->latest_ki)) || (u->old_tx && receives(u->old_ki))))
            return false;
    }
    return any;
}

std::vector<peer_status> participant::peers() const {
    std::vector<peer_status> v;
    for (const auto& p : _peers) {
        v.push_back({p.mi, p.peer_sci, p.mn, p.live, p.priority, p.expires, std::nullopt});
        const auto& u = p.last_sak_use;
        if (_latest && u && u->has_keys && u->latest_ki == _latest->ki)
            v.back().lowest_acceptable_pn = uint64_t{p.llpn_msb} << 32 | u->latest_lowest_pn;
    }
    return v;
}

uint32_t participant::mn_floor(time_point now) const {
    for (const auto& [when, mn] : _sent)
        if (now - when <= _cfg.life_time)
            return mn;
    return _mn;
}

// ---- receive ---------------------------------------------------------------

actions participant::on_mkpdu(std::span<const uint8_t> frame, time_point now) {
    actions out;
    auto d = decode_frame(frame, _cfg.group_address);
    if (!d) {
        drop(out, d.reason());
        return out;
    }
    const auto& f = d.value();
    if (!(f.pdu.basic.ckn == _ckn)) {
        drop(out, drop_reason::unknown_ckn);
        return out;
    }
    if (!verify_icv(*_crypto, _keys.ick, f)) {
        drop(out, drop_reason::bad_icv);
        return out;
    }
    if (f.pdu.basic.actor_mi == _mi) {
        drop(out, drop_reason::own_member_id);
        return out;
    }
    if (f.pdu.basic.actor_sci == _sci) {
        // A peer with our SCI would draw the same IVs (SCI || PN) from the
        // same SAK: never a peer.
        drop(out, drop_reason::own_sci);
        return out;
    }
    process(f, now, out);
    if (_new_info)
        send(now, out);
    return out;
}

void participant::process(const decoded_frame& f, time_point now, actions& out) {
    const auto& pdu = f.pdu;
    const auto& b = pdu.basic;
    peer* p = find_peer(b.actor_mi);
    if (p && b.actor_mn <= p->mn) {
        drop(out, drop_reason::stale_message_number);
        return;
    }
    if (!p) {
        // A new MI from an SCI we already know: that participant restarted
        // (9.4.2). Its old MI will never speak again; forget it now rather
        // than wait a life time with a member that cannot confirm keys.
        bool lost_live = false;
        for (auto it = _peers.begin(); it != _peers.end();) {
            if (it->peer_sci == b.actor_sci) {
                if (it->live) {
                    out.list.push_back(peer_changed{it->mi, it->peer_sci, false});
                    lost_live = true;
                }
                it = _peers.erase(it);
            } else {
                ++it;
            }
        }
        if (lost_live && !has_live_peers()) {
            retire_all(out);
            _ks_mi.reset();
            _ks_is_self = false;
            update_secured(out);
        }
        if (_peers.size() >= _cfg.max_peers) {
            drop(out, drop_reason::peer_table_full);
            return;
        }
        _peers.push_back(peer{});
        p = &_peers.back();
        p->mi = b.actor_mi;
        p->expires = now + _cfg.life_time;
        _new_info = true; // it goes into our potential peer list
    }
    ++_counters.mkpdus_accepted;
    p->mn = b.actor_mn;
    p->peer_sci = b.actor_sci;
    p->priority = b.key_server_priority;
    p->claims_key_server = b.key_server;
    p->version = b.version;
    if (pdu.announcement) {
        p->announced = true;
        p->suites.clear();
        for (const auto& s : pdu.announcement->cipher_suites)
            if (auto cs = suite_from_id(s.id))
                p->suites.push_back(*cs);
    }
    update_liveness(pdu, *p, now, out);
    if (!p->live)
        return;
    p->last_sak_use = pdu.sak_use;
    p->llpn_msb = pdu.xpn ? pdu.xpn->latest_lowest_pn_msb : 0;
    elect(out);
    if (pdu.distributed_sak) {
        if (_ks_is_self || !_ks_mi || *_ks_mi != p->mi)
            drop(out, drop_reason::sak_from_non_key_server);
        else
            handle_distributed_sak(*p, *pdu.distributed_sak, now, out);
    }
    key_server_duties(now, out);
    handle_sak_use(out);
}

void participant::update_liveness(const mkpdu& pdu, peer& p, time_point now, actions& out) {
    // 9.4.3: the peer is live once it lists our MI with a recent MN.
    const uint32_t floor = mn_floor(now);
    bool lists_us = false;
    for (const auto* l : {&pdu.live, &pdu.potential})
        if (*l)
            for (const auto& e : (*l)->peers)
                if (e.mi == _mi && e.mn >= floor && e.mn <= _mn && e.mn != 0)
                    lists_us = true;
    if (lists_us) {
        p.expires = now + _cfg.life_time;
        if (!p.live) {
            p.live = true;
            _new_info = true;
            if (_keys_kept_until) {
                // Kept keys are in use again when a peer they were kept for
                // is back; any other participant (one that restarted: a new
                // MI) starts a new session, as after their retirement.
                if (std::find(_kept_for.begin(), _kept_for.end(), p.mi) == _kept_for.end())
                    retire_all(out);
                _keys_kept_until.reset();
            }
            out.list.push_back(peer_changed{p.mi, p.peer_sci, true});
            // Receive SAs for a peer that joins while keys are in use.
            for (auto* k : {&_old, &_latest})
                if (*k && (*k)->rx)
                    install_rx(**k, p, out);
        }
    } else if (!p.live) {
        p.expires = now + _cfg.life_time; // still a potential peer
    }
}

void participant::elect(actions& out) {
    // 9.5.1: highest priority (lowest value), then lowest SCI; 0xFF never.
    bool self = _cfg.key_server_priority != not_key_server_priority;
    uint8_t best_prio = _cfg.key_server_priority;
    sci best_sci = _sci;
    const peer* best = nullptr;
    for (const auto& p : _peers) {
        if (!p.live || p.priority == not_key_server_priority)
            continue;
        if (!self && !best) {
            best = &p;
            best_prio = p.priority;
            best_sci = p.peer_sci;
            continue;
        }
        if (p.priority < best_prio || (p.priority == best_prio && p.peer_sci < best_sci)) {
            best = &p;
            best_prio = p.priority;
            best_sci = p.peer_sci;
        }
    }
    const bool ks_self = !best && self;
    std::optional<member_id> ks_mi;
    if (best)
        ks_mi = best->mi;
    if (ks_self != _ks_is_self || ks_mi != _ks_mi) {
        _ks_is_self = ks_self;
        _ks_mi = ks_mi;
        _ks_sci = best ? best->peer_sci : _sci;
        _distributing = false;
        _new_info = true;
        if (ks_self || best)
            out.list.push_back(key_server_changed{ks_self, _ks_sci});
    }
}

std::optional<cipher_suite> participant::choose_suite() const {
    for (auto s : _cfg.cipher_suites) {
        bool all = true;
        for (const auto& p : _peers) {
            if (!p.live)
                continue;
            // A peer that announces no suites (wpa_supplicant never does,
            // yet takes a GCM-AES-256 SAK) is taken to implement every
            // suite its MKA version can carry: XPN needs version 3.
            bool has = p.announced ? std::find(p.suites.begin(), p.suites.end(), s) != p.suites.end()
                                   : p.version >= 3 || !is_xpn(s);
            all = all && has;
        }
        if (all)
            return s;
    }
    return std::nullopt;
}

uint32_t participant::ssci_of(const sci& s) const {
    // Every live participant's SCI in ascending order, SSCI 1, 2, ...
    std::vector<uint64_t> all{_sci.value()};
    for (const auto& p : _peers)
        if (p.live)
            all.push_back(p.peer_sci.value());
    std::sort(all.begin(), all.end());
    auto it = std::find(all.begin(), all.end(), s.value());
    return it == all.end() ? 0 : static_cast<uint32_t>(it - all.begin() + 1);
}

std::array<uint8_t, 12> participant::make_salt(const key_identifier& ki) const {
    // 802.1X-2020 9.8.3: the key server's MI with its 32 most significant
    // bits exclusive-ored with the Key Number.
    std::array<uint8_t, 12> salt = ki.mi;
    salt[0] ^= static_cast<uint8_t>(ki.kn >> 24);
    salt[1] ^= static_cast<uint8_t>(ki.kn >> 16);
    salt[2] ^= static_cast<uint8_t>(ki.kn >> 8);
    salt[3] ^= static_cast<uint8_t>(ki.kn);
    return salt;
}

void participant::key_server_duties(time_point now, actions& out) {
    if (!_ks_is_self || !has_live_peers())
        return;
    auto suite = choose_suite();
    if (!suite)
        return;
    std::vector<member_id> members;
    for (const auto& p : _peers)
        if (p.live)
            members.push_back(p.mi);
    std::sort(members.begin(), members.end());

    bool need = !_latest || _latest->ki.mi != _mi || _rekey_requested ||
                _latest->members != members || _latest->suite != *suite;
    // PN exhaustion reported by a peer through SAK Use (and the XPN set).
    if (!need && _latest->tx) {
        const uint64_t thr = pn_threshold_of(*_latest);
        for (const auto& p : _peers) {
            if (!p.live || !p.last_sak_use || !p.last_sak_use->has_keys)
                continue;
            const auto& u = *p.last_sak_use;
            const uint64_t pn = uint64_t{p.llpn_msb} << 32 | u.latest_lowest_pn;
            if (u.latest_ki == _latest->ki && u.latest_tx && pn >= thr)
                need = true;
        }
    }
    if (!need) {
        // A live peer that reports no current key (it expired us and retired
        // its keys while we kept it live: same MI, same members, so no new
        // SAK is due) gets the current one again; once every live peer has
        // it, the distribution stops.
        bool all_have = true;
        for (const auto& p : _peers)
            if (p.live && !(p.last_sak_use && p.last_sak_use->has_keys && p.last_sak_use->latest_ki == _latest->ki))
                all_have = false;
        if (!all_have && !_distributing) {
            _distributing = true;
            _new_info = true;
        } else if (all_have && _distributing && _latest->tx) {
            _distributing = false;
        }
        return;
    }

    key_slot k;
    k.ki = {_mi, _next_kn++};
    // The AN after the latest key's; with none (a new session), the one after
    // the last this participant distributed, not 0 again: a peer that kept
    // us live may still hold the previous session's key at that AN.
    k.an = _latest ? static_cast<uint8_t>((_latest->an + 1) % 4) : _next_an;
    if (_old && _old->an == k.an)
        k.an = static_cast<uint8_t>((k.an + 1) % 4);
    // Past the ANs another CA on this port holds (a key chain), where one is
    // free besides the latest key's.
    for (int tries = 0; tries < 3 && (_reserved_ans >> k.an & 1); ++tries) {
        k.an = static_cast<uint8_t>((k.an + 1) % 4);
        if (_latest && _latest->an == k.an)
            k.an = static_cast<uint8_t>((k.an + 1) % 4);
    }
    _next_an = static_cast<uint8_t>((k.an + 1) % 4);
    k.suite = *suite;
    k.offset = _cfg.offset;
    std::array<uint8_t, 32> buf{};
    std::span<uint8_t> sak{buf.data(), key_length(*suite)};
    if (!_crypto->random_bytes(sak))
        return;
    k.sak.assign(sak);
    secure_wipe(buf.data(), buf.size());
    if (is_xpn(k.suite))
        k.salt = make_salt(k.ki);
    k.members = std::move(members);
    ++_counters.saks_generated;
    _rekey_requested = false;
    _distributing = true;
    install_key(std::move(k), now, out);
    _new_info = true;
}

void participant::handle_distributed_sak(const peer& from, const distributed_sak& d, time_point now,
                                         actions& out) {
    if (d.plain)
        return; // the key server asks for no MACsec: not supported, keep what we have
    if (std::find(_cfg.cipher_suites.begin(), _cfg.cipher_suites.end(), d.suite) ==
        _cfg.cipher_suites.end()) {
        drop(out, drop_reason::unsupported_cipher_suite);
        return;
    }
    const key_identifier ki{from.mi, d.kn};
    if ((_latest && _latest->ki == ki) || (_old && _old->ki == ki))
        return; // already have it
    std::array<uint8_t, 32> buf{};
    std::span<uint8_t> sak{buf.data(), d.wrapped_len - 8};
    if (sak.size() != key_length(d.suite) ||
        !_crypto->aes_unwrap(_keys.kek.view(), d.wrapped_view(), sak)) {
        secure_wipe(buf.data(), buf.size());
        drop(out, drop_reason::bad_wrapped_sak);
        return;
    }
    key_slot k;
    k.ki = ki;
    k.an = d.an;
    k.suite = d.suite;
    k.offset = d.offset;
    k.sak.assign(sak);
    secure_wipe(buf.data(), buf.size());
    if (is_xpn(k.suite))
        k.salt = make_salt(ki);
    install_key(std::move(k), now, out);
    _new_info = true;
}

void participant::install_key(key_slot&& k, time_point now, actions& out) {
    // A key at the new key's AN is replaced by the install (a SecY holds one
    // SA per AN): forget it. Retiring it later would retire the AN, and so
    // the new key's SAs (a key server that restarted its ANs did that).
    if (_old && _old->an == k.an)
        _old.reset();
    if (_latest && _latest->an == k.an)
        _latest.reset();
    if (_old)
        retire_old(out);
    if (_latest)
        _old = std::move(_latest);
    // Receive first (one SA per live peer), then a transmit SA not yet in use.
    for (const auto& p : _peers)
        if (p.live)
            install_rx(k, p, out);
    install_tx_sa tx;
    tx.ssci = ssci_of(_sci);
    tx.next_pn = 1;
    tx.key = {k.ki, k.an, k.suite, k.sak, k.salt, k.offset};
    out.list.push_back(std::move(tx));
    k.rx = true;
    k.tx = false;
    k.tx_next_pn = 1;
    k.installed = now;
    _latest = std::move(k);
    ++_counters.saks_installed;
}

void participant::install_rx(key_slot& k, const peer& p, actions& out) {
    if (std::find(k.rx_peers.begin(), k.rx_peers.end(), p.peer_sci) != k.rx_peers.end())
        return; // still installed (kept while the peer was away): its replay state too
    install_rx_sa rx;
    rx.peer = p.peer_sci;
    rx.ssci = ssci_of(p.peer_sci);
    rx.lowest_pn = 1;
    rx.key = {k.ki, k.an, k.suite, k.sak, k.salt, k.offset};
    out.list.push_back(std::move(rx));
    k.rx_peers.push_back(p.peer_sci);
}

void participant::handle_sak_use(actions& out) {
    if (_latest && !_latest->tx) {
        bool go = true;
        if (_ks_is_self) {
            // Transmit once every live peer receives with the new key.
            for (const auto& p : _peers)
                if (p.live && !(p.last_sak_use && p.last_sak_use->has_keys &&
                                p.last_sak_use->latest_ki == _latest->ki &&
                                p.last_sak_use->latest_rx))
                    go = false;
        } else {
            // Transmit once the key server does.
            go = false;
            for (const auto& p : _peers)
                if (p.live && _ks_mi && p.mi == *_ks_mi && p.last_sak_use &&
                    p.last_sak_use->has_keys && p.last_sak_use->latest_ki == _latest->ki &&
                    p.last_sak_use->latest_tx)
                    go = true;
        }
        if (go && has_live_peers()) {
            _latest->tx = true;
            _distributing = false;
            _new_info = true;
            out.list.push_back(enable_tx_sa{_latest->ki, _latest->an});
        }
    }
    if (_old && _latest && _latest->tx) {
        // Keep the old receive SAs until every peer transmits with the new key.
        bool moved = true;
        for (const auto& p : _peers)
            if (p.live && !(p.last_sak_use && p.last_sak_use->has_keys &&
                            p.last_sak_use->latest_ki == _latest->ki && p.last_sak_use->latest_tx))
                moved = false;
        if (moved)
            retire_old(out);
    }
    update_secured(out);
}

void participant::retire_old(actions& out) {
    if (!_old)
        return;
    out.list.push_back(retire_sa{_old->ki, _old->an});
    _old.reset();
    _new_info = true;
}

void participant::retire_all(actions& out) {
    retire_old(out);
    if (_latest) {
        out.list.push_back(retire_sa{_latest->ki, _latest->an});
        _latest.reset();
    }
    _keys_kept_until.reset();
    _distributing = false;
    _new_info = true;
}

void participant::update_secured(actions& out) {
    // A rekey keeps the session secured: the old key transmits until the new
    // one takes over (802.1X 12.5.1: the controlled port stays enabled).
    const bool s = has_live_peers() && ((_latest && _latest->rx && _latest->tx) || (_old && _old->rx && _old->tx));
    if (s != _secured) {
        _secured = s;
        out.list.push_back(secured_changed{s});
    }
}

// ---- time ----------------------------------------------------------------

actions participant::tick(time_point now) {
    actions out;
    if (!_started) {
        _started = true;
        _next_hello = now;
    }
    bool lost_live = false;
    std::vector<member_id> lost;
    for (auto it = _peers.begin(); it != _peers.end();) {
        if (it->expires <= now) {
            if (it->live) {
                out.list.push_back(peer_changed{it->mi, it->peer_sci, false});
                lost_live = true;
                lost.push_back(it->mi);
            }
            it = _peers.erase(it);
            _new_info = true;
        } else {
            ++it;
        }
    }
    if (lost_live) {
        if (!has_live_peers()) {
            // The peer may not have expired us (its MKPDUs crossed the flap a
            // moment earlier than ours): it still transmits with our keys
            // and, back with the same MI, keeps them. They stay installed a
            // life time more for that; not secured meanwhile.
            if (_latest || _old) {
                _keys_kept_until = now + _cfg.life_time;
                _kept_for = std::move(lost);
            }
            _distributing = false;
            _ks_mi.reset();
            _ks_is_self = false;
        } else {
            elect(out);
            key_server_duties(now, out);
            handle_sak_use(out);
        }
        update_secured(out);
    }
    if (rekey_interval_due(now)) {
        ++_counters.interval_rekeys;
        _rekey_requested = true;
        key_server_duties(now, out);
        handle_sak_use(out);
    }
    if (_keys_kept_until && now >= *_keys_kept_until)
        retire_all(out); // nobody came back with them
    if (now >= _next_hello || _new_info)
        send(now, out);
    return out;
}

actions participant::report_tx_pn(uint64_t next_pn, time_point now) {
    actions out;
    if (!_latest || !_latest->tx)
        return out;
    _latest->tx_next_pn = next_pn;
    if (next_pn >= pn_threshold_of(*_latest)) {
        if (_ks_is_self) {
            _rekey_requested = true;
            key_server_duties(now, out);
            _new_info = true;
        } else if (!_latest->pn_reported) {
            // SAK Use carries the PN to the key server: once now, then in
            // every hello (the data path reports on every poll).
            _latest->pn_reported = true;
            _new_info = true;
        }
    }
    if (_new_info)
        send(now, out);
    return out;
}

actions participant::report_rx_pn(uint8_t an, uint64_t lowest_pn, time_point now) {
    actions out;
    key_slot* k = _latest && _latest->rx && _latest->an == an ? &*_latest
                  : _old && _old->rx && _old->an == an      ? &*_old
                                                            : nullptr;
    if (k == nullptr || lowest_pn <= k->rx_lowest_pn)
        return out;
    k->rx_lowest_pn = lowest_pn;
    if (k == &*_latest && !k->rx_pn_reported && lowest_pn >= pn_threshold_of(*k)) {
        k->rx_pn_reported = true;
        if (_ks_is_self) {
            _rekey_requested = true;
            key_server_duties(now, out);
        }
        _new_info = true; // a non key server's SAK Use tells the key server now
    }
    if (_new_info)
        send(now, out);
    return out;
}

// SAK Use's Lowest Acceptable PN of a key: the higher of our transmit PN
// (802.1X's reading) and what our receive SAs accept (wpa_supplicant's); see
// report_rx_pn.
uint64_t participant::lowest_acceptable_pn(const key_slot& k) {
    return std::max(k.rx_lowest_pn, k.tx_next_pn);
}

// The key server's interval rotation is due: a live session whose latest
// SAK is its own, in use for transmission (a rotation never overtakes one
// that is still being installed), and older than the interval.
bool participant::rekey_interval_due(time_point now) const {
    return _cfg.rekey_interval > duration::zero() && is_key_server() && _latest && _latest->ki.mi == _mi &&
           _latest->tx && now - _latest->installed >= _cfg.rekey_interval;
}

std::optional<time_point> participant::latest_key_installed() const {
    if (!_latest)
        return std::nullopt;
    return _latest->installed;
}

actions participant::rekey(time_point now) {
    actions out;
    if (!is_key_server())
        return out;
    _rekey_requested = true;
    key_server_duties(now, out);
    handle_sak_use(out);
    if (_new_info)
        send(now, out);
    return out;
}

actions participant::request_new_sak(time_point now) {
    if (is_key_server())
        return rekey(now);
    actions out;
    if (!_latest || !has_live_peers() || _latest->new_sak_asked)
        return out;
    _latest->new_sak_asked = true;
    _new_info = true;
    send(now, out);
    return out;
}

actions participant::set_offset(confidentiality_offset o, time_point now) {
    _cfg.offset = o;
    if (_latest && _latest->offset != o)
        return rekey(now); // nothing unless this is the key server
    return {};
}

// ---- transmit ------------------------------------------------------------

void participant::send(time_point now, actions& out) {
    if (_mn == 0xFFFFFFFF)
        new_mi(); // 9.4.2: never reuse an MN with an MI
    ++_mn;
    mkpdu pdu;
    auto& b = pdu.basic;
    b.key_server_priority = _cfg.key_server_priority;
    // 802.1X-2020 11.11.2: set unless this participant has decided another
    // is (or will be) the key server. wpa_supplicant elects only among peers
    // that set it, so a participant that waited for its first live peer
    // lost the election there to a worse priority.
    b.key_server = _cfg.key_server_priority != not_key_server_priority && !_ks_mi;
    b.macsec_desired = true;
    b.actor_sci = _sci;
    b.actor_mi = _mi;
    b.actor_mn = _mn;
    b.ckn = _ckn;
    peer_list live, potential;
    for (const auto& p : _peers)
        (p.live ? live : potential).peers.push_back({p.mi, p.mn});
    if (!live.peers.empty()) {
        if (_ks_is_self && _distributing && uses_xpn())
            live.ks_ssci = static_cast<uint8_t>(ssci_of(_sci));
        pdu.live = std::move(live);
    }
    if (!potential.peers.empty())
        pdu.potential = std::move(potential);
    if (_latest) {
        sak_use u;
        u.latest_an = _latest->an;
        u.latest_ki = _latest->ki;
        u.latest_tx = _latest->tx;
        u.latest_rx = _latest->rx;
        // request_new_sak: past the threshold (wpa_supplicant rotates on a
        // peer's PN above 0xC0000000, not at it)
        const uint64_t llpn = std::max(lowest_acceptable_pn(*_latest),
                                       _latest->new_sak_asked ? pn_threshold_of(*_latest) + 1 : uint64_t{1});
        const uint64_t olpn = _old ? lowest_acceptable_pn(*_old) : 0;
        u.latest_lowest_pn = static_cast<uint32_t>(llpn);
        if (_old) {
            u.old_an = _old->an;
            u.old_ki = _old->ki;
            u.old_tx = _old->tx && !_latest->tx;
            u.old_rx = _old->rx;
            u.old_lowest_pn = static_cast<uint32_t>(olpn);
        }
        pdu.sak_use = u;
        if (uses_xpn())
            pdu.xpn = xpn_parameter_set{0, static_cast<uint32_t>(llpn >> 32), static_cast<uint32_t>(olpn >> 32)};
    }
    if (_ks_is_self && _distributing && _latest) {
        distributed_sak d;
        d.an = _latest->an;
        d.offset = _latest->offset;
        d.kn = _latest->ki.kn;
        d.suite = _latest->suite;
        d.wrapped_len = _latest->sak.size() + 8;
        if (_crypto->aes_wrap(_keys.kek.view(), _latest->sak.view(), {d.wrapped.data(), d.wrapped_len}))
            pdu.distributed_sak = d;
    }
    announcement a;
    for (auto s : _cfg.cipher_suites)
        a.cipher_suites.push_back({3, cipher_suite_id(s)});
    pdu.announcement = std::move(a);

    auto frame = encode_frame(pdu, _cfg.mac, _cfg.group_address, *_crypto, _keys.ick);
    if (!frame.empty()) {
        out.list.push_back(send_mkpdu{std::move(frame)});
        ++_counters.mkpdus_sent;
        _sent.emplace_back(now, _mn);
        while (!_sent.empty() && now - _sent.front().first > _cfg.life_time)
            _sent.pop_front();
    }
    _next_hello = now + _cfg.hello_time;
    _new_info = false;
}

} // namespace lag::mka
