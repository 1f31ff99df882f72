#include "dataplane/worker.hpp"

#include "dataplane/ctl_tx.hpp"
#include "dataplane/flow_crc_pvt.hpp"
#include "dataplane/messages.hpp"
#include "macsec/macsec.hpp"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <algorithm>

namespace lag::dp {

static_assert(RTE_MAX_ETHPORTS <= max_ports, "counters are indexed by DPDK port id");
static_assert(max_burst <= 64, "egress marks a burst's frames in 64-bit masks");

namespace {
constexpr unsigned prefetch_ahead = 3;
constexpr unsigned message_batch = 8;

inline const uint8_t* frame_of(const rte_mbuf* m) noexcept {
    return rte_pktmbuf_mtod(m, const uint8_t*);
}

// outer_ether_type() (the EtherType at offset 12, 0 if the frame is
// shorter), inlined: it runs on every ingress frame.
inline uint16_t ether_type_at_12(const rte_mbuf* m) noexcept {
    if (m->data_len < 14) [[unlikely]]
        return 0;
    const uint8_t* f = frame_of(m);
    return static_cast<uint16_t>(f[12] << 8 | f[13]);
}

// A frame longer than max_frame (the untagged limit): within it still when
// it carries one or two VLAN tags that make up the difference.
[[gnu::noinline, gnu::cold]] bool over_mtu(const rte_mbuf* m, uint32_t len, uint32_t max_frame) noexcept {
    auto is_tag = [](uint16_t et) noexcept { return et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ; };
    if (m->data_len < 18 || !is_tag(ether_type_at_12(m)))
        return true;
    const uint8_t* f = frame_of(m);
    const bool second = m->data_len >= 22 && is_tag(static_cast<uint16_t>(f[16] << 8 | f[17]));
    return len > max_frame + (second ? 8u : 4u);
}

// Ingress frames for the control core: slow protocols (LACP, Marker), EAPOL.
inline bool punted(const rte_mbuf* m) noexcept {
    const uint16_t et = ether_type_at_12(m);
    return et == ether_type_slow || et == ether_type_eapol;
}
} // namespace

worker::worker(const worker_config& cfg) noexcept : _cfg(cfg), _snap(cfg.initial) {
    _cfg.burst = std::clamp<uint16_t>(_cfg.burst, 1, max_burst);
    for (hash_policy p : {hash_policy::l2, hash_policy::l23, hash_policy::l34, hash_policy::sym_l34})
        _crc32_hash[static_cast<size_t>(p)] = crc32_hash_function(p);
    if (_cfg.qsbr != nullptr) {
        (void)rte_rcu_qsbr_thread_register(_cfg.qsbr, _cfg.id);
        rte_rcu_qsbr_thread_online(_cfg.qsbr, _cfg.id);
    }
}

worker::~worker() {
    if (_cfg.qsbr != nullptr) {
        rte_rcu_qsbr_thread_offline(_cfg.qsbr, _cfg.id);
        (void)rte_rcu_qsbr_thread_unregister(_cfg.qsbr, _cfg.id);
    }
}

void worker::apply_messages() noexcept {
    if (_cfg.control_ring == nullptr)
        return;
    control_message msgs[message_batch];
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst_elem(_cfg.control_ring, msgs, sizeof(control_message),
                                               message_batch, nullptr)) > 0) {
        for (unsigned i = 0; i < n; ++i) {
            if (msgs[i].kind == message_kind::snapshot) {
                if (msgs[i].ptr != nullptr) {
                    _snap = static_cast<const snapshot*>(msgs[i].ptr);
                    _counters.snapshots_applied.add(1);
                }
            } else {
                apply_macsec(msgs[i]);
            }
        }
    }
}

