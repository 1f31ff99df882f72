#pragma once
// lib/mka internal: one MKA participant (802.1X-2020 clause 9) on one port,
// keyed by a pre-shared CAK/CKN. Pure: frames and `now` in, actions out; it
// never reads a clock and does no I/O. Not for direct inclusion: include
// "mka/mka.hpp".
//
//   participant p = *participant::create(cfg, crypto, now);
//   actions a = p.tick(now);            // hello timer, peer expiry
//   actions b = p.on_mkpdu(frame, now); // a received EAPOL-MKA frame
//   for (auto& x : a.list) ...          // send frames, install SAs, ...

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "common/cipher_suite.hpp"
#include "common/result.hpp"
#include "common/time.hpp"
#include "mka/keys.hpp"
#include "mka/mkpdu.hpp"
#include "mka/types.hpp"

namespace lag::mka {

struct participant_config {
    mac_addr mac{};               // this port's address: SA of MKPDUs and the SCI
    uint16_t port_id = 1;         // SCI port identifier
    std::vector<uint8_t> ckn;     // 1..32 octets
    key_secret cak;               // 16 or 32 octets
    uint8_t key_server_priority = 16; // lower wins; 0xFF: never key server
    // Suites this participant accepts, most preferred first. As key server it
    // distributes the first one every live peer announced. A peer that sends
    // no Announcement (wpa_supplicant, which yet accepts GCM-AES-256) is
    // taken to implement every suite its MKA version can carry: the non-XPN
    // ones below version 3, all from version 3 on.
    std::vector<cipher_suite> cipher_suites{cipher_suite::gcm_aes_128};
    confidentiality_offset offset = confidentiality_offset::offset_0; // as key server
    mac_addr group_address = pae_group_address;
    duration hello_time = mka_hello_time;
    duration life_time = mka_life_time;
    // Rotate the SAK when a transmit PN reaches this (non-XPN suites; 802.1X
    // suggests rekeying well before 2^32). XPN suites use xpn_pn_threshold.
    uint64_t pn_threshold = 0xC0000000ull;
    uint64_t xpn_pn_threshold = 0xC000000000000000ull;
    // Live and potential peers kept at most (a member link has one partner;
    // the bound keeps a misbehaving CAK holder from growing the table).
    size_t max_peers = 16;
    // AN of the first SAK this participant distributes as key server: a CAK
    // change starts past the AN the previous CA's SAK still uses.
    uint8_t first_an = 0;
    // As key server, distribute a new SAK this long after the latest one
    // was installed (the operator's SAK rekey interval; zero: only on PN
    // exhaustion, membership or suite changes and requests).
    duration rekey_interval{0};
};

// ---- actions --------------------------------------------------------------

struct send_mkpdu {
    bytes frame; // a whole Ethernet frame, ready for TX on this port
};

// Everything a SecY needs to build an SA. The SAK is a copy that wipes itself.
struct sa_key {
    key_identifier ki{};
    uint8_t an = 0;
    cipher_suite suite = cipher_suite::gcm_aes_128;
    key_secret sak;
    std::array<uint8_t, 12> salt{}; // XPN only (802.1AE 10.7.8), else zero
    confidentiality_offset offset = confidentiality_offset::offset_0;
};

struct install_rx_sa {
    sci peer{};
    uint32_t ssci = 0; // the peer's SSCI (XPN)
    uint64_t lowest_pn = 1;
    sa_key key;
};
struct install_tx_sa { // created, not yet used for transmission
    uint32_t ssci = 0;
    uint64_t next_pn = 1;
    sa_key key;
};
struct enable_tx_sa { // transmit with this SA from now on
    key_identifier ki{};
    uint8_t an = 0;
};
struct retire_sa { // delete every SA (tx and rx) of this key
    key_identifier ki{};
    uint8_t an = 0;
};
struct secured_changed {
    bool secured = false;
};
struct peer_changed {
    member_id mi{};
    sci peer{};
    bool live = false; // true: became live; false: left (expired or replaced)
};
struct key_server_changed {
    bool we_are_key_server = false;
    sci key_server{};
};

using action = std::variant<send_mkpdu, install_rx_sa, install_tx_sa, enable_tx_sa, retire_sa,
                            secured_changed, peer_changed, key_server_changed>;

struct actions {
    std::vector<action> list;
    std::optional<drop_reason> dropped; // on_mkpdu: why the frame was refused

    // Another call's actions after these, in order (its drop reason stays
    // with it: only on_mkpdu sets one).
    void append(actions&& more) {
        for (auto& x : more.list)
            list.push_back(std::move(x));
    }

