#pragma once
// A shared LAN of MKA participants in virtual time, for scenario tests.
// Every frame one participant sends reaches every other (a point-to-point
// member link is the two-participant case). A filter can drop or tamper with
// frames. Randomness is seeded (MIs, SAKs); AES, CMAC and key wrap are the
// real ipsec-mb ones.

#include "mka/ipsecmb_crypto.hpp"
#include "mka/mka.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <random>

namespace lag::mka::test {

class seeded_crypto final : public crypto_provider {
public:
    seeded_crypto(crypto_provider& real, uint64_t seed) : _real(real), _rng(seed) {}
    bool aes_cmac(std::span<const uint8_t> k, std::span<const uint8_t> m,
                  std::span<uint8_t, cmac_len> o) noexcept override {
        return _real.aes_cmac(k, m, o);
    }
    bool aes_wrap(std::span<const uint8_t> k, std::span<const uint8_t> p,
                  std::span<uint8_t> o) noexcept override {
        return _real.aes_wrap(k, p, o);
    }
    bool aes_unwrap(std::span<const uint8_t> k, std::span<const uint8_t> w,
                    std::span<uint8_t> o) noexcept override {
        return _real.aes_unwrap(k, w, o);
    }
    bool random_bytes(std::span<uint8_t> out) noexcept override {
        for (auto& b : out)
            b = static_cast<uint8_t>(_rng());
        return true;
    }

private:
    crypto_provider& _real;
    std::mt19937_64 _rng;
};

// What the SecY of one node would hold, rebuilt from the actions.
struct secy_view {
    struct sa {
        uint8_t an = 0;
        cipher_suite suite{};
        bytes sak;
        uint32_t ssci = 0;
        std::array<uint8_t, 12> salt{};
        confidentiality_offset offset{};
        size_t seq = 0; // position in the node's action stream
    };
    std::vector<std::pair<key_identifier, sa>> rx_list; // (ki, sa); the peer SCI in rx_peer
    std::vector<uint64_t> rx_peer;
    std::vector<std::pair<key_identifier, sa>> tx_installed;
    std::optional<key_identifier> tx_active;
    size_t tx_enabled_seq = 0;
    std::vector<key_identifier> retired;
    bool secured = false;
    size_t secured_lost = 0; // secured_changed{false} seen
    std::vector<peer_changed> peer_events;
    std::vector<key_server_changed> ks_events;
    size_t seq = 0;

    const sa* rx_for(uint64_t peer, const key_identifier& ki) const {
        for (size_t i = 0; i < rx_list.size(); ++i)
            if (rx_peer[i] == peer && rx_list[i].first == ki)
                return &rx_list[i].second;
        return nullptr;
    }
    const sa* tx_for(const key_identifier& ki) const {
        for (const auto& [k, s] : tx_installed)
            if (k == ki)
                return &s;
        return nullptr;
    }
};

// The SAs of a SecY by AN, as mka_driver::apply makes them from one batch of
// actions: receive SAs installed, then transmit SAs, then enable, then
// retire; an install replaces what its AN held, a retire empties its AN
// (every receive SC's, and the transmit SA's) unless the same batch installed
// a key there. secy_view above follows keys; this follows what a frame meets.
struct an_secy {
    std::map<uint64_t, std::array<std::optional<key_identifier>, 4>> rx; // by peer SCI
    std::array<std::optional<key_identifier>, 4> tx;
    std::optional<uint8_t> encoding;

