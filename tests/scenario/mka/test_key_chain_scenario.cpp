// Key chains (lib/mka key_chain) on two ports wired back to back, in virtual
// time: CAK rollover with the far end on time, late or never, both ends
// starting a key at once, and the fallback CAK taking over and giving back.
// Every step each secured end sends one numbered data frame through the SAs
// its actions built (an_secy, as mka_driver::apply builds them); the far end
// takes it only under the same key at the same AN.

#include "lan.hpp"

#include <string>

namespace lag::mka::test {
namespace {

constexpr std::string_view cak1 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr std::string_view cak2 = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
constexpr std::string_view cak3 = "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f";
constexpr std::string_view cakf = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f";

chain_key key(std::string_view name, std::string_view cak_hex, std::optional<time_point> start = {}) {
    chain_key k;
    k.ckn.assign(name.begin(), name.end());
    auto c = from_hex(cak_hex);
    EXPECT_TRUE(c);
    k.cak.assign(*c);
    k.start = start;
    return k;
}

std::vector<uint8_t> name_of(std::string_view n) { return {n.begin(), n.end()}; }

struct chain_node {
    std::unique_ptr<seeded_crypto> crypto;
    std::optional<key_chain> kc;
    an_secy sas;
    bool secured = false; // from secured_changed
    uint64_t sent = 0;    // numbered data frames sent
    uint64_t ok = 0;      // of the far end's, taken in order
    uint64_t lost = 0;    // of the far end's, no SA or another key there
    uint64_t last_seq = 0;
    uint64_t reordered = 0;
    uint64_t gaps = 0;    // steps without transmission once secured the first time
    uint64_t wrong_ca = 0; // steps its SecY transmitted with a key of a CA not in use
    bool ever_secured = false;
};

class chain_lan {
public:
    explicit chain_lan(uint64_t seed = 7) : _seed(seed) {
        auto c = ipsecmb_crypto::create();
        EXPECT_TRUE(c);
        _real = std::move(c.value());
    }

    static key_chain_config config(uint8_t mac, std::vector<chain_key> keys) {
        key_chain_config cfg;
        cfg.base.mac = mac_addr{{0x02, 0, 0, 0, 0, mac}};
        cfg.base.cipher_suites = {cipher_suite::gcm_aes_256};
        cfg.keys = std::move(keys);
        return cfg;
    }

    size_t add(key_chain_config cfg) {
        auto n = std::make_unique<chain_node>();
        n->crypto = std::make_unique<seeded_crypto>(*_real, _seed * 1000 + _nodes.size());
        auto kc = key_chain::create(std::move(cfg), *n->crypto, now);
        EXPECT_TRUE(kc) << (kc ? "" : kc.err().to_string());
        n->kc.emplace(std::move(kc.value()));
        _nodes.push_back(std::move(n));
        return _nodes.size() - 1;
    }

    key_chain& kc(size_t i) { return *_nodes[i]->kc; }
    chain_node& operator[](size_t i) { return *_nodes[i]; }

    void apply(size_t i, actions&& a) {
        auto& n = *_nodes[i];
        n.sas.apply(a);
        for (auto& x : a.list) {
            if (auto s = std::get_if<send_mkpdu>(&x))
                _queue.push_back({now + mkpdu_delay, i, s->frame});
            else if (auto sc = std::get_if<secured_changed>(&x))
                n.secured = sc->secured;
        }
    }

    void deliver_all() {
        size_t budget = 10000;
        while (!_queue.empty() && _queue.front().at <= now) {
            ASSERT_GT(budget--, 0u) << "MKPDU storm";
            auto [at, from, frame] = std::move(_queue.front());
            _queue.pop_front();
            for (size_t to = 0; to < _nodes.size(); ++to)
                if (to != from && !(cut && cut(from, to)) && !(drop && drop(from, to, frame)))
                    apply(to, _nodes[to]->kc->on_mkpdu(frame, now));
        }
    }