void worker::apply_macsec(const control_message& m) noexcept {
    const uint16_t port = macsec_arg_port(m.arg);
    const uint8_t an = macsec_arg_an(m.arg);
    const uint8_t sc = macsec_arg_sc(m.arg);
    // The objects are the control core's; the worker only switches pointers.
    auto* sa_ptr = const_cast<void*>(m.ptr);
    bool ok = port < max_ports;
    macsec::secy* sy = ok ? _secy[port] : nullptr;
    switch (m.kind) {
    case message_kind::macsec_secy:
        ok = ok && (m.ptr == nullptr || _cfg.engine != nullptr);
        if (ok)
            _secy[port] = static_cast<macsec::secy*>(sa_ptr);
        break;
    case message_kind::macsec_tx_sa:
        ok = sy != nullptr && sy->attach_tx_sa(static_cast<macsec::tx_sa*>(sa_ptr));
        break;
    case message_kind::macsec_tx_detach:
        ok = sy != nullptr;
        if (ok)
            sy->detach_tx_sa(an);
        break;
    case message_kind::macsec_encoding:
        ok = sy != nullptr && sy->use_encoding_sa(an);
        break;
    case message_kind::macsec_rx_sa:
        ok = sy != nullptr && sy->attach_rx_sa(sc, static_cast<macsec::rx_sa*>(sa_ptr));
        break;
    case message_kind::macsec_rx_sc:
        ok = sy != nullptr && m.ptr != nullptr &&
             sy->open_rx_sc(sc, *static_cast<const macsec::sci_t*>(m.ptr));
        break;
    case message_kind::macsec_offset:
        ok = sy != nullptr && sy->set_confidentiality_offset(an);
        break;
    case message_kind::macsec_policy:
        ok = sy != nullptr && (an >> 2) <= static_cast<uint8_t>(macsec::validate_frames::strict);
        if (ok)
            sy->set_policy((an & 1) != 0, (an & 2) != 0, static_cast<macsec::validate_frames>(an >> 2));
        break;
    case message_kind::macsec_rx_detach:
        ok = sy != nullptr;
        if (ok)
            sy->detach_rx_sa(sc, an);
        break;
    default:
        ok = false;
        break;
    }
    (ok ? _counters.macsec_messages : _counters.macsec_refused).add(1);
}

uint16_t worker::protect(uint16_t port, macsec::secy& sy, rte_mbuf** pkts, uint16_t n,
                         uint64_t& bytes) noexcept {
    macsec::frame f[max_burst];
    macsec::tx_status st[max_burst];
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        // One segment only: a chained mbuf is refused for lack of tailroom.
        const bool flat = m->nb_segs == 1;
        f[i] = macsec::frame{rte_pktmbuf_mtod(m, uint8_t*), m->data_len, rte_pktmbuf_headroom(m),
                             flat ? static_cast<uint32_t>(rte_pktmbuf_tailroom(m)) : 0u};
    }
    sy.protect_burst(*_cfg.engine, {f, n}, {st, n});
    port_counters& pc = _counters.ports[port];
    uint32_t tally[macsec_tx_status_count] = {};
    uint16_t keep = 0, nfree = 0;
    rte_mbuf* bad[max_burst];
    bytes = 0;
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        ++tally[static_cast<size_t>(st[i])];
        if (macsec::sent(st[i])) {
            m->data_off = static_cast<uint16_t>(f[i].data - static_cast<uint8_t*>(m->buf_addr));
            m->data_len = static_cast<uint16_t>(f[i].len);
            m->pkt_len = f[i].len;
            bytes += f[i].len;
            pkts[keep++] = m;
        } else {
            bad[nfree++] = m;
        }
    }
    for (size_t s = 0; s < macsec_tx_status_count; ++s)
        if (tally[s] != 0)
            pc.macsec_tx[s].add(tally[s]);
    if (nfree != 0) [[unlikely]] {
        rte_pktmbuf_free_bulk(bad, nfree);
        pc.drop(drop_reason::macsec_tx).add(nfree);
    }
    return keep;
}

