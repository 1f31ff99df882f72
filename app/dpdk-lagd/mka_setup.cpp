#include "mka_setup.hpp"

#include "lacp_setup.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>

namespace lag::lagd {

namespace {

mka::confidentiality_offset offset_of(uint8_t octets) {
    switch (octets) {
    case 30: return mka::confidentiality_offset::offset_30;
    case 50: return mka::confidentiality_offset::offset_50;
    default: return mka::confidentiality_offset::offset_0;
    }
}

ctl::encryption_mode mode_of(mka_encryption e) {
    switch (e) {
    case mka_encryption::no_encrypt: return ctl::encryption_mode::no_encrypt;
    case mka_encryption::should_encrypt: return ctl::encryption_mode::should_encrypt;
    case mka_encryption::must_encrypt: break;
    }
    return ctl::encryption_mode::must_encrypt;
}

std::string hex_mi(const mka::member_id& mi) {
    std::string s;
    for (auto b : mi)
        s += fmt::format("{:02x}", b);
    return s;
}

} // namespace

ctl::mka_driver_config mka_driver_config_of(const daemon_config& cfg, const lag_config& l, const secret<32>& cak) {
    const macsec_config& m = l.macsec;
    ctl::mka_driver_config c;
    if (const model::profile* prof = model::find_profile(cfg.profile)) {
        for (auto s : {cipher_suite::gcm_aes_128, cipher_suite::gcm_aes_256, cipher_suite::gcm_aes_xpn_128,
                       cipher_suite::gcm_aes_xpn_256}) {
            bool ok = s != m.suite;
            for (const auto& p : l.members) {
                const port_config* pc = cfg.port(p);
                ok = ok && pc != nullptr && model::check_macsec(*prof, pc->speed, s, cak.size(), true).ok();
            }
            if (ok)
                c.other_suites.push_back(s);
        }
    }
    c.ckn = m.ckn;
    c.cak = cak;
    c.key_server_priority = m.key_server_priority;
    c.rekey_interval = std::chrono::seconds(m.rekey_interval);
    c.suite = m.suite;
    c.offset = offset_of(m.offset);
    c.mode = mode_of(m.encryption);
    c.replay_window = m.replay_window;
    c.protect_slow_protocols = m.lacp == macsec_lacp::protected_;
    return c;
}

namespace {

// A CAK file read and checked as the first key's: mode, syntax, and the
// profile's rule on its length on the LAG's members.
result<secret<32>> load_checked_cak(const daemon_config& cfg, const lag_config& l, const std::string& path) {
    auto cak = load_cak_file(path);
    if (!cak)
        return cak.err();
    if (auto ok = check_mka_key(cfg, l, cak->size()); !ok)
        return ok.err();
    return cak;
}

time_point time_of(int64_t unix_s, time_point now) {
    const auto wall = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    return now + std::chrono::seconds(unix_s - wall);
}

int64_t wall_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string hex_of(std::span<const uint8_t> b) {
    std::string s;
    for (auto x : b)
        s += fmt::format("{:02x}", x);
    return s;
}

} // namespace

result<void> load_chain_keys(const daemon_config& cfg, const lag_config& l, ctl::mka_driver_config& c,
                             time_point now) {
    const macsec_config& m = l.macsec;
    if (m.start)
        c.start = time_of(*m.start, now);
    c.more_keys.clear();
    for (const auto& k : m.keys) {
        auto cak = load_checked_cak(cfg, l, k.cak_file);
        if (!cak)
            return cak.err();
        mka::chain_key ck;
        ck.ckn = k.ckn;
        ck.cak = *cak;
        if (k.start)
            ck.start = time_of(*k.start, now);
        c.more_keys.push_back(std::move(ck));
    }
    c.fallback.reset();
    if (!m.fallback_ckn.empty()) {
        auto cak = load_checked_cak(cfg, l, m.fallback_cak_file);
        if (!cak)
            return cak.err();
        mka::chain_key ck;
        ck.ckn = m.fallback_ckn;
        ck.cak = *cak;
        c.fallback = std::move(ck);
    }
    return ok_v;
}

void mka_runtime::note_starts(const macsec_config& m) {
    _starts.clear();
    if (m.start)
        _starts[hex_of(m.ckn)] = *m.start;
    for (const auto& k : m.keys)
        if (k.start)
            _starts[hex_of(k.ckn)] = *k.start;
}

result<std::string> mka_runtime::add_key(lag_config& l, std::string_view ckn_hex, const std::string& cak_file,
                                         std::string_view start, time_point now) {
    auto ckn = parse_ckn(ckn_hex);
    if (!ckn)
        return make_error("value", "the CKN must be 1 to 32 bytes of hex (2 to 64 digits)");
    mka_key_config kc;
    kc.ckn = *ckn;
    kc.cak_file = beside(_cfg.source, cak_file);
    if (start.empty() || start == "now") {
        kc.start = wall_now();
    } else if (auto u = parse_rfc3339(start)) {
        kc.start = *u;
    } else {
        return make_error("value", fmt::format("start '{}' is not an RFC 3339 date-time (2026-12-05T02:00:00Z) "
                                               "or now",
                                               start));
    }
    auto cak = load_checked_cak(_cfg, l, kc.cak_file);
    if (!cak)
        return cak.err();
    mka::chain_key ck;
    ck.ckn = kc.ckn;
    ck.cak = *cak;
    ck.start = time_of(*kc.start, now);
    if (auto ok = _mka->add_key(ck, now); !ok)
        return ok.err();
    l.macsec.keys.push_back(std::move(kc));
    note_starts(l.macsec);
    const auto& k = l.macsec.keys.back();
    if (*k.start <= wall_now())
        return fmt::format("key {} associating on every member: traffic moves to it once it secures with the "
                           "peer\n",
                           hex_of(k.ckn));
    return fmt::format("key {} starts at {} on every member\n", hex_of(k.ckn), format_rfc3339(*k.start));
}

result<std::string> mka_runtime::remove_key(lag_config& l, std::string_view ckn_hex, time_point now) {
    auto ckn = parse_ckn(ckn_hex);
    if (!ckn)
        return make_error("value", "the CKN must be 1 to 32 bytes of hex (2 to 64 digits)");
    if (auto ok = _mka->remove_key(*ckn, now); !ok)
        return ok.err();
    macsec_config& m = l.macsec;
    if (m.ckn == *ckn) { // the chain's head goes: the next key heads it
        if (!m.keys.empty()) {
            m.ckn = m.keys.front().ckn;
            m.cak_file = m.keys.front().cak_file;
            m.start = m.keys.front().start;
            m.keys.erase(m.keys.begin());
        }
    } else {
        std::erase_if(m.keys, [&](const mka_key_config& k) { return k.ckn == *ckn; });
    }
    return fmt::format("key {} removed from every member (its SAs retired)\n", hex_of(*ckn));
}

result<std::string> mka_runtime::set_fallback(lag_config& l, std::string_view ckn_hex, const std::string& cak_file,
                                              time_point now) {
    auto ckn = parse_ckn(ckn_hex);
    if (!ckn)
        return make_error("value", "the CKN must be 1 to 32 bytes of hex (2 to 64 digits)");
    const std::string path = beside(_cfg.source, cak_file);
    auto cak = load_checked_cak(_cfg, l, path);
    if (!cak)
        return cak.err();
    mka::chain_key ck;
    ck.ckn = *ckn;
    ck.cak = *cak;
    if (auto ok = _mka->set_fallback(ck, now); !ok)
        return ok.err();
    l.macsec.fallback_ckn = *ckn;
    l.macsec.fallback_cak_file = path;
    return fmt::format("fallback key {} on every member: used only while no key of the chain secures\n",
                       hex_of(*ckn));
}

result<std::string> mka_runtime::unset_fallback(lag_config& l, time_point now) {
    if (l.macsec.fallback_ckn.empty())
        return make_error("no-fallback", "this LAG has no fallback key");
    if (auto ok = _mka->set_fallback(std::nullopt, now); !ok)
        return ok.err();
    l.macsec.fallback_ckn.clear();
    l.macsec.fallback_cak_file.clear();
    return std::string("no fallback key\n");
}

result<std::unique_ptr<mka_runtime>> mka_runtime::create(const daemon_config& cfg, ctl::control& c,
                                                         rte_mempool* pool, uint16_t control_queue) {
    std::unique_ptr<mka_runtime> rt(new mka_runtime(cfg, c, pool, control_queue));
    auto crypto = mka::ipsecmb_crypto::create();
    if (!crypto)
        return crypto.err();
    rt->_crypto = std::move(*crypto);
    auto md = ctl::macsec_driver::create(c);
    if (!md)
        return md.err();
    rt->_macsec = std::move(*md);
    return rt;
}

result<std::unique_ptr<mka_runtime>> mka_runtime::start(const daemon_config& cfg, const lag_config& l,
                                                        ctl::control& c, rte_mempool* pool, uint16_t control_queue,
                                                        time_point now) {
    auto cak = load_cak_file(l.macsec.cak_file);
    if (!cak)
        return cak.err();
    auto rt = create(cfg, c, pool, control_queue);
    if (!rt)
        return rt.err();
    if (auto ok = (*rt)->start_driver(l, *cak, now); !ok)
        return ok.err();
    return std::move(*rt);
}

result<void> mka_runtime::start_driver(const lag_config& l, const secret<32>& cak, time_point now) {
    std::vector<ctl::mka_member> mm;
    for (const auto& m : _control.config().members) { // as they are now (add/remove member)
        auto mac = member_mac(_cfg, m);
        if (!mac)
            return mac.err();
        mm.push_back({m.name, m.port, *mac, 1});
    }
    auto dc = mka_driver_config_of(_cfg, l, cak);
    if (auto ok = load_chain_keys(_cfg, l, dc, now); !ok)
        return ok.err();
    auto d = ctl::mka_driver::create(_control, *_macsec, *_crypto, dc, std::move(mm), _tx, now);
    if (!d) {
        for (const auto& m : _control.config().members) { // what create did before the refusal
            _macsec->remove_port(m.port);
            (void)_control.set_member_gate(m.name, true, now);
        }
        return d.err();
    }
    _mka = std::move(*d);
    _ever_on = true;
    note_starts(l.macsec);
    return ok_v;
}

result<std::optional<ctl::mka_driver_config>> mka_runtime::prepare_member(const lag_config& l,
                                                                          const std::string& port) const {
    if (!_mka)
        return std::optional<ctl::mka_driver_config>{};
    auto cak = load_cak_file(l.macsec.cak_file);
    if (!cak)
        return cak.err();
    daemon_config probe = _cfg; // the profile's rules with this CAK on the joining port
    probe.lags.front() = l;
    probe.lags.front().members.push_back(port);
    if (auto ok = check_mka_key(probe, cak->size()); !ok)
        return ok.err();
    auto dc = mka_driver_config_of(_cfg, probe.lags.front(), *cak);
    if (auto ok = load_chain_keys(probe, probe.lags.front(), dc, _now); !ok)
        return ok.err();
    return std::optional<ctl::mka_driver_config>{std::move(dc)};
}

result<void> mka_runtime::add_member(const ctl::member_binding& mb, const ctl::mka_driver_config& dc,
                                     time_point now) {
    if (!_mka)
        return ok_v;
    auto mac = member_mac(_cfg, mb);
    if (!mac)
        return mac.err();
    return _mka->add_member({mb.name, mb.port, *mac, 1}, dc, now);
}

void mka_runtime::remove_member(const std::string& port) {
    if (_mka)
        (void)_mka->remove_member(port);
}

void mka_runtime::released(uint16_t port) {
    if (_macsec->has_port(port))
        _macsec->remove_port(port);
}

result<std::string> mka_runtime::set_key(lag_config& l, std::string_view ckn_hex, const std::string& cak_file,
                                         std::string_view cipher, std::string_view encryption, time_point now) {
    lag_config next = l;
    macsec_config& m = next.macsec;
    auto ckn = parse_ckn(ckn_hex);
    if (!ckn)
        return make_error("value", "the CKN must be 1 to 32 bytes of hex (2 to 64 digits)");
    if (!m.enabled || m.mode != macsec_mode::mka) { // off: the [lag.macsec] defaults, unless kept from before
        if (m.mode != macsec_mode::mka)
            m = macsec_config{};
        m.mode = macsec_mode::mka;
    }
    m.ckn = std::move(*ckn);
    m.cak_file = beside(_cfg.source, cak_file);
    if (!cipher.empty())
        m.suite = *parse_cipher_suite(cipher); // the CLI offers only the four suites
    const mka_encryption before = m.encryption;
    if (auto e = parse_mka_encryption(encryption))
        m.encryption = *e; // the CLI offers only the three
    m.confidentiality = m.encryption != mka_encryption::no_encrypt;
    m.enabled = true;
    auto cak = load_cak_file(m.cak_file);
    if (!cak)
        return cak.err();
    daemon_config probe = _cfg; // the profile's rules with this CAK and suite
    probe.lags.front() = next;
    if (auto ok = check_mka_key(probe, cak->size()); !ok)
        return ok.err();
    std::string how;
    if (_mka) {
        // Only the encryption mode changes when the CKN, CAK file and suite
        // are the ones in use: the sessions and SAs stay.
        const bool new_key = m.ckn != l.macsec.ckn || m.cak_file != l.macsec.cak_file || m.suite != l.macsec.suite;
        if (new_key) {
            m.keys.clear(); // the new key replaces the chain's keys (the fallback stays)
            m.start.reset();
            auto dc = mka_driver_config_of(_cfg, next, *cak);
            if (auto ok = load_chain_keys(_cfg, next, dc, now); !ok)
                return ok.err();
            dc.mode = _mka->mode(); // then change_mode below
            if (auto ok = _mka->change_key(dc, now); !ok)
                return ok.err();
            how = fmt::format("every member rekeys with the new CAK; the previous key's SAs carry the traffic "
                              "until each new session secures (at most {} s: the far end needs the same key)\n",
                              std::chrono::duration_cast<std::chrono::seconds>(ctl::mka_driver::legacy_grace)
                                  .count());
        }
        if (m.encryption != before) {
            if (auto ok = _mka->change_mode(mka_driver_config_of(_cfg, next, *cak), now); !ok)
                return ok.err(); // cannot follow a change_key that took: both check the same SecYs
            how += fmt::format("encryption {} (was {}) on every member, sessions and SAs kept{}\n",
                               to_string(m.encryption), to_string(before),
                               m.encryption == mka_encryption::must_encrypt
                                   ? ": a member distributes only while secured"
                                   : "");
        }
        if (how.empty())
            how = "no change: this key, cipher and encryption are in use\n";
    } else {
        if (auto ok = start_driver(next, *cak, now); !ok)
            return ok.err();
        how = fmt::format("MKA started on every member with the new CAK ({}){}\n", to_string(m.encryption),
                          m.encryption == mka_encryption::must_encrypt
                              ? ": a member distributes once its session secures"
                              : "");
    }
    l.macsec = std::move(m);
    note_starts(l.macsec);
    return how;
}

result<std::string> mka_runtime::unset(lag_config& l, time_point now) {
    if (!_mka)
        return make_error("no-mka", "MACsec is already off on this LAG");
    _mka->stop(now);
    _mka.reset();
    l.macsec.enabled = false;
    return std::string("MACsec off on every member: traffic passes in the clear\n");
}

result<std::string> mka_runtime::command(lag_config& l, const cli::parsed_command& c, time_point now) {
    switch (c.id) {
    case cli::command_id::rekey_macsec: return rekey(now);
    case cli::command_id::set_rekey_interval: return set_rekey_interval(l, c.get("seconds"));
    case cli::command_id::unset_macsec: return unset(l, now);
    case cli::command_id::set_macsec:
        return set_key(l, c.get("ckn"), std::string(c.get("path")), c.get("cipher"), c.get("encryption"), now);
    case cli::command_id::add_macsec_key:
        return add_key(l, c.get("ckn"), std::string(c.get("path")), c.get("time"), now);
    case cli::command_id::remove_macsec_key: return remove_key(l, c.get("ckn"), now);
    case cli::command_id::set_macsec_fallback:
        return set_fallback(l, c.get("ckn"), std::string(c.get("path")), now);
    case cli::command_id::unset_macsec_fallback: return unset_fallback(l, now);
    default: return make_error("internal", "not an MKA command");
    }
}

result<std::string> mka_runtime::set_rekey_interval(lag_config& l, std::string_view seconds) {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(seconds.data(), seconds.data() + seconds.size(), n);
    if (ec != std::errc() || p != seconds.data() + seconds.size() || n > macsec_config::max_rekey_interval_s)
        return make_error("value", fmt::format("rekey-interval '{}' is not 0 to {} seconds", seconds,
                                               macsec_config::max_rekey_interval_s));
    l.macsec.rekey_interval = static_cast<uint32_t>(n);
    if (_mka)
        _mka->set_rekey_interval(std::chrono::seconds(n));
    if (n == 0)
        return std::string("no periodic SAK rotation\n");
    return fmt::format("the key server distributes a new SAK every {} s\n", n);
}

result<std::string> mka_runtime::rekey(time_point now) {
    if (!_mka)
        return make_error("no-mka", "MACsec is off on this LAG (unset): set a key first");
    std::vector<std::string> done, refused, messages;
    error last;
    for (size_t i = 0; i < _mka->members().size(); ++i) {
        if (auto r = _mka->rekey(i, now); r)
            done.push_back(_mka->members()[i].name);
        else {
            refused.push_back(_mka->members()[i].name);
            messages.push_back(r.err().message);
            last = r.err();
        }
    }
    if (done.empty())
        return make_error(last.code, fmt::format("no member rekeyed: {}", fmt::join(messages, "; ")));
    std::string s = fmt::format("rekeying {}\n", fmt::join(done, ","));
    if (!refused.empty())
        s += fmt::format("not the key server (or no live peer) on {}: rekey those on the partner\n",
                         fmt::join(refused, ","));
    return s;
}

mka_view mka_runtime::view(std::string_view port) const {
    mka_view v;
    if (!_mka)
        return v;
    const auto& ms = _mka->members();
    for (size_t i = 0; i < ms.size(); ++i) {
        if (ms[i].name != port)
            continue;
        const auto& p = _mka->participant(i);
        const auto& kc = _mka->chain(i);
        v.on = true;
        const auto wall = wall_now();
        for (const auto& k : kc.keys()) {
            mka_view::key kv;
            kv.ckn = hex_of(k.ckn.view());
            kv.state = std::string(mka::to_string(k.state));
            if (auto it = _starts.find(kv.ckn); it != _starts.end())
                kv.start = format_rfc3339(it->second);
            else if (k.start)
                kv.start = format_rfc3339(wall + std::chrono::duration_cast<std::chrono::seconds>(*k.start - _now).count());
            kv.fallback = k.fallback;
            v.keys.push_back(std::move(kv));
        }
        v.fallback = kc.using_fallback();
        v.fallback_activations = kc.counters().fallback_activations;
        v.rollovers = kc.counters().rollovers;
        if (!kc.secured()) {
            const std::string why = !p.has_live_peers() ? "no live MKA peer" : "MKA session not secured";
            switch (_mka->mode()) {
            case ctl::encryption_mode::must_encrypt:
                v.reason = why + " (must_encrypt): not distributing until it secures";
                break;
            case ctl::encryption_mode::should_encrypt:
                v.reason = why + " (should_encrypt): sending and taking clear frames";
                break;
            case ctl::encryption_mode::no_encrypt:
                v.reason = why + " (no_encrypt): no integrity protection until it secures";
                break;
            }
        }
        v.secured = p.secured();
        v.key_server = p.is_key_server();
        v.live_peers = static_cast<unsigned>(p.live_peer_count());
        if (auto ks = p.key_server())
            v.key_server_sci = ks->to_string();
        if (auto an = p.latest_an())
            v.an = *an;
        if (auto s = p.suite_in_use())
            v.cipher = std::string(to_string(*s));
        for (auto b : p.ckn().view())
            v.ckn += fmt::format("{:02x}", b);
        v.key_server_priority = p.key_server_priority();
        v.rekey_interval = static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::seconds>(p.rekey_interval()).count());
        if (auto at = p.latest_key_installed(); at && _now >= *at)
            v.since_rekey = std::chrono::duration_cast<std::chrono::seconds>(_now - *at).count();
    }
    return v;
}

