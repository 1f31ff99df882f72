#pragma once
// The SecY of one member port (IEEE 802.1AE-2018 clause 10): one transmit SC
// with up to four SAs, receive SCs (one per peer SCI) with up to four SAs
// each, the management counters of clause 10.7, and protect/verify of whole
// Ethernet frames in place. Internal to lib/macsec: include
// "macsec/macsec.hpp".
//
// Threading: SAs and SCs are installed on the control path (they allocate).
// protect_burst/verify_burst run on one worker (a SecY keeps per-burst
// scratch, so one thread drives it at a time); they allocate nothing, throw
// nothing, and make one pass of ipsec-mb GCM calls per burst. The transmit
// PN is an atomic counter reserved a burst at a time, so a PN is never used
// twice even if several workers share a transmit SA; receive state (replay
// window, counters) has one writer.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "common/cipher_suite.hpp"
#include "common/result.hpp"
#include "common/secret.hpp"
#include "crypto/crypto.hpp"
#include "macsec/replay.hpp"
#include "macsec/sectag.hpp"

namespace lag::macsec {

enum class validate_frames : uint8_t { disabled, check, strict };

constexpr std::string_view to_string(validate_frames v) {
    switch (v) {
    case validate_frames::disabled: return "disabled";
    case validate_frames::check: return "check";
    case validate_frames::strict: return "strict";
    }
    return "?";
}

inline constexpr uint32_t max_pn_32 = 0xFFFFFFFFu;
inline constexpr uint64_t max_pn_64 = UINT64_MAX - 1; // UINT64_MAX is never sent

// What an SA is made of (what MKA or static keying hands over).
struct sa_params {
    cipher_suite suite = cipher_suite::gcm_aes_128;
    secret<32> key;                 // 16 or 32 bytes, as the suite says
    uint32_t ssci = 0;              // XPN only
    std::array<uint8_t, 12> salt{}; // XPN only
    uint64_t next_pn = 1;           // tx: first PN to send; rx: lowest expected
};

struct tx_sa_counters {
    uint64_t out_pkts_protected = 0;
    uint64_t out_pkts_encrypted = 0;
};

class tx_sa {
public:
    // pn_threshold: next_pn at or above which near_exhaustion() turns true
    // (0 picks 3/4 of the PN space, as wpa_supplicant does).
    static result<std::unique_ptr<tx_sa>> create(crypto::engine& e, uint8_t an, const sa_params& p,
                                                 uint64_t pn_threshold = 0);

    uint8_t an() const noexcept { return _an; }
    cipher_suite suite() const noexcept { return _suite; }
    uint64_t next_pn() const noexcept { return _next_pn.load(std::memory_order_relaxed); }
    uint64_t max_pn() const noexcept { return _max_pn; }
    // The highest PN this SA may send now (at most max_pn; max_pn unless
    // set): static keys raise it once the next chunk of PNs is persisted
    // (macsec::pn_store), so a restart never reuses a PN. Frames past it are
    // dropped as drop_pn_unreserved. One relaxed load per reservation.
    uint64_t pn_limit() const noexcept { return _limit.load(std::memory_order_relaxed); }
    void set_pn_limit(uint64_t limit) noexcept {
        _limit.store(limit < _max_pn ? limit : _max_pn, std::memory_order_relaxed);
    }
    // Time for MKA to distribute a new SAK.
    bool near_exhaustion() const noexcept { return next_pn() >= _threshold; }
    // No PN left: this SA sends nothing more.
    bool exhausted() const noexcept { return next_pn() > _max_pn; }
    // A copy: several workers may add to a shared SA's counters.
    tx_sa_counters counters() const noexcept {
        return {_protected.load(std::memory_order_relaxed), _encrypted.load(std::memory_order_relaxed)};
    }

    // Reserves up to n consecutive PNs, none past pn_limit(); returns how
    // many (0 once exhausted or held at the limit) and the first in
    // `first`. A PN is handed out at most once.
    uint32_t reserve(uint32_t n, uint64_t& first) noexcept;

private:
    friend class secy;
    tx_sa() = default;
    uint8_t _an = 0;
    cipher_suite _suite{};
    std::unique_ptr<crypto::gcm_key> _key;
    uint32_t _ssci = 0;
    std::array<uint8_t, 12> _salt{};
    uint64_t _max_pn = max_pn_32;
    uint64_t _threshold = 0;
    std::atomic<uint64_t> _next_pn{1};
    std::atomic<uint64_t> _limit{max_pn_32};
    // Added once per burst (an SA may be shared by several workers' SecYs).
    std::atomic<uint64_t> _protected{0};
    std::atomic<uint64_t> _encrypted{0};
};

struct rx_sa_counters {
    uint64_t in_pkts_ok = 0;
    uint64_t in_pkts_invalid = 0;   // check mode, integrity only: failed, delivered
    uint64_t in_pkts_not_valid = 0; // failed, dropped
};

class rx_sa {
public:
    static result<std::unique_ptr<rx_sa>> create(crypto::engine& e, uint8_t an, const sa_params& p);