uint16_t worker::verify(uint16_t port, macsec::secy& sy, rte_mbuf** pkts, uint16_t n, rte_mbuf** out,
                        uint64_t& bytes) noexcept {
    macsec::frame f[max_burst];
    macsec::rx_status st[max_burst];
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        // A chained frame cannot be verified in place: given as too short to
        // parse, it is dropped as a bad tag.
        const bool flat = m->nb_segs == 1;
        f[i] = macsec::frame{flat ? rte_pktmbuf_mtod(m, uint8_t*) : nullptr, flat ? m->data_len : 0u,
                             rte_pktmbuf_headroom(m), static_cast<uint32_t>(rte_pktmbuf_tailroom(m))};
    }
    sy.verify_burst(*_cfg.engine, {f, n}, {st, n});
    port_counters& pc = _counters.ports[port];
    uint32_t tally[macsec_rx_status_count] = {};
    uint16_t k = 0, nfree = 0;
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        ++tally[static_cast<size_t>(st[i])];
        if (macsec::delivered(st[i])) {
            m->data_off = static_cast<uint16_t>(f[i].data - static_cast<uint8_t*>(m->buf_addr));
            m->data_len = static_cast<uint16_t>(f[i].len);
            m->pkt_len = f[i].len;
            bytes += f[i].len;
            out[k++] = m;
        } else {
            pkts[nfree++] = m; // nfree <= i: reuses the front of pkts
        }
    }
    for (size_t s = 0; s < macsec_rx_status_count; ++s)
        if (tally[s] != 0)
            pc.macsec_rx[s].add(tally[s]);
    if (nfree != 0) {
        rte_pktmbuf_free_bulk(pkts, nfree);
        pc.drop(drop_reason::macsec_rx).add(nfree);
    }
    return k;
}

uint16_t worker::send(uint16_t port, rte_mbuf** pkts, uint16_t n, uint64_t bytes) noexcept {
    const uint16_t q = _cfg.queue;
    uint16_t sent = rte_eth_tx_burst(port, q, pkts, n);
    for (unsigned r = 0; sent < n && r < _cfg.tx_retries; ++r)
        sent += rte_eth_tx_burst(port, q, pkts + sent, static_cast<uint16_t>(n - sent));
    port_counters& pc = _counters.ports[port];
    if (sent < n) [[unlikely]] {
        // pkts[sent, n) are still ours: their lengths are readable.
        uint64_t lost = 0;
        for (uint16_t i = sent; i < n; ++i)
            lost += pkts[i]->pkt_len;
        rte_pktmbuf_free_bulk(pkts + sent, n - sent);
        pc.drop(drop_reason::tx_full).add(n - sent);
        bytes -= lost;
    }
    pc.tx_packets.add(sent);
    pc.tx_bytes.add(bytes);
    return sent;
}

namespace {
// The egress hash loop for one CRC32 policy: crc32_fast inline, the general
// path out of line for the rest. `hash` is the snapshot's, i.e.
// crc32_hash_function(P) (nullptr: per-packet `hash` for every frame, the
// loop for Toeplitz or any other function).
template <hash_policy P, bool Crc32>
inline void hash_loop(rte_mbuf* const* rx, uint16_t n, const snapshot& s, frame_hash_fn hash,
                          uint64_t* mask) noexcept {
    const uint8_t* table = s.slot_of_bucket.data();
    const uint32_t bmask = s.bucket_mask;
    auto one = [&](unsigned i) noexcept __attribute__((always_inline)) {
        const rte_mbuf* m = rx[i];
        const uint8_t* f = frame_of(m);
        const uint32_t len = m->data_len;
        uint32_t h;
        if constexpr (Crc32) {
            if (!detail::crc32_fast<P>(f, len, h)) [[unlikely]]
                h = detail::crc32_general<P>(f, len);
        } else {
            h = hash(f, len);
        }
        mask[table[h & bmask]] |= uint64_t{1} << i;
    };
    // Frame data prefetch_ahead frames ahead, then the tail.
    const unsigned ahead = n > prefetch_ahead ? n - prefetch_ahead : 0;
    unsigned i = 0;
    for (; i < ahead; ++i) {
        rte_prefetch0(frame_of(rx[i + prefetch_ahead]));
        one(i);
    }
    for (; i < n; ++i)
        one(i);
}
// The egress loop where the access port hands over its RSS hash: a flagged
// frame is bucketed from its mbuf header alone (the frame is not read, so not
// prefetched); the rest (a frame the NIC did not hash) by `hash`.
inline void nic_hash_loop(rte_mbuf* const* rx, uint16_t n, const snapshot& s, uint64_t* mask) noexcept {
    const uint8_t* table = s.slot_of_bucket.data();
    const uint32_t bmask = s.bucket_mask;
    for (unsigned i = 0; i < n; ++i) {
        const rte_mbuf* m = rx[i];
        const uint32_t h = (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) != 0 ? m->hash.rss
                                                                       : s.hash(frame_of(m), m->data_len);
        mask[table[h & bmask]] |= uint64_t{1} << i;
    }
}
} // namespace