void mka_runtime::print() const {
    if (!_mka && !_ever_on)
        return;
    if (!_mka) {
        fmt::print("mka: off (unset at run time)\n");
        std::fflush(stdout);
        return;
    }
    const auto& dc = _mka->counters();
    const auto& mc = _macsec->counters();
    fmt::print("mka: {} MKPDUs in ({} from no member), {} out, {} refused, {} tx failures, {} SA failures, {} receive SCs learnt, "
               "{} rekeys, {} new SAKs on a member's link return, {} on a peer's PN reuse; macsec {} SAs installed, "
               "{} freed\n",
               dc.frames_in, dc.not_a_member, dc.frames_out, dc.frames_dropped, dc.tx_failed, dc.sa_failed, dc.rx_scs_learnt,
               dc.rekeys, dc.link_rekeys, dc.replay_rekeys, mc.sas_installed, mc.sas_freed);
    const auto& ms = _mka->members();
    for (size_t i = 0; i < ms.size(); ++i) {
        const auto& p = _mka->participant(i);
        const auto& pc = p.counters();
        const auto ks = p.key_server();
        std::string peers;
        for (const auto& ps : p.peers())
            peers += fmt::format("{}{} {}", peers.empty() ? "" : ", ", ps.live ? "live" : "potential",
                                 ps.peer.to_string());
        fmt::print("mka {:<8} {:<9} mi {} key server {}{} peers [{}] sak {} | mkpdus tx {} rx {} dropped {} "
                   "saks generated {} installed {}\n",
                   ms[i].name, p.secured() ? "secured" : "unsecured", hex_mi(p.mi()),
                   ks ? ks->to_string() : std::string("none"), p.is_key_server() ? " (self)" : "", peers,
                   p.latest_an() ? fmt::format("an {} {}", *p.latest_an(), to_string(*p.suite_in_use()))
                                 : std::string("none"),
                   pc.mkpdus_sent, pc.mkpdus_accepted, pc.total_drops(), pc.saks_generated, pc.saks_installed);
    }
    std::fflush(stdout);
}

} // namespace lag::lagd
