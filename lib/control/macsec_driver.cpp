#include "control/macsec_driver.hpp"

#include <rte_rcu_qsbr.h>

#include <fmt/format.h>

#include <algorithm>

namespace lag::ctl {

using dp::message_kind;

result<std::unique_ptr<macsec_driver>> macsec_driver::create(control& c) {
    std::unique_ptr<macsec_driver> d(new macsec_driver(c));
    auto e = crypto::engine::create();
    if (!e)
        return e.err();
    d->_engine = std::move(*e);
    d->_pending.resize(c.worker_count());
    return d;
}

macsec_driver::~macsec_driver() { shutdown(); }

macsec_driver::port_state* macsec_driver::find(uint16_t port) noexcept {
    for (auto& p : _ports)
        if (p->port == port)
            return p.get();
    return nullptr;
}
const macsec_driver::port_state* macsec_driver::find(uint16_t port) const noexcept {
    return const_cast<macsec_driver*>(this)->find(port);
}

std::vector<uint16_t> macsec_driver::ports() const {
    std::vector<uint16_t> v;
    for (const auto& p : _ports)
        v.push_back(p->port);
    return v;
}

void macsec_driver::send_one(unsigned worker, message_kind k, uint32_t arg, const void* ptr) {
    _pending[worker].push_back(dp::control_message{k, arg, ptr});
}

void macsec_driver::send_all(message_kind k, uint32_t arg, const void* ptr) {
    for (unsigned w = 0; w < _pending.size(); ++w)
        send_one(w, k, arg, ptr);
}

void macsec_driver::flush() {
    for (unsigned w = 0; w < _pending.size(); ++w) {
        auto& q = _pending[w];
        while (!q.empty()) {
            if (!_control.post(w, q.front())) {
                ++_counters.ring_full;
                break;
            }
            q.pop_front();
            ++_counters.messages_sent;
        }
    }
}

std::optional<macsec_driver::port_status> macsec_driver::status(uint16_t port) const {
    const port_state* ps = find(port);
    if (ps == nullptr)
        return std::nullopt;
    port_status st;
    st.cfg = ps->cfg;
    st.encoding_an = ps->encoding;
    for (uint8_t an = 0; an < 4; ++an)
        if (const auto& sa = ps->tx[an])
            st.tx.push_back({an, sa->next_pn(), sa->near_exhaustion(), sa->exhausted(), sa->counters()});
    for (const auto& p : ps->peers) {
        rx_sc_status r{p.sci, {}};
        for (uint8_t an = 0; an < 4; ++an)
            if (!p.sa[an].empty())
                r.sas.push_back(rx_sa_of(p, an));
        st.rx.push_back(std::move(r));
    }
    return st;
}

size_t macsec_driver::messages_pending() const noexcept {
    size_t n = 0;
    for (const auto& q : _pending)
        n += q.size();
    return n;
}

result<void> macsec_driver::add_port(uint16_t port, const macsec::secy_config& cfg,
                                     std::span<const macsec::sci_t> peers) {
    if (port >= dp::max_ports || port > 0xFF)
        return make_error("macsec-port", fmt::format("port {}: bad DPDK port id", port));
    if (find(port) != nullptr)
        return make_error("macsec-port", fmt::format("port {} already has a SecY", port));
    if (peers.size() > macsec::secy::max_rx_sc)
        return make_error("rx-sc-full", fmt::format("port {}: at most {} peer SCIs", port, macsec::secy::max_rx_sc));
    auto ps = std::make_unique<port_state>();
    ps->port = port;
    ps->cfg = cfg;
    for (unsigned w = 0; w < _pending.size(); ++w) {
        auto s = macsec::secy::create(cfg);
        if (!s)
            return s.err();
        for (macsec::sci_t sci : peers)
            if (auto r = (*s)->add_rx_sc(sci); !r)
                return r.err();
        ps->secys.push_back(std::move(*s));
    }
    auto own = macsec::secy::create(cfg);
    if (!own)
        return own.err();
    ps->own = std::move(*own);
    for (macsec::sci_t sci : peers) {
        bool dup = false;
        for (const auto& p : ps->peers)
            dup = dup || p.sci == sci;
        if (dup)
            return make_error("rx-sc-duplicate", fmt::format("port {}: peer SCI {:016x} twice", port, sci));
        ps->peers.push_back(peer_sas{sci, {}});
    }
    for (unsigned w = 0; w < _pending.size(); ++w)
        send_one(w, message_kind::macsec_secy, dp::macsec_arg(port), ps->secys[w].get());
    _ports.push_back(std::move(ps));
    flush();
    return ok_v;
}

bool macsec_driver::has_rx_sc(uint16_t port, macsec::sci_t peer) const noexcept {
    const port_state* ps = find(port);
    if (ps == nullptr)
        return false;
    for (const auto& p : ps->peers)
        if (p.sci == peer)
            return true;
    return false;
}

result<void> macsec_driver::add_rx_sc(uint16_t port, macsec::sci_t peer) {
    port_state* ps = find(port);
    if (ps == nullptr)
        return make_error("macsec-port", fmt::format("port {} has no SecY", port));
    if (has_rx_sc(port, peer))
        return ok_v;
    if (ps->peers.size() >= macsec::secy::max_rx_sc)
        return make_error("rx-sc-full", fmt::format("port {}: at most {} peer SCIs", port, macsec::secy::max_rx_sc));
    const auto sc = static_cast<uint8_t>(ps->peers.size());
    ps->peers.push_back(peer_sas{peer, {}});
    retired r;
    r.sc = std::make_unique<const macsec::sci_t>(peer);
    send_all(message_kind::macsec_rx_sc, dp::macsec_arg(port, 0, sc), r.sc.get());
    // Freed once every worker is past the message (reclaim takes the token
    // only when nothing is pending, so after the workers have read it).
    _retired.push_back(std::move(r));
    ++_counters.rx_scs_added;
    flush();
    return ok_v;
}

result<void> macsec_driver::install_tx_sa(uint16_t port, uint8_t an, const macsec::sa_params& p,
                                          uint64_t pn_threshold, const tx_pn_reservation* pn) {
    port_state* ps = find(port);
    if (ps == nullptr)
        return make_error("macsec-port", fmt::format("port {} has no SecY", port));
    if (!ps->cfg.any_suite && p.suite != ps->cfg.suite)
        return make_error("sa-suite", "the SA's cipher suite is not the SecY's");
    auto sa = macsec::tx_sa::create(*_engine, an, p, pn_threshold);
    if (!sa)
        return sa.err();
    if (pn != nullptr) // before any worker sees it
        (*sa)->set_pn_limit(pn->limit);
    if (ps->tx[an]) {
        // The old SA stays alive until every worker is past its replacement.
        retired r;
        r.tx = std::move(ps->tx[an]);
        _retired.push_back(std::move(r));
    }
    ps->tx[an] = std::move(*sa);
    ps->near_counted[an] = false;
    ps->pn[an].reset();
    ps->pn_failing[an] = false;
    if (pn != nullptr && pn->store != nullptr)
        ps->pn[an] = *pn;
    (void)ps->own->attach_tx_sa(ps->tx[an].get()); // the suite was checked above
    send_all(message_kind::macsec_tx_sa, dp::macsec_arg(port), ps->tx[an].get());
    ++_counters.sas_installed;
    dpdk::log(dpdk::log_type::macsec, dpdk::log_level::info, "DPDK port {}: transmit SA installed at AN {}, next PN {}",
              port, an, ps->tx[an]->next_pn());
    flush();
    return ok_v;
}

result<void> macsec_driver::enable_tx_sa(uint16_t port, uint8_t an) {
    port_state* ps = find(port);
    if (ps == nullptr || an > 3 || !ps->tx[an])
        return make_error("sa-missing", fmt::format("port {}: no transmit SA at AN {}", port, an));
    ps->encoding = an;
    (void)ps->own->use_encoding_sa(an);
    send_all(message_kind::macsec_encoding, dp::macsec_arg(port, an), nullptr);
    dpdk::log(dpdk::log_type::macsec, dpdk::log_level::info, "DPDK port {}: encoding SA is AN {}", port, an);
    flush();
    return ok_v;
}

result<void> macsec_driver::install_rx_sa(uint16_t port, macsec::sci_t peer, uint8_t an,
                                          const macsec::sa_params& p) {
    port_state* ps = find(port);
    if (ps == nullptr)
        return make_error("macsec-port", fmt::format("port {} has no SecY", port));
    if (!ps->cfg.any_suite && p.suite != ps->cfg.suite)
        return make_error("sa-suite", "the SA's cipher suite is not the SecY's");
    size_t sc = 0;
    while (sc < ps->peers.size() && ps->peers[sc].sci != peer)
        ++sc;
    if (sc == ps->peers.size())
        return make_error("rx-sc-missing", fmt::format("port {}: no receive SC {:016x}", port, peer));
    std::vector<std::unique_ptr<macsec::rx_sa>> sas;
    for (unsigned w = 0; w < _pending.size(); ++w) {
        auto sa = macsec::rx_sa::create(*_engine, an, p);
        if (!sa)
            return sa.err();
        sas.push_back(std::move(*sa));
    }
    auto& slot = ps->peers[sc].sa[an & 3];
    if (!slot.empty()) {
        retired r;
        r.rx = std::move(slot);
        _retired.push_back(std::move(r));
    }
    slot = std::move(sas);
    for (unsigned w = 0; w < _pending.size(); ++w)
        send_one(w, message_kind::macsec_rx_sa, dp::macsec_arg(port, an, static_cast<uint8_t>(sc)),
                 slot[w].get());
    ++_counters.sas_installed;
    dpdk::log(dpdk::log_type::macsec, dpdk::log_level::info, "DPDK port {}: receive SA installed for SCI {:016x} AN {}",
              port, peer, an);
    flush();
    return ok_v;
}

void macsec_driver::retire_tx_sa(uint16_t port, uint8_t an) {
    port_state* ps = find(port);
    if (ps == nullptr || an > 3 || !ps->tx[an])
        return;
    ps->own->detach_tx_sa(an);
    send_all(message_kind::macsec_tx_detach, dp::macsec_arg(port, an), nullptr);
    dpdk::log(dpdk::log_type::macsec, dpdk::log_level::info, "DPDK port {}: transmit SA at AN {} retired", port, an);
    if (ps->encoding == an)
        ps->encoding = -1;
    ps->pn[an].reset();
    retired r;
    r.tx = std::move(ps->tx[an]);
    _retired.push_back(std::move(r));
    flush();
}

void macsec_driver::retire_rx_sa(uint16_t port, macsec::sci_t peer, uint8_t an) {
    port_state* ps = find(port);
    if (ps == nullptr || an > 3)
        return;
    for (size_t sc = 0; sc < ps->peers.size(); ++sc) {
        auto& slot = ps->peers[sc].sa[an];
        if (ps->peers[sc].sci != peer || slot.empty())
            continue;
        send_all(message_kind::macsec_rx_detach, dp::macsec_arg(port, an, static_cast<uint8_t>(sc)), nullptr);
        retired r;
        r.rx = std::move(slot);
        slot.clear();
        _retired.push_back(std::move(r));
    }
    flush();
}

result<void> macsec_driver::set_offset(uint16_t port, uint8_t octets) {
    port_state* ps = find(port);
    if (ps == nullptr)
        return make_error("macsec-port", fmt::format("port {} has no SecY", port));
    if (octets != 0 && octets != 30 && octets != 50)
        return make_error("confidentiality-offset", "confidentiality offset must be 0, 30 or 50");
    if (ps->cfg.confidentiality_offset == octets)
        return ok_v;
    ps->cfg.confidentiality_offset = octets;
    (void)ps->own->set_confidentiality_offset(octets);
    send_all(message_kind::macsec_offset, dp::macsec_arg(port, octets), nullptr);
    flush();
    return ok_v;
}

uint8_t macsec_driver::offset_of(uint16_t port) const noexcept {
    const port_state* ps = find(port);
    return ps != nullptr ? ps->cfg.confidentiality_offset : 0;
}

result<void> macsec_driver::set_validate(uint16_t port, macsec::validate_frames v) {
    port_state* ps = find(port);
    if (ps == nullptr)
        return make_error("macsec-port", fmt::format("port {} has no SecY", port));
    if (ps->cfg.validate == v)
        return ok_v;
    dpdk::log(dpdk::log_type::macsec, dpdk::log_level::info, "DPDK port {}: validate frames {}", port,
              macsec::to_string(v));
    return set_policy(port, ps->cfg.confidentiality, ps->cfg.clear_without_sa, v);
}

macsec::validate_frames macsec_driver::validate_of(uint16_t port) const noexcept {
    const port_state* ps = find(port);
    return ps != nullptr ? ps->cfg.validate : macsec::validate_frames::strict;
}

void macsec_driver::remove_port(uint16_t port) {
    for (auto it = _ports.begin(); it != _ports.end(); ++it) {
        port_state& ps = **it;
        if (ps.port != port)
            continue;
        send_all(message_kind::macsec_secy, dp::macsec_arg(port), nullptr);
        retired r;
        r.secys = std::move(ps.secys);
        _retired.push_back(std::move(r));
        for (auto& tx : ps.tx)
            if (tx) {
                retired t;
                t.tx = std::move(tx);
                _retired.push_back(std::move(t));
            }
        for (auto& peer : ps.peers)
            for (auto& slot : peer.sa)
                if (!slot.empty()) {
                    retired x;
                    x.rx = std::move(slot);
                    _retired.push_back(std::move(x));
                }
        _ports.erase(it);
        flush();
        return;
    }
}

result<void> macsec_driver::set_policy(uint16_t port, bool confidentiality, bool clear_without_sa,
                                       macsec::validate_frames v) {
    port_state* ps = find(port);
    if (ps == nullptr)
        return make_error("macsec-port", fmt::format("port {} has no SecY", port));
    ps->cfg.confidentiality = confidentiality;
    ps->cfg.clear_without_sa = clear_without_sa;
    ps->cfg.validate = v;
    ps->own->set_policy(confidentiality, clear_without_sa, v);
    send_all(message_kind::macsec_policy,
             dp::macsec_arg(port, dp::macsec_policy_bits(confidentiality, clear_without_sa, static_cast<uint8_t>(v))),
             nullptr);
    flush();
    return ok_v;
}

void macsec_driver::retire_rx_sas(uint16_t port, uint8_t an) {
    if (const port_state* ps = find(port); ps != nullptr) {
        std::vector<macsec::sci_t> peers;
        for (const auto& p : ps->peers)
            peers.push_back(p.sci);
        for (auto sci : peers)
            retire_rx_sa(port, sci, an);
    }
}

void macsec_driver::reclaim() {
    // A token taken once every detach message is on the rings covers them:
    // a worker reports quiescence only after draining its ring.
    if (messages_pending() == 0) {
        for (auto& r : _retired) {
            ++_tally->in_grace;
            _control.grace().defer(dpdk::on_grace([r = std::move(r), t = _tally]() mutable {
                t->sas += (r.tx ? 1 : 0) + (r.rx.empty() ? 0 : 1);
                t->rx_sc_messages += r.sc ? 1 : 0;
                --t->in_grace;
                r = retired{}; // the SAs' destructors wipe the keys
            }));
        }
        _retired.clear();
    }
    _control.grace().reclaim();
    _counters.sas_freed = _freed_before_grace + _tally->sas;
    _counters.rx_sc_messages_freed = _tally->rx_sc_messages;
}

void macsec_driver::reserve_pns(port_state& ps, uint8_t an) {
    macsec::tx_sa& sa = *ps.tx[an];
    tx_pn_reservation& r = *ps.pn[an];
    const uint64_t limit = sa.pn_limit();
    // Half a chunk ahead: time for the write while the SA uses the rest.
    if (limit >= sa.max_pn() || sa.next_pn() + r.chunk / 2 <= limit)
        return;
    auto e = r.store->extend(r.id, limit, sa.max_pn(), r.chunk);
    if (!e) {
        ++_counters.pn_reserve_failures;
        if (!ps.pn_failing[an])
            dpdk::log(dpdk::log_type::macsec, dpdk::log_level::err,
                      "DPDK port {}: transmit SA at AN {} holds at PN {} (frames past it dropped): {}", ps.port, an,
                      limit, e.err().message);
        ps.pn_failing[an] = true;
        return;
    }
    if (ps.pn_failing[an])
        dpdk::log(dpdk::log_type::macsec, dpdk::log_level::info,
                  "DPDK port {}: transmit SA at AN {}: PNs reserved again, up to {}", ps.port, an, *e);
    ps.pn_failing[an] = false;
    r.limit = *e;
    sa.set_pn_limit(*e); // only now: the new ceiling is on disk
    ++_counters.pn_chunks_reserved;
}

unsigned macsec_driver::poll() {
    const size_t before = messages_pending() + awaiting_reclaim();
    flush();
    for (auto& ps : _ports)
        for (uint8_t an = 0; an < 4; ++an) {
            if (ps->tx[an] && !ps->near_counted[an] && ps->tx[an]->near_exhaustion()) {
                ps->near_counted[an] = true;
                ++_counters.pn_near_exhaustion;
            }
            if (ps->tx[an] && ps->pn[an])
                reserve_pns(*ps, an);
        }
    reclaim();
    const size_t after = messages_pending() + awaiting_reclaim();
    return static_cast<unsigned>(before - std::min(before, after));
}

std::optional<macsec::tx_status> macsec_driver::protect(uint16_t port, macsec::frame& f) noexcept {
    port_state* ps = find(port);
    if (ps == nullptr)
        return std::nullopt;
    return ps->own->protect(*_engine, f);
}

bool macsec_driver::protects_slow_protocols(uint16_t port) const noexcept {
    const port_state* ps = find(port);
    return ps != nullptr && ps->cfg.protect_slow_protocols;
}

bool protected_tx::send(uint16_t port, std::span<const uint8_t> frame) {
    macsec_driver* d = _driver ? _driver() : nullptr;
    if (d == nullptr || !d->protects_slow_protocols(port))
        return _inner.send(port, frame);
    // A LACPDU or Marker PDU (124 octets; a frame up to 1984 fits), with
    // room for the SecTAG before it and the ICV after it.
    constexpr uint32_t room = 32;
    std::array<uint8_t, 2048> buf;
    if (frame.size() + 2 * room > buf.size())
        return false;
    std::copy(frame.begin(), frame.end(), buf.begin() + room);
    macsec::frame f{buf.data() + room, static_cast<uint32_t>(frame.size()), room,
                    static_cast<uint32_t>(buf.size() - room - frame.size())};
    const auto st = d->protect(port, f);
    if (!st)
        return _inner.send(port, frame);
    dp::port_counters& pc = _control.control_tx_counters(port);
    pc.macsec_tx[static_cast<size_t>(*st)].add(1);
    if (!macsec::sent(*st)) {
        pc.drop(dp::drop_reason::macsec_tx).add(1);
        return false;
    }
    return _inner.send(port, {f.data, f.len});
}

bool macsec_driver::tx_near_exhaustion(uint16_t port) const noexcept {
    const port_state* ps = find(port);
    return ps != nullptr && ps->encoding >= 0 && ps->tx[ps->encoding]->near_exhaustion();
}

bool macsec_driver::tx_exhausted(uint16_t port) const noexcept {
    const port_state* ps = find(port);
    return ps != nullptr && ps->encoding >= 0 && ps->tx[ps->encoding]->exhausted();
}

const macsec::tx_sa* macsec_driver::tx_sa_of(uint16_t port, uint8_t an) const noexcept {
    const port_state* ps = find(port);
    return ps != nullptr && an < 4 ? ps->tx[an].get() : nullptr;
}

macsec_driver::rx_sa_status macsec_driver::rx_sa_of(const peer_sas& p, uint8_t an) noexcept {
    rx_sa_status st{an, 0, 0};
    for (const auto& w : p.sa[an]) {
        st.lowest_pn = std::max(st.lowest_pn, w->lowest_acceptable_pn());
        st.late += w->late_count();
    }
    return st;
}

std::optional<macsec_driver::rx_sa_status> macsec_driver::rx_sa_totals(uint16_t port, uint8_t an) const noexcept {
    const port_state* ps = find(port);
    if (ps == nullptr || an > 3)
        return std::nullopt;
    std::optional<rx_sa_status> t;
    for (const auto& p : ps->peers) {
        if (p.sa[an].empty())
            continue;
        const auto s = rx_sa_of(p, an);
        if (!t)
            t = s;
        else
            *t = {an, std::max(t->lowest_pn, s.lowest_pn), t->late + s.late};
    }
    return t;
}

macsec::secy_counters macsec_driver::secy_totals(uint16_t port) const noexcept {
    macsec::secy_counters t;
    const port_state* ps = find(port);
    if (ps == nullptr)
        return t;
    auto all = [&](auto&& f) {
        for (const auto& s : ps->secys)
            f(*s);
        f(*ps->own);
    };
    all([&](const macsec::secy& s) {
        const auto& c = s.counters();
        t.out_pkts_untagged += c.out_pkts_untagged;
        t.out_pkts_too_long += c.out_pkts_too_long;
        t.out_pkts_no_sa += c.out_pkts_no_sa;
        t.out_pkts_pn_exhausted += c.out_pkts_pn_exhausted;
        t.out_pkts_pn_unreserved += c.out_pkts_pn_unreserved;
        t.out_pkts_no_room += c.out_pkts_no_room;
        t.out_pkts_runt += c.out_pkts_runt;
        t.out_pkts_crypto_error += c.out_pkts_crypto_error;
        t.in_pkts_untagged += c.in_pkts_untagged;
        t.in_pkts_no_tag += c.in_pkts_no_tag;
        t.in_pkts_bad_tag += c.in_pkts_bad_tag;
        t.in_pkts_unknown_sci += c.in_pkts_unknown_sci;
        t.in_pkts_no_sci += c.in_pkts_no_sci;
        t.in_pkts_overrun += c.in_pkts_overrun;
    });
    return t;
}

macsec::rx_sc_counters macsec_driver::rx_totals(uint16_t port) const noexcept {
    macsec::rx_sc_counters t;
    const port_state* ps = find(port);
    if (ps == nullptr)
        return t;
    for (const auto& s : ps->secys) {
        const auto c = s->rx_totals();
        t.in_pkts_ok += c.in_pkts_ok;
        t.in_pkts_unchecked += c.in_pkts_unchecked;
        t.in_pkts_delayed += c.in_pkts_delayed;
        t.in_pkts_late += c.in_pkts_late;
        t.in_pkts_invalid += c.in_pkts_invalid;
        t.in_pkts_not_valid += c.in_pkts_not_valid;
        t.in_pkts_not_using_sa += c.in_pkts_not_using_sa;
        t.in_pkts_unused_sa += c.in_pkts_unused_sa;
    }
    return t;
}

macsec::tx_sa_counters macsec_driver::tx_totals(uint16_t port) const noexcept {
    macsec::tx_sa_counters t;
    const port_state* ps = find(port);
    if (ps == nullptr)
        return t;
    // The SAs installed now (a retired SA's counts leave with it).
    for (const auto& sa : ps->tx)
        if (sa) {
            const auto c = sa->counters();
            t.out_pkts_protected += c.out_pkts_protected;
            t.out_pkts_encrypted += c.out_pkts_encrypted;
        }
    return t;
}

void macsec_driver::shutdown() {
    for (auto& q : _pending)
        q.clear();
    for (const auto& r : _retired)
        _freed_before_grace += (r.tx ? 1 : 0) + (r.rx.empty() ? 0 : 1);
    _counters.sas_freed = _freed_before_grace + _tally->sas;
    _retired.clear();
}

} // namespace lag::ctl