void worker::hash_into(const snapshot& s, uint16_t n, uint64_t* mask) noexcept {
    // The inline CRC32 loops only for the functions crc32_hash_function
    // hands out (a snapshot could carry any frame_hash_fn).
    if (s.nic_hash) {
        nic_hash_loop(_rx, n, s, mask);
        return;
    }
    if (s.algo == hash_algo::crc32 && s.hash == _crc32_hash[static_cast<size_t>(s.policy)]) {
        switch (s.policy) {
        case hash_policy::l2: hash_loop<hash_policy::l2, true>(_rx, n, s, s.hash, mask); return;
        case hash_policy::l23: hash_loop<hash_policy::l23, true>(_rx, n, s, s.hash, mask); return;
        case hash_policy::l34: hash_loop<hash_policy::l34, true>(_rx, n, s, s.hash, mask); return;
        case hash_policy::sym_l34: hash_loop<hash_policy::sym_l34, true>(_rx, n, s, s.hash, mask); return;
        }
    }
    hash_loop<hash_policy::l2, false>(_rx, n, s, s.hash, mask);
}

uint16_t worker::rx_queue(uint16_t port, unsigned round) const noexcept {
    if (round == 0)
        return _cfg.queue;
    const unsigned q = _cfg.queue + round * _cfg.queue_stride;
    return _cfg.io != nullptr && q < _cfg.io->rx_queues(port) ? static_cast<uint16_t>(q) : no_queue;
}

unsigned worker::rx_rounds(const snapshot& s) const noexcept {
    if (_cfg.io == nullptr) [[likely]]
        return 1;
    const unsigned stride = _cfg.queue_stride == 0 ? 1 : _cfg.queue_stride;
    auto rounds = [&](uint16_t port) noexcept {
        const unsigned nq = _cfg.io->rx_queues(port);
        return nq > _cfg.queue ? (nq - _cfg.queue + stride - 1) / stride : 1u;
    };
    unsigned r = rounds(s.access_port);
    for (unsigned k = 0; k < s.member_count; ++k)
        r = std::max(r, rounds(s.member_ports[k]));
    return r;
}

