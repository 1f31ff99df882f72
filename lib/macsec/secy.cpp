#include "macsec/secy.hpp"

#include <algorithm>
#include <cstring>

namespace lag::macsec {

void make_iv(uint8_t iv[12], sci_t sci, uint32_t pn) noexcept {
    const uint64_t a = __builtin_bswap64(sci);
    const uint32_t b = __builtin_bswap32(pn);
    std::memcpy(iv, &a, 8);
    std::memcpy(iv + 8, &b, 4);
}

void make_xpn_iv(uint8_t iv[12], uint32_t ssci, const std::array<uint8_t, 12>& salt,
                 uint64_t pn) noexcept {
    // (SSCI || PN) XOR salt, as one 32-bit and one 64-bit word.
    uint32_t s0;
    uint64_t s1;
    std::memcpy(&s0, salt.data(), 4);
    std::memcpy(&s1, salt.data() + 4, 8);
    const uint32_t a = __builtin_bswap32(ssci) ^ s0;
    const uint64_t b = __builtin_bswap64(pn) ^ s1;
    std::memcpy(iv, &a, 4);
    std::memcpy(iv + 4, &b, 8);
}

namespace {

// Moves DA and SA (12 octets) to overlap-safe new place: two fixed-size
// copies the compiler inlines, instead of a memmove call per frame.
inline void move_mac_addrs(uint8_t* to, const uint8_t* from) noexcept {
    uint8_t tmp[mac_addrs_len];
    std::memcpy(tmp, from, mac_addrs_len);
    std::memcpy(to, tmp, mac_addrs_len);
}

result<void> check_sa_params(const sa_params& p) {
    if (p.key.size() != key_length(p.suite))
        return make_error("sa-key-length", std::string("the key length does not match ") +
                                               std::string(to_string(p.suite)));
    const uint64_t max = is_xpn(p.suite) ? max_pn_64 : max_pn_32;
    if (p.next_pn == 0 || p.next_pn > max)
        return make_error("sa-pn", "next PN must be between 1 and the suite's largest PN");
    return ok_v;
}

} // namespace

// ---- tx_sa -----------------------------------------------------------------------

result<std::unique_ptr<tx_sa>> tx_sa::create(crypto::engine& e, uint8_t an, const sa_params& p,
                                             uint64_t pn_threshold) {
    if (an > 3)
        return make_error("sa-an", "association number must be 0..3");
    if (auto r = check_sa_params(p); !r)
        return r.err();
    auto key = crypto::gcm_key::create(e, p.key.view());
    if (!key)
        return key.err();
    std::unique_ptr<tx_sa> sa(new tx_sa());
    sa->_an = an;
    sa->_suite = p.suite;
    sa->_key = std::move(key.value());
    sa->_ssci = p.ssci;
    sa->_salt = p.salt;
    sa->_max_pn = is_xpn(p.suite) ? max_pn_64 : max_pn_32;
    sa->_threshold = pn_threshold != 0 ? pn_threshold
                     : is_xpn(p.suite) ? 0xC000000000000000ull
                                       : 0xC0000000ull;
    sa->_next_pn.store(p.next_pn, std::memory_order_relaxed);
    sa->_limit.store(sa->_max_pn, std::memory_order_relaxed);
    return sa;
}

uint32_t tx_sa::reserve(uint32_t n, uint64_t& first) noexcept {
    uint64_t cur = _next_pn.load(std::memory_order_relaxed);
    const uint64_t limit = _limit.load(std::memory_order_relaxed); // <= _max_pn
    for (;;) {
        if (n == 0 || cur > limit)
            return 0;
        const uint64_t left = limit - cur + 1; // >= 1; may be 2^64 - 1 at most
        const uint32_t take = left < n ? static_cast<uint32_t>(left) : n;
        if (_next_pn.compare_exchange_weak(cur, cur + take, std::memory_order_relaxed)) {
            first = cur;
            return take;
        }
    }
}

// ---- rx_sa -----------------------------------------------------------------------

result<std::unique_ptr<rx_sa>> rx_sa::create(crypto::engine& e, uint8_t an, const sa_params& p) {
    if (an > 3)
        return make_error("sa-an", "association number must be 0..3");
    if (auto r = check_sa_params(p); !r)
        return r.err();
    auto key = crypto::gcm_key::create(e, p.key.view());
    if (!key)
        return key.err();
    std::unique_ptr<rx_sa> sa(new rx_sa());
    sa->_an = an;
    sa->_suite = p.suite;
    sa->_key = std::move(key.value());
    sa->_ssci = p.ssci;
    sa->_salt = p.salt;
    sa->_replay = replay_window(0, p.next_pn);
    sa->publish_lowest();
    return sa;
}

// ---- secy: control path ------------------------------------------------------------

result<std::unique_ptr<secy>> secy::create(const secy_config& c) {
    if (c.confidentiality_offset != 0 && c.confidentiality_offset != 30 &&
        c.confidentiality_offset != 50)
        return make_error("confidentiality-offset", "confidentiality offset must be 0, 30 or 50");
    if (c.include_sci && (c.use_es || c.use_scb))
        return make_error("sectag-bits", "ES and SCB are only for a SecTAG without SCI");
    if (is_xpn(c.suite) && c.replay_window > (1u << 30))
        return make_error("replay-window", "XPN replay window must not exceed 2^30");
    return std::unique_ptr<secy>(new secy(c));
}

result<void> secy::install_tx_sa(std::unique_ptr<tx_sa> sa) {
    if (!sa)
        return make_error("sa-null", "no SA");
    if (!_cfg.any_suite && sa->suite() != _cfg.suite)
        return make_error("sa-suite", "the SA's cipher suite is not the SecY's");
    const uint8_t an = sa->an();
    if (_encoding == _tx[an])
        _encoding = nullptr;
    _tx[an] = sa.get();
    _tx_owned[an] = std::move(sa);
    return ok_v;
}

result<void> secy::set_encoding_sa(uint8_t an) {
    if (an > 3 || !_tx[an])
        return make_error("sa-missing", "no transmit SA installed for that AN");
    _encoding = _tx[an];
    return ok_v;
}

void secy::retire_tx_sa(uint8_t an) noexcept {
    if (an > 3)
        return;
    if (_encoding == _tx[an])
        _encoding = nullptr;
    _tx[an] = nullptr;
    _tx_owned[an].reset();
}

bool secy::attach_tx_sa(tx_sa* sa) noexcept {
    if (sa == nullptr || (!_cfg.any_suite && sa->suite() != _cfg.suite))
        return false;
    const uint8_t an = sa->an();
    if (_encoding != nullptr && _encoding == _tx[an])
        _encoding = sa; // a new SA at the AN in use takes over at once
    _tx[an] = sa;
    return true;
}

void secy::detach_tx_sa(uint8_t an) noexcept {
    if (an > 3)
        return;
    if (_encoding == _tx[an])
        _encoding = nullptr;
    _tx[an] = nullptr;
}

bool secy::use_encoding_sa(uint8_t an) noexcept {
    _encoding = an < 4 ? _tx[an] : nullptr;
    return _encoding != nullptr;
}

bool secy::attach_rx_sa(size_t sc_index, rx_sa* sa) noexcept {
    if (sc_index >= _n_rx || sa == nullptr || (!_cfg.any_suite && sa->suite() != _cfg.suite))
        return false;
    const uint32_t window = is_xpn(sa->suite()) ? std::min(_cfg.replay_window, 1u << 30) : _cfg.replay_window;
    sa->_replay = replay_window(window, sa->_replay.next_pn());
    sa->publish_lowest();
    _rx[sc_index].sa[sa->an()] = sa;
    return true;
}

void secy::detach_rx_sa(size_t sc_index, uint8_t an) noexcept {
    if (sc_index < _n_rx && an < 4)
        _rx[sc_index].sa[an] = nullptr;
}

bool secy::set_confidentiality_offset(uint8_t octets) noexcept {
    if (octets != 0 && octets != 30 && octets != 50)
        return false;
    _cfg.confidentiality_offset = octets;
    return true;
}

void secy::set_policy(bool confidentiality, bool clear_without_sa, validate_frames v) noexcept {
    _cfg.confidentiality = confidentiality;
    _cfg.clear_without_sa = clear_without_sa;
    _cfg.validate = v;
}

bool secy::open_rx_sc(size_t sc_index, sci_t sci) noexcept {
    if (sc_index != _n_rx || sc_index >= max_rx_sc || find_sc(sci) != nullptr)
        return false;
    rx_sc& sc = _rx[sc_index];
    sc.sci = sci;
    sc.sa = {};
    sc.counters = {};
    ++_n_rx;
    return true;
}

secy::rx_sc* secy::find_sc(sci_t sci) noexcept {
    for (size_t i = 0; i < _n_rx; ++i)
        if (_rx[i].sci == sci)
            return &_rx[i];
    return nullptr;
}
const secy::rx_sc* secy::find_sc(sci_t sci) const noexcept {
    return const_cast<secy*>(this)->find_sc(sci);
}

result<void> secy::add_rx_sc(sci_t sci) {
    if (find_sc(sci) != nullptr)
        return ok_v;
    if (_n_rx == max_rx_sc)
        return make_error("rx-sc-full", "too many receive secure channels");
    _rx[_n_rx] = rx_sc{};
    _rx[_n_rx].sci = sci;
    ++_n_rx;
    return ok_v;
}

result<void> secy::install_rx_sa(sci_t sci, std::unique_ptr<rx_sa> sa) {
    if (!sa)
        return make_error("sa-null", "no SA");
    if (!_cfg.any_suite && sa->suite() != _cfg.suite)
        return make_error("sa-suite", "the SA's cipher suite is not the SecY's");
    rx_sc* sc = find_sc(sci);
    if (sc == nullptr)
        return make_error("rx-sc-missing", "no receive SC with that SCI");
    sa->_replay = replay_window(_cfg.replay_window, sa->_replay.next_pn());
    sa->publish_lowest();
    const uint8_t an = sa->an();
    sc->sa[an] = sa.get();
    sc->owned[an] = std::move(sa);
    return ok_v;
}

void secy::retire_rx_sa(sci_t sci, uint8_t an) noexcept {
    if (rx_sc* sc = find_sc(sci); sc != nullptr && an < 4) {
        sc->sa[an] = nullptr;
        sc->owned[an].reset();
    }
}

const rx_sa* secy::rx(sci_t sci, uint8_t an) const noexcept {
    const rx_sc* sc = find_sc(sci);
    return sc != nullptr && an < 4 ? sc->sa[an] : nullptr;
}

const rx_sc_counters* secy::rx_sc_stats(sci_t sci) const noexcept {
    const rx_sc* sc = find_sc(sci);
    return sc != nullptr ? &sc->counters : nullptr;
}

tx_sa_counters secy::tx_totals() const noexcept {
    tx_sa_counters t;
    for (const tx_sa* sa : _tx)
        if (sa != nullptr) {
            const tx_sa_counters c = sa->counters();
            t.out_pkts_protected += c.out_pkts_protected;
            t.out_pkts_encrypted += c.out_pkts_encrypted;
        }
    return t;
}

rx_sc_counters secy::rx_totals() const noexcept {
    rx_sc_counters t;
    for (size_t i = 0; i < _n_rx; ++i) {
        const auto& c = _rx[i].counters;
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

// ---- secy: data path ------------------------------------------------------------------

size_t secy::protect_burst(crypto::engine& e, std::span<frame> frames,
                           std::span<tx_status> status) noexcept {
    size_t n = std::min(frames.size(), status.size()), sent = 0;
    for (size_t i = 0; i < n; i += burst_max) {
        const size_t k = std::min(burst_max, n - i);
        sent += protect_chunk(e, frames.subspan(i, k), status.subspan(i, k));
    }
    return sent;
}

size_t secy::verify_burst(crypto::engine& e, std::span<frame> frames,
                          std::span<rx_status> status) noexcept {
    size_t n = std::min(frames.size(), status.size()), ok = 0;
    for (size_t i = 0; i < n; i += burst_max) {
        const size_t k = std::min(burst_max, n - i);
        ok += verify_chunk(e, frames.subspan(i, k), status.subspan(i, k));
    }
    return ok;
}

tx_status secy::protect(crypto::engine& e, frame& f) noexcept {
    tx_status s{};
    protect_burst(e, {&f, 1}, {&s, 1});
    return s;
}

rx_status secy::verify(crypto::engine& e, frame& f) noexcept {
    rx_status s{};
    verify_burst(e, {&f, 1}, {&s, 1});
    return s;
}

size_t secy::protect_chunk(crypto::engine& e, std::span<frame> frames,
                           std::span<tx_status> st) noexcept {
    const size_t n = frames.size();
    if (!_cfg.protect_frames || (_encoding == nullptr && _cfg.clear_without_sa)) {
        for (size_t i = 0; i < n; ++i)
            st[i] = tx_status::untagged;
        _counters.out_pkts_untagged += n;
        return n;
    }
    tx_sa* sa = _encoding;
    if (sa == nullptr) {
        for (size_t i = 0; i < n; ++i)
            st[i] = tx_status::drop_no_sa;
        _counters.out_pkts_no_sa += n;
        return 0;
    }
    const uint32_t taglen = _cfg.include_sci ? sectag_len_sci : sectag_len_no_sci;
    const uint32_t overhead = taglen + icv_len;

    // PNs for the whole chunk in one reservation, before anything is
    // written: a frame refused below leaves a gap in the PN sequence, which
    // 802.1AE allows (a PN is never handed out twice, and receivers only
    // require PNs to grow).
    uint64_t first = 0;
    const uint32_t got = sa->reserve(static_cast<uint32_t>(n), first);

    // What every frame of the chunk shares, built once: the SecTAG but SL
    // and PN, and the IV but the PN part.
    sectag t;
    t.sc = _cfg.include_sci;
    t.es = _cfg.use_es;
    t.scb = _cfg.use_scb;
    t.e = t.c = _cfg.confidentiality;
    t.an = sa->_an;
    t.sci = _cfg.sci;
    uint8_t tag_tmpl[sectag_len_sci]; // EtherType included
    write_sectag(tag_tmpl, t);
    const bool xpn = is_xpn(sa->_suite);
    uint32_t iv_head = 0; // octets 0-3 of the IV
    uint64_t iv_mid = 0;  // octets 4-11 (XPN: the salt's part the PN is XORed into)
    if (xpn) {
        uint32_t s0;
        std::memcpy(&s0, sa->_salt.data(), 4);
        std::memcpy(&iv_mid, sa->_salt.data() + 4, 8);
        iv_head = __builtin_bswap32(sa->_ssci) ^ s0;
    } else {
        const uint64_t sci_be = __builtin_bswap64(_cfg.sci);
        std::memcpy(&iv_head, &sci_be, 4);
        std::memcpy(&iv_mid, reinterpret_cast<const uint8_t*>(&sci_be) + 4, 4);
    }
    // f.len + overhead > max_frame_len, without the sum.
    const uint32_t max_len = _cfg.max_frame_len == 0       ? UINT32_MAX
                             : _cfg.max_frame_len > overhead ? _cfg.max_frame_len - overhead
                                                             : 0;
    const size_t hdr = mac_addrs_len + taglen;
    const crypto::gcm_key* key = sa->_key.get();

    auto& ops = _ops;
    auto& ivs = _ivs;
    std::array<uint8_t, burst_max> op_frame;
    size_t k = 0;
    uint32_t used = 0;
    for (size_t i = 0; i < n; ++i) {
        frame& f = frames[i];
        if (f.data == nullptr || f.len < mac_addrs_len + 2) [[unlikely]] {
            st[i] = tx_status::drop_runt;
            ++_counters.out_pkts_runt;
            continue;
        }
        if (f.headroom < taglen || f.tailroom < icv_len) [[unlikely]] {
            st[i] = tx_status::drop_no_room;
            ++_counters.out_pkts_no_room;
            continue;
        }
        if (f.len > max_len) [[unlikely]] {
            st[i] = tx_status::drop_too_long;
            ++_counters.out_pkts_too_long;
            continue;
        }
        if (used == got) [[unlikely]] {
            if (sa->exhausted()) {
                st[i] = tx_status::drop_pn_exhausted;
                ++_counters.out_pkts_pn_exhausted;
            } else { // held at pn_limit until control persists more
                st[i] = tx_status::drop_pn_unreserved;
                ++_counters.out_pkts_pn_unreserved;
            }
            continue;
        }
        st[i] = tx_status::protected_frame;
        const uint64_t pn = first + used++;
        const uint32_t secure_len = f.len - mac_addrs_len;
        uint8_t* d = f.data - taglen;
        move_mac_addrs(d, f.data);
        uint8_t* tp = d + mac_addrs_len;
        if (taglen == sectag_len_sci) // fixed-size copies, inlined
            std::memcpy(tp, tag_tmpl, sectag_len_sci);
        else
            std::memcpy(tp, tag_tmpl, sectag_len_no_sci);
        tp[3] = static_cast<uint8_t>(secure_len <= max_short_length ? secure_len : 0);
        store_be32(tp + 4, static_cast<uint32_t>(pn));
        f.data = d;
        f.headroom -= taglen;
        f.len += overhead;
        f.tailroom -= icv_len;

        uint8_t* iv = ivs[k].data();
        std::memcpy(iv, &iv_head, 4);
        if (xpn) {
            const uint64_t b = __builtin_bswap64(pn) ^ iv_mid;
            std::memcpy(iv + 4, &b, 8);
        } else {
            std::memcpy(iv + 4, &iv_mid, 4);
            const uint32_t b = __builtin_bswap32(static_cast<uint32_t>(pn));
            std::memcpy(iv + 8, &b, 4);
        }
        const size_t clear = _cfg.confidentiality
                                 ? std::min<size_t>(_cfg.confidentiality_offset, secure_len)
                                 : secure_len;
        auto& op = ops[k];
        op.key = key;
        op.iv = iv;
        op.aad = d;
        op.aad_len = hdr + clear;
        op.src = d + hdr + clear;
        op.dst = d + hdr + clear;
        op.len = secure_len - clear;
        op.tag = d + hdr + secure_len;
        op_frame[k] = static_cast<uint8_t>(i);
        ++k;
    }

    crypto::gcm_seal_burst(e, {ops.data(), k});
    size_t sent = 0;
    for (size_t j = 0; j < k; ++j) {
        const size_t i = op_frame[j];
        if (!ops[j].ok) {
            st[i] = tx_status::drop_crypto;
            ++_counters.out_pkts_crypto_error;
            continue;
        }
        ++sent;
    }
    if (sent != 0)
        (_cfg.confidentiality ? sa->_encrypted : sa->_protected).fetch_add(sent, std::memory_order_relaxed);
    return sent;
}

namespace {

// Removes SecTAG and ICV (and padding after the ICV): the frame becomes DA,
// SA and the secure data.
void strip(frame& f, size_t taglen, size_t secure_len) noexcept {
    uint8_t* d = f.data + taglen;
    move_mac_addrs(d, f.data);
    const uint32_t new_len = static_cast<uint32_t>(mac_addrs_len + secure_len);
    f.tailroom += f.len - static_cast<uint32_t>(taglen) - new_len;
    f.headroom += static_cast<uint32_t>(taglen);
    f.data = d;
    f.len = new_len;
}

// The frame nearly every peer sends: SecTAG with an SCI, no ES or SCB, V
// clear, SL 0 (secure data of 48 octets or more), encrypted or integrity
// only. Decoded from two loads instead of parse_frame's field by field
// checks; anything else (false) takes parse_frame, which decides alike.
inline bool parse_common(const frame& f, parsed_frame& pf) noexcept {
    constexpr size_t min_len = mac_addrs_len + sectag_len_sci + max_short_length + 1 + icv_len;
    if (f.data == nullptr || f.len < min_len)
        return false;
    const uint32_t w = load_be32(f.data + 12); // EtherType, TCI and AN, SL
    const uint32_t flags = (w >> 8) & 0xFC;
    if ((w >> 16) != macsec_ethertype || (w & 0xFF) != 0 ||
        (flags != (tci::sc | tci::e | tci::c) && flags != (tci::sc | tci::c) && flags != tci::sc))
        return false;
    sectag& t = pf.tag;
    t.es = false;
    t.sc = true;
    t.scb = false;
    t.e = (flags & tci::e) != 0;
    t.c = (flags & tci::c) != 0;
    t.an = static_cast<uint8_t>((w >> 8) & tci::an_mask);
    t.sl = 0;
    t.pn = load_be32(f.data + 16);
    t.sci = load_be64(f.data + 20);
    pf.secure_len = f.len - mac_addrs_len - sectag_len_sci - icv_len;
    return true;
}

} // namespace

size_t secy::verify_chunk(crypto::engine& e, std::span<frame> frames,
                          std::span<rx_status> st) noexcept {
    struct pending {
        rx_sc* sc;
        rx_sa* sa;
        uint64_t pn;
        uint32_t taglen;
        uint32_t secure_len;
        uint8_t frame;
        bool c;
    };
    auto& ops = _ops;
    auto& ivs = _ivs;
    std::array<pending, burst_max> pend;
    size_t k = 0, delivered_n = 0;
    const bool strict = _cfg.validate == validate_frames::strict;
    // The SecY's suite, or with any_suite the suite of the SA a frame uses.
    const bool cfg_xpn = is_xpn(_cfg.suite);
    rx_sc* last_sc = nullptr;

    for (size_t i = 0; i < frames.size(); ++i) {
        frame& f = frames[i];
        parsed_frame pf;
        const sectag_error err = parse_common(f, pf) ? sectag_error::none
                                 : f.data == nullptr ? sectag_error::too_short
                                                     : parse_frame({f.data, f.len}, pf);
        if (err == sectag_error::not_macsec) {
            if (strict) {
                st[i] = rx_status::drop_no_tag;
                ++_counters.in_pkts_no_tag;
            } else {
                st[i] = rx_status::delivered_untagged;
                ++_counters.in_pkts_untagged;
                ++delivered_n;
            }
            continue;
        }
        if (err != sectag_error::none || (!_cfg.any_suite && !cfg_xpn && pf.tag.pn == 0)) {
            st[i] = rx_status::drop_bad_tag;
            ++_counters.in_pkts_bad_tag;
            continue;
        }
        const sectag& t = pf.tag;
        rx_sc* sc = nullptr;
        if (t.sc) {
            // A burst comes from one peer, mostly: its SC is looked up once.
            if (last_sc == nullptr || last_sc->sci != t.sci)
                last_sc = find_sc(t.sci);
            sc = last_sc;
        }
        else if (t.es) {
            mac_addr src;
            std::memcpy(src.bytes.data(), f.data + 6, 6);
            sc = find_sc(make_sci(src, es_port_id));
        } else if (_n_rx == 1)
            sc = &_rx[0]; // point to point: the one peer
        if (sc == nullptr) {
            if (strict || t.c) {
                st[i] = rx_status::drop_no_sci;
                ++_counters.in_pkts_no_sci;
            } else {
                strip(f, t.size(), pf.secure_len);
                st[i] = rx_status::delivered_unknown_sci;
                ++_counters.in_pkts_unknown_sci;
                ++delivered_n;
            }
            continue;
        }
        rx_sa* sa = sc->sa[t.an];
        if (sa == nullptr) {
            if (strict || t.c) {
                st[i] = rx_status::drop_not_using_sa;
                ++sc->counters.in_pkts_not_using_sa;
            } else {
                strip(f, t.size(), pf.secure_len);
                st[i] = rx_status::delivered_unused_sa;
                ++sc->counters.in_pkts_unused_sa;
                ++delivered_n;
            }
            continue;
        }
        const bool xpn = is_xpn(sa->_suite);
        if (!xpn && t.pn == 0) { // with any_suite: known only now
            st[i] = rx_status::drop_bad_tag;
            ++_counters.in_pkts_bad_tag;
            continue;
        }
        const uint64_t pn = xpn ? recover_xpn(sa->_replay.lowest_pn(), t.pn) : t.pn;
        if (sa->_replay.check(pn, _cfg.replay_protect) != replay_verdict::ok) {
            st[i] = rx_status::drop_late;
            ++sc->counters.in_pkts_late;
            sa->count_late();
            continue;
        }
        if (_cfg.validate == validate_frames::disabled && !t.c) {
            strip(f, t.size(), pf.secure_len);
            st[i] = rx_status::delivered_unchecked;
            ++sc->counters.in_pkts_unchecked;
            ++delivered_n;
            continue;
        }
        auto& iv = ivs[k];
        if (xpn)
            make_xpn_iv(iv.data(), sa->_ssci, sa->_salt, pn);
        else
            make_iv(iv.data(), sc->sci, t.pn);
        const size_t hdr = mac_addrs_len + t.size();
        const size_t clear =
            t.e ? std::min<size_t>(_cfg.confidentiality_offset, pf.secure_len) : pf.secure_len;
        auto& op = ops[k];
        op.key = sa->_key.get();
        op.iv = iv.data();
        op.aad = f.data;
        op.aad_len = hdr + clear;
        op.src = f.data + hdr + clear;
        op.dst = f.data + hdr + clear;
        op.len = pf.secure_len - clear;
        op.tag = f.data + hdr + pf.secure_len;
        pend[k] = pending{sc, sa, pn, static_cast<uint32_t>(t.size()),
                          static_cast<uint32_t>(pf.secure_len), static_cast<uint8_t>(i), t.c};
        ++k;
    }

    crypto::gcm_open_burst(e, {ops.data(), k});

    // In frame order, so that a replay later in the same burst is caught.
    rx_sa* publish = nullptr;
    for (size_t j = 0; j < k; ++j) {
        const pending& p = pend[j];
        frame& f = frames[p.frame];
        if (!ops[j].ok) {
            if (strict || p.c) {
                st[p.frame] = rx_status::drop_not_valid;
                ++p.sa->_counters.in_pkts_not_valid;
                ++p.sc->counters.in_pkts_not_valid;
            } else {
                strip(f, p.taglen, p.secure_len);
                st[p.frame] = rx_status::delivered_invalid;
                ++p.sa->_counters.in_pkts_invalid;
                ++p.sc->counters.in_pkts_invalid;
                ++delivered_n;
            }
            continue;
        }
        if (p.sa->_replay.check(p.pn, _cfg.replay_protect) != replay_verdict::ok) {
            st[p.frame] = rx_status::drop_late;
            ++p.sc->counters.in_pkts_late;
            p.sa->count_late();
            continue;
        }
        if (p.pn < p.sa->_replay.next_pn()) {
            ++p.sc->counters.in_pkts_delayed;
        } else {
            ++p.sc->counters.in_pkts_ok;
            ++p.sa->_counters.in_pkts_ok;
        }
        p.sa->_replay.accept(p.pn);
        // The lowest acceptable PN is published once per SA and burst.
        if (p.sa != publish) {
            if (publish != nullptr)
                publish->publish_lowest();
            publish = p.sa;
        }
        strip(f, p.taglen, p.secure_len);
        st[p.frame] = rx_status::ok;
        ++delivered_n;
    }
    if (publish != nullptr)
        publish->publish_lowest();
    return delivered_n;
}

} // namespace lag::macsec