    void send_data() {
        for (size_t i = 0; i < _nodes.size(); ++i) {
            auto& from = *_nodes[i];
            if (!from.secured || !from.sas.encoding) {
                if (from.ever_secured)
                    ++from.gaps;
                continue;
            }
            from.ever_secured = true;
            const uint8_t an = *from.sas.encoding;
            const auto ki = *from.sas.tx[an];
            const uint64_t seq = ++from.sent;
            const uint64_t sci = from.kc->current()->own_sci().value();
            for (size_t j = 0; j < _nodes.size(); ++j) {
                if (j == i || (cut && cut(i, j)))
                    continue;
                auto& to = *_nodes[j];
                auto sc = to.sas.rx.find(sci);
                if (sc == to.sas.rx.end() || !sc->second[an] || !(*sc->second[an] == ki)) {
                    ++to.lost;
                    continue;
                }
                if (seq <= to.last_seq)
                    ++to.reordered;
                to.last_seq = seq;
                ++to.ok;
            }
        }
    }

    // The transmit SA in use belongs to the CA in use (a CA not in use
    // never has its enable applied).
    void check_encoding() {
        for (auto& n : _nodes) {
            if (!n->sas.encoding)
                continue;
            const auto ki = *n->sas.tx[*n->sas.encoding];
            for (const auto* p : n->kc->participants())
                if (p->latest_key() && *p->latest_key() == ki &&
                    !(n->kc->ckn_in_use() && *n->kc->ckn_in_use() == p->ckn()))
                    ++n->wrong_ca;
        }
    }

    void run(duration d, duration step = milliseconds(100)) {
        const auto end = now + d;
        while (now < end) {
            for (size_t i = 0; i < _nodes.size(); ++i)
                apply(i, _nodes[i]->kc->tick(now));
            deliver_all();
            send_data();
            check_encoding();
            now += step;
        }
    }

    bool run_until(const std::function<bool()>& pred, duration limit = seconds(30)) {
        const auto end = now + limit;
        while (now < end) {
            run(milliseconds(100));
            if (pred())
                return true;
        }
        return pred();
    }