unsigned worker::egress(unsigned round) noexcept {
    const snapshot& s = *_snap;
    const uint16_t rxq = rx_queue(s.access_port, round);
    if (rxq == no_queue)
        return 0;
    const uint16_t n = rte_eth_rx_burst(s.access_port, rxq, _rx, _cfg.burst);
    if (n == 0)
        return 0;
    port_counters& ac = _counters.ports[s.access_port];
    ac.rx_packets.add(n);
    if (!s.lag_up) [[unlikely]] {
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < n; ++i)
            bytes += _rx[i]->pkt_len;
        ac.rx_bytes.add(bytes);
        rte_pktmbuf_free_bulk(_rx, n);
        ac.drop(drop_reason::lag_down).add(n);
        return n;
    }
    // One pass over the burst, the only one that reads frame data: hash
    // (CRC32 inline for the common frames, see hash_into), bucket, slot; the
    // slot's bit i is set in that slot's mask. The mbuf headers are fetched
    // first: a PMD that does not write them (ring, null) hands them back
    // cold, and the data address is in them.
    for (uint16_t i = 0; i < n; ++i)
        rte_prefetch0(_rx[i]);
    if (!s.nic_hash)
        for (uint16_t i = 0; i < n && i < prefetch_ahead; ++i)
            rte_prefetch0(frame_of(_rx[i]));
    uint64_t mask[max_members + 1] = {};
    hash_into(s, n, mask);
    // Per member: its frames in arrival order, one per set bit; each frame
    // is touched once whatever the member count. The bytes received are
    // the sum of what each member is given (and what is dropped).
    // A frame longer than the LAG's MTU allows is never sent: it joins the
    // over_mtu list (one compare per frame, on a header already hot).
    uint64_t bytes = 0;
    const unsigned slots = s.member_count;
    const uint32_t max_frame = s.max_frame != 0 ? s.max_frame : UINT32_MAX;
    uint16_t nover = 0;
    for (unsigned k = 0; k < slots; ++k) {
        uint64_t bits = mask[k];
        if (bits == 0)
            continue;
        rte_mbuf** out = _out[k];
        uint16_t c = 0;
        uint64_t member_bytes = 0;
        do {
            rte_mbuf* m = _rx[__builtin_ctzll(bits)];
            const uint32_t len = m->pkt_len; // the header is hot: just read by the hash loop
            if (len > max_frame && over_mtu(m, len, max_frame)) [[unlikely]] {
                _out[drop_slot][nover++] = m;
                bytes += len;
            } else {
                out[c++] = m;
                member_bytes += len;
            }
            bits &= bits - 1;
        } while (bits != 0);
        bytes += member_bytes;
        if (c == 0)
            continue;
        const uint16_t port = s.member_ports[k];
        if (macsec::secy* sy = _secy[port]; sy != nullptr)
            c = protect(port, *sy, out, c, member_bytes);
        if (c != 0)
            send(port, out, c, member_bytes);
    }
    if (nover != 0) [[unlikely]] {
        rte_pktmbuf_free_bulk(_out[drop_slot], nover);
        ac.drop(drop_reason::over_mtu).add(nover);
    }
    // Buckets without a member (none while the LAG is up, but never trust
    // it), and slots past member_count (a malformed table): freed, counted.
    uint64_t bits = mask[drop_slot];
    for (unsigned k = slots; k < max_members; ++k)
        bits |= mask[k];
    if (bits != 0) [[unlikely]] {
        rte_mbuf** out = _out[drop_slot];
        uint16_t c = 0;
        for (; bits != 0; bits &= bits - 1) {
            out[c] = _rx[__builtin_ctzll(bits)];
            bytes += out[c++]->pkt_len;
        }
        rte_pktmbuf_free_bulk(out, c);
        ac.drop(drop_reason::no_member).add(c);
    }
    ac.rx_bytes.add(bytes);
    return n;
}