    template <typename T>
    std::vector<const T*> all() const {
        std::vector<const T*> v;
        for (const auto& a : list)
            if (auto p = std::get_if<T>(&a))
                v.push_back(p);
        return v;
    }
};

struct participant_counters {
    uint64_t mkpdus_sent = 0;
    uint64_t mkpdus_accepted = 0;
    uint64_t saks_generated = 0;
    uint64_t saks_installed = 0;
    uint64_t interval_rekeys = 0; // SAKs distributed because rekey_interval ran out
    std::array<uint64_t, drop_reason_count> dropped{};
    uint64_t drops(drop_reason r) const { return dropped[static_cast<size_t>(r)]; }
    uint64_t total_drops() const;
};

struct peer_status {
    member_id mi{};
    sci peer{};
    uint32_t mn = 0;
    bool live = false;
    uint8_t key_server_priority = 0;
    time_point expires{};
    // Its last SAK Use's Lowest Acceptable PN for our latest key (64 bits
    // with the XPN set), when that names our latest key: where our transmit
    // PN must stay at or above for its receive SA.
    std::optional<uint64_t> lowest_acceptable_pn;
};

class participant {
public:
    // Derives ICK/KEK, draws the MI; fails on a bad CAK/CKN or crypto failure.
    static result<participant> create(participant_config cfg, crypto_provider& c, time_point now);

    actions on_mkpdu(std::span<const uint8_t> frame, time_point now);
    actions tick(time_point now);
    // The data path reports the next PN of the transmit SA in use (often,
    // and on every poll once near exhaustion); crossing the threshold makes
    // the key server distribute a new SAK (or, on a non-key server, reports
    // it in SAK Use so the key server rotates).
    actions report_tx_pn(uint64_t next_pn, time_point now);
    // The data path reports the lowest PN its receive SAs at `an` accept
    // (802.1AE RxLowestPN, the highest over the member's peers and workers).
    // It only grows; an AN that is not the latest or old key's receive AN is
    // ignored. As key server, a latest key's receive PN at the threshold (a
    // peer's transmit PN near exhaustion) distributes a new SAK.
    //
    // SAK Use's Lowest Acceptable PN of a key is the higher of the two.
    // 802.1X has the transmitter's PN there (delay protection, XPN's PN
    // recovery); wpa_supplicant puts its receive SAs' lowest PN there, and
    // its newer versions (not 2.10, which starts at 1) start a transmit SA
    // they put back under the same key at the peer's value. The higher of
    // both serves either reading: such an SA does not start at a PN we would
    // drop as a replay, and nothing is below our transmit PN. Delay Protect
    // is never claimed.
    actions report_rx_pn(uint8_t an, uint64_t lowest_pn, time_point now);
    // As key server of a live session: distribute a new SAK now (an operator's
    // rekey). Nothing on a participant that is not the key server.
    actions rekey(time_point now);
    // A new SAK, wherever the key server is: rekey() on the key server;
    // elsewhere the latest key's Lowest Acceptable PN in SAK Use goes past the
    // PN exhaustion threshold, at once, which is the one way 802.1X gives a
    // participant to make the key server rotate (lib/mka's key server and
    // wpa_supplicant's "Peer LPN exhaustion" both do). Nothing without a
    // latest key or live peers.
    actions request_new_sak(time_point now);
    // The confidentiality offset this participant distributes as key server
    // (none: integrity only), e.g. when the LAG's encryption mode changes.
    // An offset travels with its SAK (802.1X 11.11.3), so a key server whose
    // latest SAK carries another one distributes a new SAK with it now;
    // elsewhere it takes effect with the next SAK this participant makes.
    actions set_offset(confidentiality_offset o, time_point now);
    confidentiality_offset offset() const { return _cfg.offset; }
    // The SAK rekey interval (zero: off), e.g. `set lag NAME macsec
    // rekey-interval N`. Measured from the latest SAK's installation, so a
    // shorter interval than the latest key's age rotates at the next tick.
    void set_rekey_interval(duration d) { _cfg.rekey_interval = d; }
    // ANs (bit n: AN n) that other CAs on this port hold (key_chain): as key
    // server, a new SAK goes past them where another AN is free.
    void set_reserved_ans(uint8_t mask) noexcept { _reserved_ans = static_cast<uint8_t>(mask & 0xF); }
    duration rekey_interval() const { return _cfg.rekey_interval; }