    std::function<bool(size_t, size_t)> cut;
    std::function<bool(size_t, size_t, const bytes&)> drop; // true: this MKPDU is lost
    duration mkpdu_delay = milliseconds(300); // an MKPDU reaches the far end this much later
    time_point now{seconds(1000)};

private:
    uint64_t _seed;
    std::unique_ptr<ipsecmb_crypto> _real;
    std::vector<std::unique_ptr<chain_node>> _nodes;
    struct in_flight {
        time_point at;
        size_t from;
        bytes frame;
    };
    std::deque<in_flight> _queue;
};

std::string ckn_str(const std::optional<mka::ckn>& c) {
    if (!c)
        return "(none)";
    return std::string(c->bytes.begin(), c->bytes.begin() + static_cast<long>(c->len));
}

key_state state_of(key_chain& kc, std::string_view name) {
    mka::ckn n;
    n.assign(name_of(name));
    for (const auto& k : kc.keys())
        if (k.ckn == n)
            return k.state;
    ADD_FAILURE() << "no key " << name;
    return key_state::disassociated;
}

bool both_on(chain_lan& l, size_t a, size_t b, std::string_view name) {
    return l[a].secured && l[b].secured && ckn_str(l.kc(a).ckn_in_use()) == name &&
           ckn_str(l.kc(b).ckn_in_use()) == name;
}

// What an AN holds on a node comes from the CA in use only, once the old CA
// retired: the transmit AN holds the in-use CA's latest key.
void expect_only_in_use_keys(chain_lan& l, size_t i) {
    const auto* p = l.kc(i).in_use();
    ASSERT_TRUE(p);
    ASSERT_TRUE(l[i].sas.encoding);
    EXPECT_EQ(l[i].sas.tx[*l[i].sas.encoding]->mi, p->latest_key()->mi);
    EXPECT_EQ(l.kc(i).participants().size(), 1u);
}

TEST(mka_key_chain, rollover_with_the_far_end_on_time_loses_nothing) {
    chain_lan l;
    const auto t1 = l.now + seconds(30);
    auto a = l.add(chain_lan::config(1, {key("ckn-1", cak1), key("ckn-2", cak2, t1)}));
    auto b = l.add(chain_lan::config(2, {key("ckn-1", cak1), key("ckn-2", cak2, t1)}));
    ASSERT_TRUE(l.run_until([&] { return both_on(l, a, b, "ckn-1"); }, seconds(10)));
    EXPECT_EQ(state_of(l.kc(a), "ckn-1"), key_state::associated);
    EXPECT_EQ(state_of(l.kc(a), "ckn-2"), key_state::disassociated); // not started
    EXPECT_EQ(l.kc(a).participants().size(), 1u);
    l.run(seconds(25));
    EXPECT_TRUE(both_on(l, a, b, "ckn-1"));
    ASSERT_TRUE(l.run_until([&] { return both_on(l, a, b, "ckn-2"); }, seconds(20)));
    EXPECT_EQ(state_of(l.kc(a), "ckn-1"), key_state::disassociating);
    EXPECT_EQ(state_of(l.kc(a), "ckn-2"), key_state::associated);
    l.run(seconds(10));
    EXPECT_TRUE(both_on(l, a, b, "ckn-2"));
    for (auto i : {a, b}) {
        EXPECT_EQ(state_of(l.kc(i), "ckn-1"), key_state::disassociated);
        EXPECT_EQ(l.kc(i).counters().rollovers, 1u);
        expect_only_in_use_keys(l, i);
        EXPECT_EQ(l[i].lost, 0u);
        EXPECT_EQ(l[i].reordered, 0u);
        EXPECT_EQ(l[i].gaps, 0u);
        EXPECT_EQ(l[i].wrong_ca, 0u);
        EXPECT_GT(l[i].ok, 350u);
    }
}

TEST(mka_key_chain, a_far_end_late_with_the_new_key_keeps_the_old_one_until_then) {
    chain_lan l;
    const auto t1 = l.now + seconds(10);
    auto a = l.add(chain_lan::config(1, {key("ckn-1", cak1), key("ckn-2", cak2, t1)}));
    auto b = l.add(chain_lan::config(2, {key("ckn-1", cak1)}));
    ASSERT_TRUE(l.run_until([&] { return both_on(l, a, b, "ckn-1"); }, seconds(10)));
    l.run(seconds(40)); // a runs ckn-2 alone from t1
    EXPECT_TRUE(both_on(l, a, b, "ckn-1"));
    EXPECT_EQ(state_of(l.kc(a), "ckn-1"), key_state::associated);
    EXPECT_EQ(state_of(l.kc(a), "ckn-2"), key_state::associating);
    EXPECT_EQ(l.kc(a).participants().size(), 2u);
    EXPECT_GT(l.kc(b).counters().unknown_ckn, 0u); // a's ckn-2 MKPDUs
    ASSERT_TRUE(l.kc(b).add_key(key("ckn-2", cak2, l.now), l.now).ok());
    ASSERT_TRUE(l.run_until([&] { return both_on(l, a, b, "ckn-2"); }, seconds(20)));
    l.run(seconds(10));
    for (auto i : {a, b}) {
        EXPECT_EQ(state_of(l.kc(i), "ckn-1"), key_state::disassociated);
        EXPECT_EQ(state_of(l.kc(i), "ckn-2"), key_state::associated);
        expect_only_in_use_keys(l, i);
        EXPECT_EQ(l[i].lost, 0u);
        EXPECT_EQ(l[i].reordered, 0u);
        EXPECT_EQ(l[i].gaps, 0u);
        EXPECT_EQ(l[i].wrong_ca, 0u);
    }
}

TEST(mka_key_chain, a_far_end_that_never_takes_the_new_key_stays_secured_on_the_old) {
    chain_lan l;
    auto a = l.add(chain_lan::config(1, {key("ckn-1", cak1), key("ckn-2", cak2, l.now + seconds(5))}));
    auto b = l.add(chain_lan::config(2, {key("ckn-1", cak1)}));
    l.run(seconds(120));
    EXPECT_TRUE(both_on(l, a, b, "ckn-1"));
    EXPECT_EQ(state_of(l.kc(a), "ckn-1"), key_state::associated);
    EXPECT_EQ(state_of(l.kc(a), "ckn-2"), key_state::associating);
    EXPECT_EQ(l.kc(a).counters().rollovers, 0u);
    for (auto i : {a, b}) {
        EXPECT_EQ(l[i].lost, 0u);
        EXPECT_EQ(l[i].gaps, 0u);
        EXPECT_EQ(l[i].wrong_ca, 0u);
        EXPECT_GT(l[i].ok, 1000u);
    }
}

TEST(mka_key_chain, both_ends_adding_a_key_at_once_roll_over_without_loss) {
    chain_lan l;
    auto a = l.add(chain_lan::config(1, {key("ckn-1", cak1)}));
    auto b = l.add(chain_lan::config(2, {key("ckn-1", cak1)}));
    ASSERT_TRUE(l.run_until([&] { return both_on(l, a, b, "ckn-1"); }, seconds(10)));
    l.run(seconds(5));
    ASSERT_TRUE(l.kc(a).add_key(key("ckn-2", cak2, l.now), l.now).ok());
    ASSERT_TRUE(l.kc(b).add_key(key("ckn-2", cak2, l.now), l.now).ok());
    ASSERT_TRUE(l.run_until([&] { return both_on(l, a, b, "ckn-2"); }, seconds(20)));
    // and once more, with a third key, through the ANs the first one left
    l.run(seconds(10));
    ASSERT_TRUE(l.kc(a).add_key(key("ckn-3", cak3, l.now), l.now).ok());
    ASSERT_TRUE(l.kc(b).add_key(key("ckn-3", cak3, l.now), l.now).ok());
    ASSERT_TRUE(l.run_until([&] { return both_on(l, a, b, "ckn-3"); }, seconds(20)));
    l.run(seconds(10));
    for (auto i : {a, b}) {
        EXPECT_EQ(l.kc(i).counters().rollovers, 2u);
        EXPECT_EQ(state_of(l.kc(i), "ckn-2"), key_state::disassociated);
        expect_only_in_use_keys(l, i);
        EXPECT_EQ(l[i].lost, 0u);
        EXPECT_EQ(l[i].reordered, 0u);
        EXPECT_EQ(l[i].gaps, 0u);
        EXPECT_EQ(l[i].wrong_ca, 0u);
    }
    // a retired key can be removed; the one in use cannot be the last
    EXPECT_TRUE(l.kc(a).remove_key(name_of("ckn-1"), l.now).ok());
    EXPECT_TRUE(l.kc(a).remove_key(name_of("ckn-2"), l.now).ok());
    auto last = l.kc(a).remove_key(name_of("ckn-3"), l.now);
    ASSERT_FALSE(last.ok());
    EXPECT_EQ(last.err().code, "last-key");
}

TEST(mka_key_chain, the_fallback_takes_over_from_a_mismatched_primary_and_gives_back) {
    chain_lan l;
    auto ca = chain_lan::config(1, {key("ckn-1", cak1)});
    auto cb = chain_lan::config(2, {key("ckn-1", cak2)}); // same CKN, another CAK
    ca.fallback = key("ckn-fb", cakf);
    cb.fallback = key("ckn-fb", cakf);
    auto a = l.add(std::move(ca));
    auto b = l.add(std::move(cb));
    l.run(seconds(5)); // before fallback_after: nothing secures
    EXPECT_FALSE(l[a].secured);
    EXPECT_EQ(state_of(l.kc(a), "ckn-fb"), key_state::disassociated);
    ASSERT_TRUE(l.run_until([&] { return both_on(l, a, b, "ckn-fb"); }, seconds(20)));
    for (auto i : {a, b}) {
        EXPECT_TRUE(l.kc(i).using_fallback());
        EXPECT_EQ(l.kc(i).counters().fallback_activations, 1u);
        EXPECT_EQ(state_of(l.kc(i), "ckn-fb"), key_state::associated);
        EXPECT_EQ(state_of(l.kc(i), "ckn-1"), key_state::associating); // still tried
    }
    l.run(seconds(30));
    EXPECT_TRUE(both_on(l, a, b, "ckn-fb"));
    // A primary both ends hold: the link returns to it and the fallback retires.
    ASSERT_TRUE(l.kc(a).add_key(key("ckn-2", cak3, l.now), l.now).ok());
    l.run(seconds(3));
    ASSERT_TRUE(l.kc(b).add_key(key("ckn-2", cak3, l.now), l.now).ok());
    ASSERT_TRUE(l.run_until([&] { return both_on(l, a, b, "ckn-2"); }, seconds(20)));
    l.run(seconds(10));
    for (auto i : {a, b}) {
        EXPECT_FALSE(l.kc(i).using_fallback());
        EXPECT_EQ(l.kc(i).counters().fallback_returns, 1u);
        EXPECT_EQ(state_of(l.kc(i), "ckn-fb"), key_state::disassociated);
        EXPECT_EQ(state_of(l.kc(i), "ckn-2"), key_state::associated);
        EXPECT_EQ(l[i].lost, 0u);
        EXPECT_EQ(l[i].reordered, 0u);
        EXPECT_EQ(l[i].gaps, 0u);
        EXPECT_EQ(l[i].wrong_ca, 0u);
    }
    // the mismatched ckn-1 is older than the key in use: it retired
    EXPECT_EQ(state_of(l.kc(a), "ckn-1"), key_state::disassociated);
}

TEST(mka_key_chain, the_fallback_is_never_used_while_a_primary_secures) {
    chain_lan l;
    auto ca = chain_lan::config(1, {key("ckn-1", cak1)});
    auto cb = chain_lan::config(2, {key("ckn-1", cak1)});
    ca.fallback = key("ckn-fb", cakf);
    cb.fallback = key("ckn-fb", cakf);
    auto a = l.add(std::move(ca));
    auto b = l.add(std::move(cb));
    l.run(seconds(60));
    EXPECT_TRUE(both_on(l, a, b, "ckn-1"));
    for (auto i : {a, b}) {
        EXPECT_EQ(l.kc(i).counters().fallback_activations, 0u);
        EXPECT_EQ(l.kc(i).counters().fallback_starts, 0u);
        EXPECT_EQ(state_of(l.kc(i), "ckn-fb"), key_state::disassociated);
    }
}

TEST(mka_key_chain, a_primary_that_secures_late_takes_the_link_back_from_the_fallback) {
    // b's primary is cut off (its MKPDUs of ckn-1 lost) until the fallback
    // secured; then they pass and the primary takes over again.
    chain_lan l;
    auto ca = chain_lan::config(1, {key("ckn-1", cak1)});
    auto cb = chain_lan::config(2, {key("ckn-1", cak2)});
    ca.fallback = key("ckn-fb", cakf);
    cb.fallback = key("ckn-fb", cakf);
    auto a = l.add(std::move(ca));
    auto b = l.add(std::move(cb));
    ASSERT_TRUE(l.run_until([&] { return both_on(l, a, b, "ckn-fb"); }, seconds(30)));
    // b's operator fixes its primary: the right CAK under a new CKN on both
    ASSERT_TRUE(l.kc(b).add_key(key("ckn-1b", cak1, l.now), l.now).ok());
    ASSERT_TRUE(l.kc(a).add_key(key("ckn-1b", cak1, l.now), l.now).ok());
    ASSERT_TRUE(l.kc(b).remove_key(name_of("ckn-1"), l.now).ok());
    ASSERT_TRUE(l.run_until([&] { return both_on(l, a, b, "ckn-1b"); }, seconds(20)));
    EXPECT_EQ(l.kc(a).counters().fallback_returns, 1u);
    for (auto i : {a, b})
        EXPECT_EQ(l[i].lost, 0u);
}

bool of_ca(const bytes& frame, std::string_view name) {
    auto d = decode_frame(frame);
    mka::ckn n;
    n.assign(name_of(name));
    return d && d.value().pdu.basic.ckn == n;
}
// An MKPDU of that CA that distributes a SAK.
bool distributes_sak_of(const bytes& frame, std::string_view name) {
    return of_ca(frame, name) && decode_frame(frame).value().pdu.distributed_sak.has_value();
}

TEST(mka_key_chain, a_fallback_that_secures_after_the_primary_is_never_used) {
    // The wire is cut until both fallbacks started; then the primary's
    // MKPDUs pass at once and the fallback's only a few seconds later: the
    // primary secures first and is used; the fallback secures after, its
    // transmit SA is never enabled, and it retires unused.
    chain_lan l;
    auto ca = chain_lan::config(1, {key("ckn-1", cak1)});
    auto cb = chain_lan::config(2, {key("ckn-1", cak1)});
    ca.fallback = key("ckn-fb", cakf);
    cb.fallback = key("ckn-fb", cakf);
    auto a = l.add(std::move(ca));
    auto b = l.add(std::move(cb));
    const auto restore = l.now + seconds(10);
    l.cut = [&](size_t, size_t) { return l.now < restore; };
    l.drop = [&](size_t, size_t, const bytes& f) { return l.now < restore + seconds(4) && of_ca(f, "ckn-fb"); };
    bool fallback_secured = false;
    ASSERT_TRUE(l.run_until(
        [&] {
            for (auto i : {a, b})
                for (const auto& k : l.kc(i).keys())
                    fallback_secured = fallback_secured || (k.fallback && k.secured);
            return both_on(l, a, b, "ckn-1") && l.now > restore + seconds(20);
        },
        seconds(40)));
    EXPECT_TRUE(fallback_secured); // it could have carried the link
    for (auto i : {a, b}) {
        EXPECT_EQ(l.kc(i).counters().fallback_starts, 1u);
        EXPECT_EQ(l.kc(i).counters().fallback_activations, 0u);
        EXPECT_EQ(state_of(l.kc(i), "ckn-fb"), key_state::disassociated);
        EXPECT_EQ(l[i].wrong_ca, 0u);
        EXPECT_EQ(l[i].lost, 0u);
        EXPECT_EQ(l[i].gaps, 0u);
    }
}

TEST(mka_key_chain, a_primary_live_but_unable_to_secure_lets_the_fallback_in) {
    // Every MKPDU of ckn-1 that distributes a SAK is lost: the primary never
    // secures, the fallback takes over; once the SAKs pass, the primary
    // takes the link back without loss.
    chain_lan l;
    auto ca = chain_lan::config(1, {key("ckn-1", cak1)});
    auto cb = chain_lan::config(2, {key("ckn-1", cak1)});
    ca.fallback = key("ckn-fb", cakf);
    cb.fallback = key("ckn-fb", cakf);
    auto a = l.add(std::move(ca));
    auto b = l.add(std::move(cb));
    bool blocked = true;
    l.drop = [&](size_t, size_t, const bytes& f) { return blocked && distributes_sak_of(f, "ckn-1"); };
    ASSERT_TRUE(l.run_until([&] { return both_on(l, a, b, "ckn-fb"); }, seconds(30)));
    EXPECT_EQ(l.kc(a).counters().fallback_activations, 1u);
    l.run(seconds(10));
    blocked = false;
    ASSERT_TRUE(l.run_until([&] { return both_on(l, a, b, "ckn-1"); }, seconds(30)));
    l.run(seconds(10));
    for (auto i : {a, b}) {
        EXPECT_EQ(l.kc(i).counters().fallback_returns, 1u);
        EXPECT_EQ(state_of(l.kc(i), "ckn-fb"), key_state::disassociated);
        EXPECT_EQ(l[i].wrong_ca, 0u);
        EXPECT_EQ(l[i].lost, 0u);
        EXPECT_EQ(l[i].reordered, 0u);
        EXPECT_EQ(l[i].gaps, 0u);
    }
}

TEST(mka_key_chain, refuses_bad_chains_and_shows_no_key_material) {
    chain_lan l;
    crypto_provider* c = nullptr;
    auto real = ipsecmb_crypto::create();
    ASSERT_TRUE(real);
    c = real.value().get();
    auto bad = [&](key_chain_config cfg) {
        auto r = key_chain::create(std::move(cfg), *c, l.now);
        EXPECT_FALSE(r.ok());
        return r.ok() ? std::string() : r.err().code;
    };
    EXPECT_EQ(bad(chain_lan::config(1, {})), "no-key");
    EXPECT_EQ(bad(chain_lan::config(1, {key("", cak1)})), "ckn-length");
    EXPECT_EQ(bad(chain_lan::config(1, {key(std::string(33, 'x'), cak1)})), "ckn-length");
    EXPECT_EQ(bad(chain_lan::config(1, {key("k", "0011")})), "cak-length");
    EXPECT_EQ(bad(chain_lan::config(1, {key("k", cak1), key("k", cak2)})), "duplicate-ckn");
    EXPECT_EQ(bad(chain_lan::config(1, {key("k", cak1, l.now + seconds(1))})), "no-key-started");
    auto fb = chain_lan::config(1, {key("k", cak1)});
    fb.fallback = key("k", cak2);
    EXPECT_EQ(bad(std::move(fb)), "duplicate-ckn");
    auto ok = key_chain::create(chain_lan::config(1, {key("k", cak1)}), *c, l.now);
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok.value().add_key(key("k", cak2), l.now).err().code, "duplicate-ckn");
    EXPECT_EQ(ok.value().remove_key(name_of("nope"), l.now).err().code, "no-such-key");
}

} // namespace
} // namespace lag::mka::test
