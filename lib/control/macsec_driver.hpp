#pragma once
// MACsec (IEEE 802.1AE) on the workers, driven from the control core.
//
// For each member port the driver owns one macsec::secy per worker (a SecY
// keeps per-burst scratch and receive state with one writer), one transmit
// SA per AN shared by every worker's SecY (its PN counter is atomic, so a PN
// is never handed out twice), and one receive SA per worker for each (peer
// SCI, AN). They reach the workers as control messages (dp::message_kind
// macsec_*) on the same SP/SC rings as snapshots; a worker only switches
// pointers. An SA that is replaced or retired is detached first and freed
// (its key wiped) only once every worker reported quiescence after the
// detach: the same RCU QSBR variable as snapshots.
//
// Static keying calls install_*/enable_tx_sa once at start; MKA will call the
// same functions. Control path only: these allocate; nothing blocks on a
// worker (a full ring is retried by poll()).

#include "common/result.hpp"
#include "control/control.hpp"
#include "control/lacp_driver.hpp"
#include "crypto/crypto.hpp"
#include "macsec/macsec.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace lag::ctl {

struct macsec_driver_counters {
    uint64_t messages_sent = 0;
    uint64_t ring_full = 0;          // retried on the next poll
    uint64_t sas_installed = 0;
    uint64_t sas_freed = 0;          // after every worker was quiescent past them
    uint64_t pn_near_exhaustion = 0; // transmit SAs that crossed their threshold
    uint64_t rx_scs_added = 0;       // receive SCs learnt at run time (add_rx_sc)
    uint64_t rx_sc_messages_freed = 0;
    uint64_t pn_chunks_reserved = 0;  // static keys: PN chunks persisted while running
    uint64_t pn_reserve_failures = 0; // the PN state could not be written (the SA holds at its limit)
};

// Static keys: a transmit SA whose PNs are reserved ahead in a PN store (the
// SA sends up to `limit`, persisted there). poll() persists the next `chunk`
// once the SA is within half a chunk of its limit, and only then raises the
// limit; the workers drop (tx_status::drop_pn_unreserved) rather than pass
// it.
struct tx_pn_reservation {
    macsec::pn_store* store = nullptr;
    macsec::pn_sa_id id;
    uint64_t limit = 0;
    uint64_t chunk = 0;
};

class macsec_driver {
public:
    // `c` must outlive the driver, and its workers must have crypto engines
    // (control creates one per worker).
    static result<std::unique_ptr<macsec_driver>> create(control& c);
    ~macsec_driver();
    macsec_driver(const macsec_driver&) = delete;
    macsec_driver& operator=(const macsec_driver&) = delete;

    // Turns MACsec on for a member: a SecY per worker with `cfg` and one
    // receive SC per peer SCI. Refused if the port already has one.
    result<void> add_port(uint16_t port, const macsec::secy_config& cfg, std::span<const macsec::sci_t> peers);
    // A receive SC for a peer learnt at run time (MKA): its SCI goes to every
    // worker's SecY through the control ring (the worker copies it into a
    // slot of the SecY, no allocation; the message's object is freed once
    // every worker is past it). Nothing if the SC exists; refused when the
    // port has secy::max_rx_sc already.
    result<void> add_rx_sc(uint16_t port, macsec::sci_t peer);
    // Turns MACsec off for a member: the workers drop its SecY (frames pass
    // in the clear from their next burst on); the SecYs and SAs are freed
    // (keys wiped) once every worker is past the message.
    void remove_port(uint16_t port);
    // The port's frame policy (confidentiality, clear_without_sa, validate)
    // on every worker's SecY from its next burst on, SAs kept (MKA's
    // encryption mode at run time).
    result<void> set_policy(uint16_t port, bool confidentiality, bool clear_without_sa, macsec::validate_frames v);
    // The port's confidentiality offset (0, 30, 50) on every worker's SecY
    // from its next burst on (MKA: the key server's).
    result<void> set_offset(uint16_t port, uint8_t octets);
    uint8_t offset_of(uint16_t port) const noexcept;
    // The port's validateFrames on every worker's SecY from its next burst
    // on (nothing sent if unchanged).
    result<void> set_validate(uint16_t port, macsec::validate_frames v);
    macsec::validate_frames validate_of(uint16_t port) const noexcept;
    bool has_rx_sc(uint16_t port, macsec::sci_t peer) const noexcept;