    void apply(const actions& a) {
        for (const auto* x : a.all<install_rx_sa>())
            rx[x->peer.value()][x->key.an & 3] = x->key.ki;
        for (const auto* x : a.all<install_tx_sa>())
            tx[x->key.an & 3] = x->key.ki;
        for (const auto* x : a.all<enable_tx_sa>())
            if (tx[x->an & 3])
                encoding = x->an & 3;
        for (const auto* x : a.all<retire_sa>()) {
            bool reused = false;
            for (const auto* y : a.all<install_tx_sa>())
                reused = reused || y->key.an == x->an;
            for (const auto* y : a.all<install_rx_sa>())
                reused = reused || y->key.an == x->an;
            if (reused)
                continue;
            tx[x->an & 3].reset();
            if (encoding == (x->an & 3))
                encoding.reset();
            for (auto& [sci, sas] : rx)
                sas[x->an & 3].reset();
        }
    }
};

// Data frames a node received, by what its SecY made of them (802.1AE's
// InPktsOK, InPktsNotUsingSA, InPktsNotValid).
struct data_counters {
    uint64_t ok = 0;
    uint64_t not_using_sa = 0;
    uint64_t not_valid = 0;
};

struct node {
    std::unique_ptr<seeded_crypto> crypto;
    std::optional<participant> p;
    secy_view secy;
    an_secy sas;
    data_counters data;
    bool up = true;              // false: neither sends nor receives
    std::vector<bytes> sent;     // every frame it sent
};

inline bytes to_bytes(const key_secret& k) { return bytes(k.view().begin(), k.view().end()); }

class lan {
public:
    // from, to, frame: return false to drop; may modify the frame
    using filter_fn = std::function<bool(size_t, size_t, bytes&)>;

    explicit lan(uint64_t seed = 1) : _seed(seed) {
        auto c = ipsecmb_crypto::create();
        EXPECT_TRUE(c);
        _real = std::move(c.value());
    }