    // -- state, for status displays and tests (no key material) --
    const member_id& mi() const { return _mi; }
    // The CAK Name this participant runs with (public: it is in every MKPDU).
    const mka::ckn& ckn() const noexcept { return _ckn; }
    uint32_t mn() const { return _mn; }
    sci own_sci() const { return _sci; }
    bool secured() const { return _secured; }
    // Every live peer transmits with a key this participant receives with
    // (by its SAK Use): from here on its frames are all protected.
    bool peers_protect() const;
    bool is_key_server() const { return _ks_is_self && has_live_peers(); }
    std::optional<sci> key_server() const;
    std::optional<key_identifier> latest_key() const;
    std::optional<cipher_suite> suite_in_use() const;
    std::optional<uint8_t> latest_an() const;
    // When the latest SAK was installed here (distributed, as key server, or
    // received): the time since the last rekey is `now` minus this.
    std::optional<time_point> latest_key_installed() const;
    uint8_t key_server_priority() const { return _cfg.key_server_priority; }
    std::vector<peer_status> peers() const;
    size_t live_peer_count() const;
    bool has_live_peers() const { return live_peer_count() > 0; }
    const participant_counters& counters() const { return _counters; }

private:
    struct peer {
        member_id mi{};
        uint32_t mn = 0;
        sci peer_sci{};
        bool live = false;
        uint8_t priority = 0;
        bool claims_key_server = false;
        uint8_t version = mka_version; // of its Basic Parameter Set
        std::vector<cipher_suite> suites; // announced (implemented subset)
        bool announced = false;
        time_point expires{};
        std::optional<sak_use> last_sak_use;
        uint32_t llpn_msb = 0; // XPN set
    };
    struct key_slot {
        key_identifier ki{};
        uint8_t an = 0;
        cipher_suite suite = cipher_suite::gcm_aes_128;
        confidentiality_offset offset = confidentiality_offset::offset_0;
        key_secret sak;
        std::array<uint8_t, 12> salt{};
        bool rx = false;
        bool tx = false;
        uint64_t tx_next_pn = 1;
        time_point installed{}; // install_key's `now`
        bool pn_reported = false; // report_tx_pn crossed the threshold (non key server)
        uint64_t rx_lowest_pn = 1;   // report_rx_pn
        bool rx_pn_reported = false; // report_rx_pn crossed the threshold
        bool new_sak_asked = false;  // request_new_sak (non key server)
        std::vector<member_id> members; // live peers when it was distributed (key server)
        std::vector<sci> rx_peers;      // peers it has a receive SA for
    };

    participant(participant_config cfg, crypto_provider& c, derived_keys k);

    void drop(actions& out, drop_reason r);
    bool new_mi();
    void process(const decoded_frame& f, time_point now, actions& out);
    void update_liveness(const mkpdu& pdu, peer& p, time_point now, actions& out);
    void elect(actions& out);
    void key_server_duties(time_point now, actions& out);
    void handle_distributed_sak(const peer& from, const distributed_sak& d, time_point now, actions& out);
    void handle_sak_use(actions& out);
    void install_key(key_slot&& k, time_point now, actions& out);
    bool rekey_interval_due(time_point now) const;
    void install_rx(key_slot& k, const peer& p, actions& out);
    void retire_old(actions& out);
    void retire_all(actions& out);
    void update_secured(actions& out);
    void send(time_point now, actions& out);
    std::optional<cipher_suite> choose_suite() const;
    uint32_t ssci_of(const sci& s) const;
    std::array<uint8_t, 12> make_salt(const key_identifier& ki) const;
    uint32_t mn_floor(time_point now) const;
    peer* find_peer(const member_id& mi);
    bool uses_xpn() const { return _latest && is_xpn(_latest->suite); }
    uint64_t pn_threshold_of(const key_slot& k) const {
        return is_xpn(k.suite) ? _cfg.xpn_pn_threshold : _cfg.pn_threshold;
    }
    static uint64_t lowest_acceptable_pn(const key_slot& k);

    participant_config _cfg;
    crypto_provider* _crypto;
    derived_keys _keys;
    mka::ckn _ckn;
    sci _sci;
    member_id _mi{};
    uint32_t _mn = 0;
    std::deque<std::pair<time_point, uint32_t>> _sent; // (when, MN) in the last life time
    std::vector<peer> _peers;
    bool _ks_is_self = false;
    std::optional<member_id> _ks_mi;
    sci _ks_sci{};
    uint32_t _next_kn = 1;
    uint8_t _next_an = 0; // as key server, across sessions (wpa_supplicant's dist_an)
    std::optional<key_slot> _latest;
    std::optional<key_slot> _old;
    bool _distributing = false;
    bool _rekey_requested = false;
    bool _secured = false;
    // The last live peer expired: its keys stay installed until then (or
    // until it comes back with them), since the peer may not have expired us.
    std::optional<time_point> _keys_kept_until;
    std::vector<member_id> _kept_for; // the MIs of the peers that expired then
    bool _new_info = true;
    time_point _next_hello{};
    bool _started = false;
    uint8_t _reserved_ans = 0;
    participant_counters _counters;
};

} // namespace lag::mka