    // Installs the transmit SA at `an` (replacing, then retiring, the SA that
    // was there). It is not used until enable_tx_sa(an). With `pn`, it never
    // sends past the PNs reserved in pn->store (see tx_pn_reservation).
    result<void> install_tx_sa(uint16_t port, uint8_t an, const macsec::sa_params& p,
                               uint64_t pn_threshold = 0, const tx_pn_reservation* pn = nullptr);
    // Makes the SA at `an` the one protect uses (802.1AE encodingSA).
    result<void> enable_tx_sa(uint16_t port, uint8_t an);
    result<void> install_rx_sa(uint16_t port, macsec::sci_t peer, uint8_t an, const macsec::sa_params& p);
    void retire_tx_sa(uint16_t port, uint8_t an);
    void retire_rx_sa(uint16_t port, macsec::sci_t peer, uint8_t an);
    // The receive SAs at `an` of every peer of the port.
    void retire_rx_sas(uint16_t port, uint8_t an);

    // The control core's own SecY of the port (same config, the same shared
    // transmit SAs, kept in step with the workers' by every call above)
    // protects one frame control sends on the SecY's controlled port (a
    // LACPDU) with the encoding SA, in place (`f` needs 16 octets of
    // headroom and tailroom): protected_frame; untagged (sent clear) while
    // no SA is in use under clear_without_sa; drop_no_sa without it.
    // nullopt: the port has no SecY. Counted in the port's SecY counters.
    std::optional<macsec::tx_status> protect(uint16_t port, macsec::frame& f) noexcept;
    // Whether the port's SecY carries LACP (secy_config::protect_slow_protocols).
    bool protects_slow_protocols(uint16_t port) const noexcept;

    // Sends queued messages, counts transmit SAs that became near exhaustion,
    // frees detached SAs every worker is past. Returns the work done.
    unsigned poll();

    // The encoding SA of the port needs a new key (MKA's cue), or is out of PNs.
    bool tx_near_exhaustion(uint16_t port) const noexcept;
    bool tx_exhausted(uint16_t port) const noexcept;
    const macsec::tx_sa* tx_sa_of(uint16_t port, uint8_t an) const noexcept;
    // A receive SA as the workers published it: the lowest PN it still
    // accepts (the highest over the workers, each of which keeps its own
    // replay window) and the frames it dropped as late (summed).
    struct rx_sa_status {
        uint8_t an = 0;
        uint64_t lowest_pn = 0;
        uint64_t late = 0;
    };
    // The port's receive SAs at `an` over every peer (lowest_pn: the lowest
    // PN they all accept). nullopt: no receive SA there.
    std::optional<rx_sa_status> rx_sa_totals(uint16_t port, uint8_t an) const noexcept;
    size_t awaiting_reclaim() const noexcept { return _retired.size() + _tally->in_grace; }
    size_t messages_pending() const noexcept;

    // Counters summed over the workers' SecYs. The SecY and SC counters have
    // one writer (the worker) and are plain: read them after the workers
    // stopped (the transmit SA counters are atomic).
    bool has_port(uint16_t port) const noexcept { return find(port) != nullptr; }
    macsec::secy_counters secy_totals(uint16_t port) const noexcept;
    macsec::rx_sc_counters rx_totals(uint16_t port) const noexcept;
    macsec::tx_sa_counters tx_totals(uint16_t port) const noexcept;
    std::vector<uint16_t> ports() const;
    const macsec_driver_counters& counters() const noexcept { return _counters; }

    // What `show macsec` reports, safe while the workers run (the transmit
    // SAs' PN and counters are atomic; no key, no SecY counter).
    struct tx_sa_status {
        uint8_t an = 0;
        uint64_t next_pn = 0;
        bool near_exhaustion = false;
        bool exhausted = false;
        macsec::tx_sa_counters counters;
    };
    struct rx_sc_status {
        macsec::sci_t sci = 0;
        std::vector<rx_sa_status> sas; // one per AN with an installed receive SA
    };
    struct port_status {
        macsec::secy_config cfg;
        int encoding_an = -1; // -1: none enabled
        std::vector<tx_sa_status> tx;
        std::vector<rx_sc_status> rx;
    };
    std::optional<port_status> status(uint16_t port) const;