    static participant_config config(uint8_t last_mac_octet, std::string_view cak_hex = {},
                                     std::string_view ckn = "dpdk-lag-ckn") {
        participant_config cfg;
        cfg.mac = mac_addr{{0x02, 0, 0, 0, 0, last_mac_octet}};
        cfg.ckn.assign(ckn.begin(), ckn.end());
        auto cak = from_hex(cak_hex.empty()
                                ? "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                                : cak_hex);
        cfg.cak.assign(*cak);
        cfg.cipher_suites = {cipher_suite::gcm_aes_256};
        return cfg;
    }

    size_t add(participant_config cfg) {
        auto n = std::make_unique<node>();
        n->crypto = std::make_unique<seeded_crypto>(*_real, _seed * 1000 + _nodes.size());
        auto p = participant::create(std::move(cfg), *n->crypto, now);
        EXPECT_TRUE(p) << (p ? "" : p.err().to_string());
        n->p.emplace(std::move(p.value()));
        _nodes.push_back(std::move(n));
        return _nodes.size() - 1;
    }

    node& operator[](size_t i) { return *_nodes[i]; }
    participant& p(size_t i) { return *_nodes[i]->p; }
    size_t size() const { return _nodes.size(); }

    void apply(size_t i, actions&& a) {
        auto& n = *_nodes[i];
        auto& v = n.secy;
        n.sas.apply(a);
        for (auto& x : a.list) {
            ++v.seq;
            if (auto s = std::get_if<send_mkpdu>(&x)) {
                n.sent.push_back(s->frame);
                _queue.emplace_back(i, s->frame);
            } else if (auto r = std::get_if<install_rx_sa>(&x)) {
                v.rx_list.push_back({r->key.ki,
                                     {r->key.an, r->key.suite, to_bytes(r->key.sak), r->ssci,
                                      r->key.salt, r->key.offset, v.seq}});
                v.rx_peer.push_back(r->peer.value());
            } else if (auto t = std::get_if<install_tx_sa>(&x)) {
                v.tx_installed.push_back({t->key.ki,
                                          {t->key.an, t->key.suite, to_bytes(t->key.sak), t->ssci,
                                           t->key.salt, t->key.offset, v.seq}});
            } else if (auto e = std::get_if<enable_tx_sa>(&x)) {
                EXPECT_TRUE(v.tx_for(e->ki)) << "enable before install";
                v.tx_active = e->ki;
                v.tx_enabled_seq = v.seq;
            } else if (auto rt = std::get_if<retire_sa>(&x)) {
                v.retired.push_back(rt->ki);
                for (size_t k = v.rx_list.size(); k-- > 0;)
                    if (v.rx_list[k].first == rt->ki) {
                        v.rx_list.erase(v.rx_list.begin() + static_cast<long>(k));
                        v.rx_peer.erase(v.rx_peer.begin() + static_cast<long>(k));
                    }
                std::erase_if(v.tx_installed, [&](auto& t) { return t.first == rt->ki; });
                if (v.tx_active && *v.tx_active == rt->ki)
                    v.tx_active.reset();
            } else if (auto sc = std::get_if<secured_changed>(&x)) {
                v.secured = sc->secured;
                v.secured_lost += sc->secured ? 0 : 1;
            } else if (auto pc = std::get_if<peer_changed>(&x)) {
                v.peer_events.push_back(*pc);
            } else if (auto kc = std::get_if<key_server_changed>(&x)) {
                v.ks_events.push_back(*kc);
            }
        }
    }

    void deliver_all() {
        size_t budget = 10000;
        while (!_queue.empty()) {
            ASSERT_GT(budget--, 0u) << "MKPDU storm";
            auto [from, frame] = std::move(_queue.front());
            _queue.pop_front();
            if (!_nodes[from]->up)
                continue;
            for (size_t to = 0; to < _nodes.size(); ++to) {
                if (to == from || !_nodes[to]->up)
                    continue;
                if (cut && cut(from, to))
                    continue;
                auto copy = frame;
                if (filter && !filter(from, to, copy))
                    continue;
                apply(to, _nodes[to]->p->on_mkpdu(copy, now));
            }
        }
    }

    // Advance virtual time in steps, ticking every node and delivering.
    void run(duration d, duration step = milliseconds(100)) {
        const auto end = now + d;
        while (now < end) {
            for (size_t i = 0; i < _nodes.size(); ++i)
                if (_nodes[i]->up)
                    apply(i, _nodes[i]->p->tick(now));
            deliver_all();
            send_data();
            now += step;
        }
    }

    // One data frame from every node whose session is secured (must_encrypt:
    // a member distributes only then) to every other, through the SecYs.
    void send_data() {
        for (size_t i = 0; i < _nodes.size(); ++i) {
            auto& from = *_nodes[i];
            if (!from.up || !from.p->secured() || !from.sas.encoding)
                continue;
            const uint8_t an = *from.sas.encoding;
            const auto ki = *from.sas.tx[an];
            for (size_t j = 0; j < _nodes.size(); ++j) {
                if (j == i || !_nodes[j]->up || (cut && cut(i, j)))
                    continue;
                auto& to = *_nodes[j];
                auto sc = to.sas.rx.find(from.p->own_sci().value());
                if (sc == to.sas.rx.end() || !sc->second[an])
                    ++to.data.not_using_sa;
                else if (!(*sc->second[an] == ki))
                    ++to.data.not_valid;
                else
                    ++to.data.ok;
            }
        }
    }

    // Run until pred() or the limit; returns whether pred() became true.
    bool run_until(const std::function<bool()>& pred, duration limit = seconds(30)) {
        const auto end = now + limit;
        while (now < end) {
            run(milliseconds(100));
            if (pred())
                return true;
        }
        return pred();
    }

    bool all_secured_on_one_key(std::initializer_list<size_t> ids) {
        std::optional<key_identifier> ki;
        for (auto i : ids) {
            auto& v = _nodes[i]->secy;
            if (!v.secured || !v.tx_active || !p(i).secured())
                return false;
            if (ki && !(*ki == *v.tx_active))
                return false;
            ki = v.tx_active;
        }
        // every node receives every other node's transmit key
        for (auto i : ids)
            for (auto j : ids) {
                if (i == j)
                    continue;
                auto* tx = _nodes[j]->secy.tx_for(*ki);
                auto* rx = _nodes[i]->secy.rx_for(p(j).own_sci().value(), *ki);
                if (!tx || !rx || tx->sak != rx->sak || tx->an != rx->an || tx->suite != rx->suite ||
                    tx->ssci != rx->ssci || tx->salt != rx->salt || tx->offset != rx->offset)
                    return false;
            }
        return true;
    }

    filter_fn filter;
    // from, to: true while that direction of the wire is cut (MKPDUs and
    // data frames both lost; a link down)
    std::function<bool(size_t, size_t)> cut;
    time_point now{seconds(1000)};

private:
    uint64_t _seed;
    std::unique_ptr<ipsecmb_crypto> _real;
    std::vector<std::unique_ptr<node>> _nodes;
    std::deque<std::pair<size_t, bytes>> _queue;
};

} // namespace lag::mka::test