    uint8_t an() const noexcept { return _an; }
    cipher_suite suite() const noexcept { return _suite; }
    const replay_window& replay() const noexcept { return _replay; }
    const rx_sa_counters& counters() const noexcept { return _counters; }
    // The lowest PN this SA still accepts (802.1AE RxLowestPN: next PN less
    // the replay window, at least 1), as the worker that owns the SA last
    // published it: safe to read from the control core while it runs. MKA
    // reports it in SAK Use as the key's Lowest Acceptable PN.
    uint64_t lowest_acceptable_pn() const noexcept { return _lowest_pub.load(std::memory_order_relaxed); }
    // Frames of this SA dropped as late (a PN below lowest_acceptable_pn, or
    // one seen), published the same way: a peer that restarted its transmit
    // SA under the same key shows here while lowest_acceptable_pn stands.
    uint64_t late_count() const noexcept { return _late_pub.load(std::memory_order_relaxed); }

private:
    friend class secy;
    rx_sa() = default;
    uint8_t _an = 0;
    cipher_suite _suite{};
    std::unique_ptr<crypto::gcm_key> _key;
    uint32_t _ssci = 0;
    std::array<uint8_t, 12> _salt{};
    replay_window _replay;
    rx_sa_counters _counters;
    std::atomic<uint64_t> _lowest_pub{1}; // written by the owning worker only
    std::atomic<uint64_t> _late_pub{0};   // likewise
    void publish_lowest() noexcept {
        const uint64_t l = _replay.lowest_pn();
        _lowest_pub.store(l > 0 ? l : 1, std::memory_order_relaxed);
    }
    void count_late() noexcept { _late_pub.store(_late_pub.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
};

struct rx_sc_counters {
    uint64_t in_pkts_ok = 0;
    uint64_t in_pkts_unchecked = 0;
    uint64_t in_pkts_delayed = 0;
    uint64_t in_pkts_late = 0;
    uint64_t in_pkts_invalid = 0;
    uint64_t in_pkts_not_valid = 0;
    uint64_t in_pkts_not_using_sa = 0; // no usable SA for the AN, dropped
    uint64_t in_pkts_unused_sa = 0;    // no usable SA for the AN, delivered (not strict, C clear)
};

struct secy_counters {
    uint64_t out_pkts_untagged = 0;    // protect_frames off: sent in the clear
    uint64_t out_pkts_too_long = 0;
    uint64_t out_pkts_no_sa = 0;       // no transmit SA in use: dropped (not in 802.1AE's MIB)
    uint64_t out_pkts_pn_exhausted = 0; // SA out of PNs: dropped (not in 802.1AE's MIB)
    uint64_t out_pkts_pn_unreserved = 0; // past the SA's pn_limit (PNs not yet persisted): dropped
    uint64_t out_pkts_no_room = 0;     // caller gave too little head/tailroom
    uint64_t out_pkts_runt = 0;        // shorter than DA + SA + EtherType
    uint64_t out_pkts_crypto_error = 0;
    uint64_t in_pkts_untagged = 0;
    uint64_t in_pkts_no_tag = 0;
    uint64_t in_pkts_bad_tag = 0;
    uint64_t in_pkts_unknown_sci = 0;
    uint64_t in_pkts_no_sci = 0;
    uint64_t in_pkts_overrun = 0;      // kept for the MIB; this implementation never overruns
};

struct secy_config {
    sci_t sci = 0;                   // this SecY's transmit SCI
    cipher_suite suite = cipher_suite::gcm_aes_128;
    // MKA: the key server picks the suite, so SAs of any suite are accepted
    // and each frame is verified with its SA's (XPN or not). Static keying
    // keeps one suite: an SA of another is refused.
    bool any_suite = false;
    bool protect_frames = true;
    // MKA should_encrypt: while no transmit SA is in use, send in the clear
    // (counted untagged) instead of dropping.
    bool clear_without_sa = false;
    bool confidentiality = true;     // false: integrity only (E = C = 0)
    uint8_t confidentiality_offset = 0; // 0, 30 or 50
    bool include_sci = true;         // SC bit
    bool use_es = false;             // ES bit (only without SCI; SCI = source MAC, port 1)
    bool use_scb = false;            // SCB bit (only without SCI)
    validate_frames validate = validate_frames::strict;
    bool replay_protect = true;
    uint32_t replay_window = 0;
    size_t max_frame_len = 0;        // protected frame, without FCS; 0 = no limit
    // Where the member's slow protocols (0x8809: LACPDUs, Marker PDUs) go:
    // true, on this SecY's controlled port (802.1AX above 802.1AE, as Linux's
    // bond over macsec: protected like data, only EAPOL in the clear); false,
    // beside the SecY in the clear (Juniper's `exclude-protocol lacp`).
    // lib/macsec does not act on it: the data path and the control core that
    // carry LACP do (verify before the punt; protect what control sends).
    bool protect_slow_protocols = true;
};

// A frame in a caller's buffer: `data` points at the destination MAC, with
// `headroom` writable octets before it and `tailroom` after data + len.
// protect needs headroom >= 16 (8 without SCI) and tailroom >= 16.
struct frame {
    uint8_t* data = nullptr;
    uint32_t len = 0;
    uint32_t headroom = 0;
    uint32_t tailroom = 0;
};

enum class tx_status : uint8_t {
    protected_frame, // SecTAG and ICV added (encrypted or integrity only)
    untagged,        // protect_frames off: unchanged, send in the clear
    drop_no_sa,
    drop_pn_exhausted,
    drop_too_long,
    drop_no_room,
    drop_runt,       // shorter than DA + SA + EtherType
    drop_crypto,
    drop_pn_unreserved, // past the SA's pn_limit: its next PNs are not yet persisted
};

enum class rx_status : uint8_t {
    ok,              // verified (and decrypted); SecTAG and ICV stripped
    delivered_untagged,    // no SecTAG, not strict: unchanged
    delivered_unchecked,   // validation disabled, C clear: stripped unverified
    delivered_invalid,     // check mode, integrity only, ICV bad: stripped
    delivered_unknown_sci, // not strict, C clear, unknown SCI: stripped unverified
    delivered_unused_sa,   // not strict, C clear, no SA for the AN: stripped unverified
    drop_no_tag,
    drop_bad_tag,
    drop_no_sci,
    drop_not_using_sa,
    drop_late,
    drop_not_valid,
};

constexpr bool delivered(rx_status s) noexcept {
    return s == rx_status::ok || s == rx_status::delivered_untagged ||
           s == rx_status::delivered_unchecked || s == rx_status::delivered_invalid ||
           s == rx_status::delivered_unknown_sci || s == rx_status::delivered_unused_sa;
}
constexpr bool sent(tx_status s) noexcept {
    return s == tx_status::protected_frame || s == tx_status::untagged;
}

class secy {
public:
    static constexpr size_t max_rx_sc = 8;
    static constexpr size_t burst_max = 64; // frames per ipsec-mb pass

    // Fails on an inconsistent config (offset not 0/30/50, ES or SCB with SCI).
    static result<std::unique_ptr<secy>> create(const secy_config& c);

    const secy_config& config() const noexcept { return _cfg; }

    // ---- control path -------------------------------------------------------
    // Installs (or replaces) the transmit SA for its AN; the SA's suite must be
    // the SecY's.
    result<void> install_tx_sa(std::unique_ptr<tx_sa> sa);
    // The SA protect uses (802.1AE encodingSA). Fails if none installed at an.
    result<void> set_encoding_sa(uint8_t an);
    void retire_tx_sa(uint8_t an) noexcept;
    const tx_sa* tx(uint8_t an) const noexcept { return an < 4 ? _tx[an] : nullptr; }
    const tx_sa* encoding_sa() const noexcept { return _encoding; }

    result<void> add_rx_sc(sci_t sci);
    result<void> install_rx_sa(sci_t sci, std::unique_ptr<rx_sa> sa);
    void retire_rx_sa(sci_t sci, uint8_t an) noexcept;
    const rx_sa* rx(sci_t sci, uint8_t an) const noexcept;
    const rx_sc_counters* rx_sc_stats(sci_t sci) const noexcept;

    // ---- SAs owned elsewhere (the data plane) ---------------------------------------
    // For a SecY a worker drives: the control core owns the SAs and keeps
    // them alive (and their keys unwiped) until every worker is quiescent
    // past their detachment; the worker switches pointers between bursts.
    // No allocation, no lock. A SecY uses either these or the owning calls
    // above, not both. The receive SCs must all exist (add_rx_sc) before the
    // SecY is handed to the worker, or be opened later in order
    // (open_rx_sc). A transmit SA may be attached to several
    // SecYs (its PN counter is atomic); a receive SA to one only (its replay
    // window has one writer).
    // False if the SA's suite is not the SecY's.
    bool attach_tx_sa(tx_sa* sa) noexcept;
    void detach_tx_sa(uint8_t an) noexcept;
    // False if no SA is attached at an (the encoding SA is then none).
    bool use_encoding_sa(uint8_t an) noexcept;
    // sc_index: the SC's position in add_rx_sc order. Sets the SA's replay
    // window to the SecY's. False if the SC or suite does not match.
    bool attach_rx_sa(size_t sc_index, rx_sa* sa) noexcept;
    void detach_rx_sa(size_t sc_index, uint8_t an) noexcept;
    // A receive SC learnt after the SecY went to the worker (MKA hears a new
    // peer): appended at sc_index, which must be rx_sc_count(). No
    // allocation: the SC slots are part of the SecY. False if full, out of
    // order or the SCI is already there.
    bool open_rx_sc(size_t sc_index, sci_t sci) noexcept;
    // The confidentiality offset from now on (MKA: the key server's, with its
    // SAK). False (nothing changed) unless 0, 30 or 50.
    bool set_confidentiality_offset(uint8_t octets) noexcept;
    // The frame policy from now on (MKA's encryption mode at run time):
    // confidentiality or integrity only, untagged sending while no transmit
    // SA is in use, validateFrames. SAs and receive SCs stay.
    void set_policy(bool confidentiality, bool clear_without_sa, validate_frames v) noexcept;
    size_t rx_sc_count() const noexcept { return _n_rx; }

    const secy_counters& counters() const noexcept { return _counters; }
    // Sums over every transmit SA / receive SC.
    tx_sa_counters tx_totals() const noexcept;
    rx_sc_counters rx_totals() const noexcept;

    // ---- data path --------------------------------------------------------------
    // Protects frames in place; status[i] says what happened to frames[i].
    // Returns the number to send (protected or untagged).
    size_t protect_burst(crypto::engine& e, std::span<frame> frames,
                         std::span<tx_status> status) noexcept;
    // Verifies, decrypts and strips in place. Returns the number delivered.
    size_t verify_burst(crypto::engine& e, std::span<frame> frames,
                        std::span<rx_status> status) noexcept;

    tx_status protect(crypto::engine& e, frame& f) noexcept;
    rx_status verify(crypto::engine& e, frame& f) noexcept;

private:
    struct rx_sc {
        sci_t sci = 0;
        std::array<rx_sa*, 4> sa{};                  // in use (owned here or elsewhere)
        std::array<std::unique_ptr<rx_sa>, 4> owned; // installed by install_rx_sa
        rx_sc_counters counters;
    };
    explicit secy(const secy_config& c) : _cfg(c) {}
    rx_sc* find_sc(sci_t sci) noexcept;
    const rx_sc* find_sc(sci_t sci) const noexcept;
    size_t protect_chunk(crypto::engine& e, std::span<frame> frames, std::span<tx_status> st) noexcept;
    size_t verify_chunk(crypto::engine& e, std::span<frame> frames, std::span<rx_status> st) noexcept;

    secy_config _cfg;
    // Per-burst scratch, reused so a burst initialises nothing it does not use
    // (a SecY is driven by one worker at a time).
    std::array<crypto::gcm_op, burst_max> _ops;
    std::array<std::array<uint8_t, crypto::gcm_iv_len>, burst_max> _ivs;
    std::array<tx_sa*, 4> _tx{};                  // in use (owned here or elsewhere)
    std::array<std::unique_ptr<tx_sa>, 4> _tx_owned; // installed by install_tx_sa
    tx_sa* _encoding = nullptr;
    std::array<rx_sc, max_rx_sc> _rx;
    size_t _n_rx = 0;
    secy_counters _counters;
};

// GCM IVs (802.1AE-2018 14.5, 14.6; 802.1AEbw): SCI || PN32 for GCM-AES,
// (SSCI || PN64) XOR salt for the XPN suites.
void make_iv(uint8_t iv[12], sci_t sci, uint32_t pn) noexcept;
void make_xpn_iv(uint8_t iv[12], uint32_t ssci, const std::array<uint8_t, 12>& salt, uint64_t pn) noexcept;

} // namespace lag::macsec