    // After every worker stopped: drops pending messages and frees every SA.
    void shutdown();

    // Static keys' PN store, kept as long as the driver (its SAs' reservations
    // point into it). Null until adopted.
    void adopt_pn_store(std::unique_ptr<macsec::pn_store> s) { _pn_store = std::move(s); }
    macsec::pn_store* pn_store() noexcept { return _pn_store.get(); }
    const macsec::pn_store* pn_store() const noexcept { return _pn_store.get(); }

private:
    struct peer_sas {
        macsec::sci_t sci = 0;
        // [an][worker]
        std::array<std::vector<std::unique_ptr<macsec::rx_sa>>, 4> sa;
    };
    struct port_state {
        uint16_t port = 0;
        macsec::secy_config cfg;
        std::vector<std::unique_ptr<macsec::secy>> secys; // per worker
        std::unique_ptr<macsec::secy> own;                // the control core's (protect)
        std::array<std::unique_ptr<macsec::tx_sa>, 4> tx;
        int encoding = -1;
        std::array<bool, 4> near_counted{};
        std::array<std::optional<tx_pn_reservation>, 4> pn; // static keys
        std::array<bool, 4> pn_failing{};                  // logged once per failure run
        std::vector<peer_sas> peers; // add_rx_sc order
    };
    struct retired {
        std::unique_ptr<macsec::tx_sa> tx;
        std::vector<std::unique_ptr<macsec::rx_sa>> rx;
        std::unique_ptr<const macsec::sci_t> sc; // an add_rx_sc message's SCI
        std::vector<std::unique_ptr<macsec::secy>> secys; // remove_port
    };
    // What control's defer queue freed of ours; shared, as the queue may
    // outlive this driver.
    struct freed_tally {
        uint64_t sas = 0;
        uint64_t rx_sc_messages = 0;
        size_t in_grace = 0; // handed to the defer queue, not freed yet
    };

    explicit macsec_driver(control& c) : _control(c) {}
    static rx_sa_status rx_sa_of(const peer_sas& p, uint8_t an) noexcept;
    port_state* find(uint16_t port) noexcept;
    const port_state* find(uint16_t port) const noexcept;
    void send_all(dp::message_kind k, uint32_t arg, const void* ptr);
    void send_one(unsigned worker, dp::message_kind k, uint32_t arg, const void* ptr);
    void flush();
    void reclaim();
    void reserve_pns(port_state& ps, uint8_t an);

    control& _control;
    std::unique_ptr<crypto::engine> _engine; // key expansion on the control core
    std::unique_ptr<macsec::pn_store> _pn_store;
    std::vector<std::unique_ptr<port_state>> _ports;
    std::vector<std::deque<dp::control_message>> _pending; // per worker, in order
    std::deque<retired> _retired; // until every message about them is on the rings
    std::shared_ptr<freed_tally> _tally = std::make_shared<freed_tally>();
    uint64_t _freed_before_grace = 0; // freed at shutdown, the workers stopped
    macsec_driver_counters _counters;
};

// LACP on the SecY's controlled port (802.1AX above 802.1AE): a frame_tx
// that protects what it sends on a member whose SecY carries slow protocols
// (macsec_driver::protect, then `inner`), and passes the rest through as it
// is (no MACsec driver, no SecY on the port, or LACP beside MACsec). A frame
// the SecY refuses (no SA under must_encrypt) is not sent: send() returns
// false, and the port's control_tx_counters count it as a MACsec tx drop
// (xstats tx_drop_macsec, tx_macsec_drop_no_sa). The driver is looked up at
// every send, so it may come and go (MKA set/unset at run time).
class protected_tx final : public frame_tx {
public:
    using driver_fn = std::function<macsec_driver*()>;
    protected_tx(frame_tx& inner, control& c) : _inner(inner), _control(c) {}
    void set_driver(driver_fn f) { _driver = std::move(f); }
    bool send(uint16_t port, std::span<const uint8_t> frame) override;

private:
    frame_tx& _inner;
    control& _control;
    driver_fn _driver;
};

} // namespace lag::ctl