unsigned worker::ingress(unsigned round) noexcept {
    const snapshot& s = *_snap;
    unsigned total = 0;
    uint16_t nfwd = 0;
    uint64_t fwd_bytes = 0;
    for (unsigned k = 0; k < s.member_count; ++k) {
        const uint16_t port = s.member_ports[k];
        const uint16_t rxq = rx_queue(port, round);
        if (rxq == no_queue)
            continue;
        const uint16_t n = rte_eth_rx_burst(port, rxq, _rx, _cfg.burst);
        if (n == 0)
            continue;
        total += n;
        port_counters& pc = _counters.ports[port];
        const bool collecting = s.collecting_slot(k);
        macsec::secy* sy = _secy[port];
        uint16_t ndrop = 0, npunt = 0, nmx = 0;
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < n; ++i)
            rte_prefetch0(_rx[i]);
        for (uint16_t i = 0; i < n && i < prefetch_ahead; ++i)
            rte_prefetch0(frame_of(_rx[i]));
        if (collecting && sy == nullptr) [[likely]] {
            // The common case: every frame goes to the access port but the
            // punted ones, which are rare. The frames are appended to _fwd
            // as they come; only a burst holding one to punt takes a
            // second pass to move those out.
            rte_mbuf** fwd = _fwd + nfwd;
            bool any_punt = false;
            auto one = [&](unsigned i) noexcept __attribute__((always_inline)) {
                rte_mbuf* m = _rx[i];
                bytes += m->pkt_len;
                any_punt |= punted(m);
                fwd[i] = m;
            };
            const unsigned ahead = n > prefetch_ahead ? n - prefetch_ahead : 0;
            unsigned i = 0;
            for (; i < ahead; ++i) {
                rte_prefetch0(frame_of(_rx[i + prefetch_ahead]));
                one(i);
            }
            for (; i < n; ++i)
                one(i);
            uint16_t kept = n;
            uint64_t bytes_punted = 0;
            if (any_punt) [[unlikely]] {
                kept = 0;
                for (uint16_t j = 0; j < n; ++j) {
                    rte_mbuf* m = fwd[j];
                    if (punted(m)) {
                        m->port = port;
                        _punt[npunt++] = m;
                        bytes_punted += m->pkt_len;
                    } else {
                        fwd[kept++] = m;
                    }
                }
            }
            nfwd = static_cast<uint16_t>(nfwd + kept);
            fwd_bytes += bytes - bytes_punted;
        } else {
            // LACP on the SecY's controlled port (the default with MACsec):
            // slow-protocol frames are the SecY's to verify like data (a
            // clear one is judged by validateFrames), and the verified ones
            // are punted below; so a member that is not collecting has its
            // frames verified too, to find its LACPDUs. EAPOL is always
            // punted first (the uncontrolled port).
            const bool slow_inside = sy != nullptr && sy->config().protect_slow_protocols;
            for (uint16_t i = 0; i < n; ++i) {
                if (i + prefetch_ahead < n)
                    rte_prefetch0(frame_of(_rx[i + prefetch_ahead]));
                rte_mbuf* m = _rx[i];
                bytes += m->pkt_len;
                if (punted(m) && !(slow_inside && ether_type_at_12(m) == ether_type_slow)) [[unlikely]] {
                    m->port = port;
                    _punt[npunt++] = m;
                } else if (!collecting && !slow_inside) {
                    _rx[ndrop++] = m; // ndrop <= i: reuses the front of _rx
                } else {
                    _mx[nmx++] = m; // sy != nullptr
                }
            }
            if (nmx != 0) {
                rte_mbuf** v = _fwd + nfwd;
                uint64_t vbytes = 0;
                uint16_t k = verify(port, *sy, _mx, nmx, v, vbytes);
                if (slow_inside) {
                    // One more pass over what the SecY delivered: LACPDUs
                    // and Marker PDUs (after strip) to control, the rest
                    // forwarded, or dropped while not collecting.
                    uint16_t keep = 0;
                    for (uint16_t j = 0; j < k; ++j) {
                        rte_mbuf* m = v[j];
                        if (ether_type_at_12(m) == ether_type_slow) [[unlikely]] {
                            vbytes -= m->pkt_len;
                            m->port = port;
                            _punt[npunt++] = m;
                        } else if (!collecting) {
                            vbytes -= m->pkt_len;
                            _rx[ndrop++] = m; // every frame of _rx has moved on: its front is free
                        } else {
                            v[keep++] = m;
                        }
                    }
                    k = keep;
                }
                nfwd = static_cast<uint16_t>(nfwd + k);
                fwd_bytes += vbytes;
            }
        }
        pc.rx_packets.add(n);
        pc.rx_bytes.add(bytes);
        if (ndrop != 0) {
            rte_pktmbuf_free_bulk(_rx, ndrop);
            pc.drop(drop_reason::not_collecting).add(ndrop);
        }
        if (npunt != 0) {
            unsigned queued = 0;
            if (_cfg.punt_ring != nullptr)
                queued = rte_ring_mp_enqueue_burst(_cfg.punt_ring, reinterpret_cast<void**>(_punt), npunt,
                                                   nullptr);
            if (queued < npunt) {
                rte_pktmbuf_free_bulk(_punt + queued, npunt - queued);
                pc.drop(drop_reason::punt_full).add(npunt - queued);
            }
            pc.punted.add(queued);
        }
    }
    if (nfwd != 0)
        send(s.access_port, _fwd, nfwd, fwd_bytes);
    return total;
}

unsigned worker::poll_once() noexcept {
    _counters.polls.add(1);
    apply_messages();
    unsigned n = 0;
    for (unsigned r = 0, rounds = rx_rounds(*_snap); r < rounds; ++r) {
        n += egress(r);
        n += ingress(r);
    }
    if (_cfg.io != nullptr && _cfg.queue == 0)
        _cfg.io->drain(*_snap, _cfg.queue); // control frames of members without a spare TX queue
    if (_cfg.qsbr != nullptr)
        rte_rcu_qsbr_quiescent(_cfg.qsbr, _cfg.id);
    return n;
}

void worker::run(const std::atomic<bool>& quit) noexcept {
    while (!quit.load(std::memory_order_relaxed))
        poll_once();
}

int worker::lcore_main(void* arg) noexcept {
    auto* a = static_cast<launch_arg*>(arg);
    a->w->run(*a->quit);
    return 0;
}

} // namespace lag::dp
