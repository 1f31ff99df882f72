#include "mka/key_chain.hpp"

#include <algorithm>
#include <tuple>

namespace lag::mka {

result<void> key_chain::check(const chain_key& k) {
    mka::ckn name;
    if (k.ckn.empty() || !name.assign(k.ckn))
        return make_error("ckn-length", "a CKN is 1 to 32 octets");
    if (k.cak.size() != 16 && k.cak.size() != 32)
        return make_error("cak-length", "a CAK is 16 or 32 octets");
    return ok_v;
}

size_t key_chain::find(std::span<const uint8_t> ckn) const {
    mka::ckn name;
    if (!name.assign(ckn))
        return none;
    for (size_t i = 0; i < _cas.size(); ++i)
        if (_cas[i].name == name)
            return i;
    return none;
}

result<key_chain> key_chain::create(key_chain_config cfg, crypto_provider& c, time_point now) {
    if (cfg.keys.empty())
        return make_error("no-key", "a key chain needs at least one primary key");
    std::vector<chain_key> keys = std::move(cfg.keys);
    std::optional<chain_key> fb = std::move(cfg.fallback);
    cfg.keys.clear();
    cfg.fallback.reset();
    key_chain kc(std::move(cfg), c);
    bool started = false;
    for (auto& k : keys) {
        if (!k.start || *k.start <= now)
            started = true;
        if (auto r = kc.add_key(std::move(k), now); !r)
            return r.err();
    }
    if (!started)
        return make_error("no-key-started", "no primary key of the chain has started");
    if (fb)
        if (auto r = kc.set_fallback(std::move(fb), now); !r)
            return r.err();
    kc.start_due(now);
    actions ignored; // no participant has ticked yet: no action can come of it
    kc.evaluate(now, ignored);
    return kc;
}

result<void> key_chain::add_key(chain_key k, time_point now) {
    (void)now;
    if (auto r = check(k); !r)
        return r;
    if (find(k.ckn) != none)
        return make_error("duplicate-ckn", "the chain already holds a key with this CKN");
    ca c;
    c.name.assign(k.ckn);
    c.key = std::move(k);
    c.order = _next_order++;
    _cas.push_back(std::move(c));
    start_due(now);
    return ok_v;
}

void key_chain::start_due(time_point now) {
    for (size_t i = 0; i < _cas.size(); ++i) {
        auto& c = _cas[i];
        if (!c.fallback && !c.retired && !c.p && start_of(c) <= now)
            (void)start(i, now); // checked when added: only the random source can fail, tried again next tick
    }
}

result<actions> key_chain::remove_key(std::span<const uint8_t> ckn, time_point now) {
    const size_t i = find(ckn);
    if (i == none || _cas[i].fallback)
        return make_error("no-such-key", "no primary key with this CKN");
    bool left = false;
    for (size_t j = 0; j < _cas.size(); ++j)
        if (j != i && !_cas[j].fallback && !_cas[j].retired && start_of(_cas[j]) <= now)
            left = true;
    if (!left)
        return make_error("last-key", "the chain would have no primary key in effect");
    actions out;
    retire(i, out);
    _cas.erase(_cas.begin() + static_cast<std::ptrdiff_t>(i));
    if (_in_use != none && _in_use > i)
        --_in_use;
    evaluate(now, out);
    return out;
}

result<actions> key_chain::set_fallback(std::optional<chain_key> k, time_point now) {
    if (k) {
        if (auto r = check(*k); !r)
            return r.err();
        const size_t j = find(k->ckn);
        if (j != none && !_cas[j].fallback)
            return make_error("duplicate-ckn", "the fallback CKN is a primary key's");
    }
    actions out;
    for (size_t i = 0; i < _cas.size(); ++i) {
        if (!_cas[i].fallback)
            continue;
        retire(i, out);
        _cas.erase(_cas.begin() + static_cast<std::ptrdiff_t>(i));
        if (_in_use != none && _in_use > i)
            --_in_use;
        break;
    }
    if (k) {
        ca c;
        c.name.assign(k->ckn);
        c.key = std::move(*k);
        c.fallback = true;
        c.order = _next_order++;
        _cas.push_back(std::move(c));
    }
    evaluate(now, out);
    return out;
}

participant& key_chain::part(size_t i) {
    uint8_t mask = 0;
    for (size_t j = 0; j < _cas.size(); ++j)
        for (uint8_t an = 0; an < 4; ++an)
            if (j != i && _cas[j].ans[an])
                mask = static_cast<uint8_t>(mask | 1u << an);
    _cas[i].p->set_reserved_ans(mask);
    return *_cas[i].p;
}

bool key_chain::ready(const ca& c) const { return c.p && c.p->secured() && c.enabled.has_value(); }

uint8_t key_chain::first_an_for(size_t i) const {
    std::optional<uint8_t> base;
    if (_in_use != none && _cas[_in_use].p)
        base = _cas[_in_use].p->latest_an();
    for (size_t j = 0; !base && j < _cas.size(); ++j)
        if (j != i && _cas[j].p)
            base = _cas[j].p->latest_an();
    const uint8_t a = base ? static_cast<uint8_t>((*base + 1) % 4) : static_cast<uint8_t>(_cfg.base.first_an % 4);
    for (uint8_t k = 0; k < 4; ++k) {
        const uint8_t cand = static_cast<uint8_t>((a + k) % 4);
        bool held = false;
        for (size_t j = 0; j < _cas.size(); ++j)
            held = held || (j != i && _cas[j].ans[cand].has_value());
        if (!held)
            return cand;
    }
    return a;
}

result<void> key_chain::start(size_t i, time_point now) {
    auto& c = _cas[i];
    participant_config pc = _cfg.base;
    pc.ckn = c.key.ckn;
    pc.cak = c.key.cak;
    pc.first_an = first_an_for(i);
    auto p = participant::create(std::move(pc), *_crypto, now);
    if (!p)
        return p.err();
    c.p.emplace(std::move(p.value()));
    c.ans = {};
    c.enabled.reset();
    return ok_v;
}

void key_chain::retire(size_t i, actions& out) {
    auto& c = _cas[i];
    for (uint8_t an = 0; an < 4; ++an) {
        if (!c.ans[an])
            continue;
        bool other = false;
        for (size_t j = 0; j < _cas.size(); ++j)
            other = other || (j != i && _cas[j].ans[an].has_value());
        if (!other)
            out.list.push_back(retire_sa{*c.ans[an], an});
        c.ans[an].reset();
    }
    c.enabled.reset();
    c.p.reset(); // its ICK and KEK are wiped with it
    c.retire_at.reset();
    c.retired = !c.fallback;
    if (_in_use == i)
        _in_use = none;
}

void key_chain::filter(size_t i, actions&& in, actions& out) {
    auto& c = _cas[i];
    if (in.dropped)
        out.dropped = in.dropped;
    for (auto& x : in.list) {
        if (auto r = std::get_if<install_rx_sa>(&x)) {
            c.ans[r->key.an & 3] = r->key.ki;
        } else if (auto t = std::get_if<install_tx_sa>(&x)) {
            c.ans[t->key.an & 3] = t->key.ki;
        } else if (auto e = std::get_if<enable_tx_sa>(&x)) {
            c.enabled = *e;
            if (_in_use != i)
                continue; // held back until this CA takes over
        } else if (auto rt = std::get_if<retire_sa>(&x)) {
            const uint8_t an = rt->an & 3;
            if (c.ans[an] && *c.ans[an] == rt->ki)
                c.ans[an].reset();
            if (c.enabled && c.enabled->ki == rt->ki)
                c.enabled.reset();
            bool other = false;
            for (size_t j = 0; j < _cas.size(); ++j)
                other = other || (j != i && _cas[j].ans[an].has_value());
            if (other)
                continue; // another CA's SAs are under this AN now
        } else if (std::holds_alternative<secured_changed>(x)) {
            continue; // the chain's own, from the CA in use (update_secured)
        }
        out.list.push_back(std::move(x));
    }
}

void key_chain::evaluate(time_point now, actions& out) {
    const duration life = _cfg.base.life_time;
    // The fallback starts once no primary has been secured for a while
    // (none live with the peer, or live but unable to secure).
    bool primary_secured = false;
    for (const auto& c : _cas)
        primary_secured = primary_secured || (!c.fallback && c.p && c.p->secured());
    if (primary_secured)
        _primaries_quiet_since.reset();
    else if (!_primaries_quiet_since)
        _primaries_quiet_since = now;
    size_t fb = none;
    for (size_t i = 0; i < _cas.size(); ++i)
        if (_cas[i].fallback)
            fb = i;
    if (fb != none && !_cas[fb].p && _primaries_quiet_since && now - *_primaries_quiet_since >= _cfg.fallback_after)
        if (start(fb, now))
            ++_counters.fallback_starts;

    // The CA to transmit with: the newest ready primary; else the fallback
    // when ready; else the one in use stays.
    auto newer = [&](const ca& a, const ca& b) {
        return start_of(a) != start_of(b) ? start_of(a) > start_of(b) : a.order > b.order;
    };
    size_t best = none;
    for (size_t i = 0; i < _cas.size(); ++i) {
        const auto& c = _cas[i];
        if (c.fallback || c.retire_at || !ready(c))
            continue;
        if (best == none || newer(c, _cas[best]))
            best = i;
    }
    size_t target = best;
    if (target == none)
        target = fb != none && !_cas[fb].retire_at && ready(_cas[fb]) ? fb : _in_use;
    if (target != none && target != _in_use) {
        const size_t prev = _in_use;
        _in_use = target;
        auto& t = _cas[target];
        out.list.push_back(*t.enabled);
        if (t.fallback) {
            ++_counters.fallback_activations; // the primaries keep trying
        } else if (prev != none && _cas[prev].fallback) {
            ++_counters.fallback_returns;
        } else if (prev != none) {
            ++_counters.rollovers;
        }
        if (!t.fallback)
            for (size_t j = 0; j < _cas.size(); ++j) {
                auto& o = _cas[j];
                if (j == target || !o.p || o.retire_at)
                    continue;
                // Older primaries and the fallback go; the peer keeps
                // sending with them for a while, so their SAs stay a life
                // time more.
                if (o.fallback || newer(t, o))
                    o.retire_at = now + life;
            }
    }
    for (size_t i = 0; i < _cas.size(); ++i)
        if (_cas[i].retire_at && now >= *_cas[i].retire_at)
            retire(i, out);
    update_secured(out);
}

void key_chain::update_secured(actions& out) {
    const bool s = secured();
    if (s != _secured) {
        _secured = s;
        out.list.push_back(secured_changed{s});
    }
}

bool key_chain::secured() const {
    return _in_use != none && _cas[_in_use].p && _cas[_in_use].p->secured();
}

actions key_chain::on_mkpdu(std::span<const uint8_t> frame, time_point now) {
    actions out;
    auto d = decode_frame(frame, _cfg.base.group_address);
    if (!d) {
        out.dropped = d.reason();
        return out;
    }
    size_t i = none;
    for (size_t j = 0; j < _cas.size(); ++j)
        if (_cas[j].p && _cas[j].name == d.value().pdu.basic.ckn)
            i = j;
    if (i == none) {
        ++_counters.unknown_ckn;
        out.dropped = drop_reason::unknown_ckn;
        return out;
    }
    filter(i, part(i).on_mkpdu(frame, now), out);
    evaluate(now, out);
    return out;
}

actions key_chain::tick(time_point now) {
    actions out;
    start_due(now);
    for (size_t i = 0; i < _cas.size(); ++i)
        if (_cas[i].p)
            filter(i, part(i).tick(now), out);
    evaluate(now, out);
    return out;
}

actions key_chain::report_tx_pn(uint64_t next_pn, time_point now) {
    actions out;
    if (_in_use != none && _cas[_in_use].p)
        filter(_in_use, part(_in_use).report_tx_pn(next_pn, now), out);
    evaluate(now, out);
    return out;
}

actions key_chain::report_rx_pn(uint8_t an, uint64_t lowest_pn, time_point now) {
    actions out;
    for (size_t i = 0; i < _cas.size(); ++i)
        if (_cas[i].p && _cas[i].ans[an & 3]) {
            filter(i, part(i).report_rx_pn(an, lowest_pn, now), out);
            break;
        }
    evaluate(now, out);
    return out;
}

actions key_chain::rekey(time_point now) {
    actions out;
    if (auto* p = current()) {
        const size_t i = _in_use != none ? _in_use : find(p->ckn().view());
        filter(i, part(i).rekey(now), out);
    }
    evaluate(now, out);
    return out;
}

actions key_chain::request_new_sak(time_point now) {
    actions out;
    if (auto* p = current()) {
        const size_t i = _in_use != none ? _in_use : find(p->ckn().view());
        filter(i, part(i).request_new_sak(now), out);
    }
    evaluate(now, out);
    return out;
}

actions key_chain::set_offset(confidentiality_offset o, time_point now) {
    actions out;
    _cfg.base.offset = o;
    for (size_t i = 0; i < _cas.size(); ++i)
        if (_cas[i].p)
            filter(i, part(i).set_offset(o, now), out);
    evaluate(now, out);
    return out;
}

void key_chain::set_rekey_interval(duration d) {
    _cfg.base.rekey_interval = d;
    for (auto& c : _cas)
        if (c.p)
            c.p->set_rekey_interval(d);
}

const participant* key_chain::in_use() const {
    return _in_use != none && _cas[_in_use].p ? &*_cas[_in_use].p : nullptr;
}

const participant* key_chain::current() const {
    if (auto* p = in_use())
        return p;
    const ca* best = nullptr;
    for (const auto& c : _cas) {
        if (!c.p)
            continue;
        auto rank = [&](const ca& x) { return std::tuple(!x.fallback, !x.retire_at, start_of(x), x.order); };
        if (!best || rank(c) > rank(*best))
            best = &c;
    }
    return best ? &*best->p : nullptr;
}

participant* key_chain::current() {
    return const_cast<participant*>(static_cast<const key_chain*>(this)->current());
}

std::optional<mka::ckn> key_chain::ckn_in_use() const {
    if (auto* p = in_use())
        return p->ckn();
    return std::nullopt;
}

bool key_chain::using_fallback() const { return _in_use != none && _cas[_in_use].fallback; }

std::vector<key_status> key_chain::keys() const {
    std::vector<key_status> v;
    for (size_t i = 0; i < _cas.size(); ++i) {
        const auto& c = _cas[i];
        key_status s;
        s.ckn = c.name;
        s.start = c.key.start;
        s.fallback = c.fallback;
        s.running = c.p.has_value();
        s.secured = c.p && c.p->secured();
        if (i == _in_use)
            s.state = key_state::associated;
        else if (c.retire_at)
            s.state = key_state::disassociating;
        else if (c.p)
            s.state = key_state::associating;
        else
            s.state = key_state::disassociated;
        v.push_back(std::move(s));
    }
    return v;
}

std::vector<const participant*> key_chain::participants() const {
    std::vector<const participant*> v;
    for (const auto& c : _cas)
        if (c.p)
            v.push_back(&*c.p);
    return v;
}

} // namespace lag::mka
