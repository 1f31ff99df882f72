#include "macsec_setup.hpp"
#include "pn_state.hpp"

#include <fmt/format.h>

namespace lag::lagd {

namespace {

result<macsec::sa_params> sa_from(const macsec_config& m, const macsec_sa_config& s, const key_map& keys,
                                  const std::string& port) {
    auto it = keys.find(s.key);
    if (it == keys.end())
        return make_error("key-missing", fmt::format("{}: no key '{}' (for member '{}')", m.key_file, s.key, port));
    if (it->second.size() != key_length(m.suite))
        return make_error("key-length", fmt::format("{}: key '{}' has {} bytes; {} needs {}", m.key_file, s.key,
                                                    it->second.size(), to_string(m.suite), key_length(m.suite)));
    macsec::sa_params p;
    p.suite = m.suite;
    p.key = it->second;
    p.ssci = s.ssci;
    p.salt = s.salt;
    p.next_pn = s.pn;
    return p;
}

} // namespace

result<void> add_static_macsec_port(ctl::macsec_driver& d, const lag_config& l, const std::string& port, uint16_t id,
                                    const key_map& keys) {
    const macsec_config& m = l.macsec;
    const macsec_member_config* mm = nullptr;
    for (const auto& x : m.members)
        if (x.port == port)
            mm = &x;
    if (mm == nullptr)
        return make_error("macsec-member", fmt::format("[lag.macsec] has no [[lag.macsec.member]] for '{}'", port));
    if (d.has_port(id))
        return ok_v; // keyed before (it left and came back): its SAs stayed
    const macsec::sci_t peers[] = {mm->peer_sci};
    if (auto ok = d.add_port(id, m.secy(*mm), peers); !ok)
        return ok.err();
    auto rx = sa_from(m, mm->rx, keys, mm->port);
    if (!rx)
        return rx.err();
    if (auto ok = d.install_rx_sa(id, mm->peer_sci, mm->rx.an, *rx); !ok)
        return ok.err();
    auto tx = sa_from(m, mm->tx, keys, mm->port);
    if (!tx)
        return tx.err();
    // The PNs it may send: from max(tx_pn, what the PN state has seen used
    // under this key), a chunk persisted before the SA exists.
    macsec::pn_store* store = d.pn_store();
    if (store == nullptr)
        return make_error("pn-state", "static keys without a PN state");
    auto eng = crypto::engine::create();
    if (!eng)
        return eng.err();
    auto fp = macsec::fingerprint_of(**eng, tx->key.view());
    if (!fp)
        return fp.err();
    ctl::tx_pn_reservation res{store, {mm->sci, mm->tx.an, *fp}, 0, pn_chunk_of(m)};
    const uint64_t max_pn = is_xpn(m.suite) ? macsec::max_pn_64 : macsec::max_pn_32;
    auto grant = store->start(res.id, mm->tx.pn, max_pn, res.chunk);
    if (!grant)
        return make_error(grant.err().code, fmt::format("member '{}': {}", port, grant.err().message));
    tx->next_pn = grant->first_pn;
    res.limit = grant->limit;
    if (auto ok = d.install_tx_sa(id, mm->tx.an, *tx, 0, &res); !ok)
        return ok.err();
    return d.enable_tx_sa(id, mm->tx.an);
}

result<std::unique_ptr<ctl::macsec_driver>> start_static_macsec(ctl::control& c, const lag_config& l,
                                                                const port_ids& members) {
    const macsec_config& m = l.macsec;
    if (!m.enabled || m.mode != macsec_mode::static_keys)
        return std::unique_ptr<ctl::macsec_driver>();
    auto keys = load_key_file(m.key_file);
    if (!keys)
        return keys.err();
    if (auto ok = check_distinct_tx_keys(m, *keys); !ok)
        return ok.err();
    auto d = ctl::macsec_driver::create(c);
    if (!d)
        return d.err();
    auto store = macsec::pn_store::open(std::make_unique<pn_state_file>(pn_state_path(m, l.name)));
    if (!store)
        return store.err();
    (*d)->adopt_pn_store(std::move(*store));
    for (const auto& mm : m.members) {
        uint16_t id = 0xFFFF;
        for (const auto& [name, pid] : members)
            if (name == mm.port)
                id = pid;
        if (id == 0xFFFF)
            continue; // a spare [[port]]: keyed when `add member` brings it in
        if (auto ok = add_static_macsec_port(**d, l, mm.port, id, *keys); !ok)
            return ok.err();
    }
    return std::move(*d);
}

void print_macsec_counters(const ctl::macsec_driver& d, const ctl::control& c, const port_ids& members) {
    fmt::print("{:<10} {:>12} {:>12} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8}\n",
               "macsec", "OutProtect", "OutEncrypt", "InOK", "InLate", "InNotValid", "InInvalid", "InNoSA",
               "InNoTag", "InBadTag", "InNoSCI", "InUntag", "OutNoSA", "OutPNex", "OutPNres");
    for (const auto& [name, id] : members) {
        if (!d.has_port(id))
            continue;
        const auto tx = d.tx_totals(id);
        const auto rx = d.rx_totals(id);
        const auto s = d.secy_totals(id);
        fmt::print("{:<10} {:>12} {:>12} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8}\n",
                   name, tx.out_pkts_protected, tx.out_pkts_encrypted, rx.in_pkts_ok, rx.in_pkts_late,
                   rx.in_pkts_not_valid, rx.in_pkts_invalid, rx.in_pkts_not_using_sa, s.in_pkts_no_tag,
                   s.in_pkts_bad_tag, s.in_pkts_no_sci, s.in_pkts_untagged, s.out_pkts_no_sa,
                   s.out_pkts_pn_exhausted, s.out_pkts_pn_unreserved);
        const auto t = c.totals(id);
        fmt::print("macsec {} drops: tx {} (no_room {}), rx {}\n", name, t.drop(dp::drop_reason::macsec_tx),
                   t.macsec_tx[static_cast<size_t>(macsec::tx_status::drop_no_room)],
                   t.drop(dp::drop_reason::macsec_rx));
    }
    const auto& k = d.counters();
    fmt::print("macsec: {} SAs installed, {} freed, {} messages, {} PN-near-exhaustion signals\n", k.sas_installed,
               k.sas_freed, k.messages_sent, k.pn_near_exhaustion);
    if (const auto* st = d.pn_store())
        fmt::print("macsec: PN state {}: {} chunks reserved while running, {} writes failed\n", st->storage().name(),
                   k.pn_chunks_reserved, k.pn_reserve_failures);
    std::fflush(stdout);
}

} // namespace lag::lagd
