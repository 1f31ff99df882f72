#pragma once
// Control -> worker messages: 16-byte elements of a per-worker SP/SC
// rte_ring. A worker applies them only between bursts. Not for direct
// inclusion: use "dataplane/dataplane.hpp".

#include <cstdint>

namespace lag::dp {

struct snapshot;

enum class message_kind : uint32_t {
    snapshot = 1, // ptr: the new const snapshot*; the worker switches to it
    // MACsec (802.1AE) on a member port. `arg` packs small fields, see
    // macsec_arg(). The objects are owned by the control core, which keeps
    // them (and their keys) until every worker reported quiescence after the
    // message that detached them.
    macsec_secy = 2,      // arg: port; ptr: macsec::secy* (null: MACsec off on that port)
    macsec_tx_sa = 3,     // arg: port; ptr: macsec::tx_sa*, attached at its AN
    macsec_tx_detach = 4, // arg: port, an
    macsec_encoding = 5,  // arg: port, an: the SA protect uses from now on
    macsec_rx_sa = 6,     // arg: port, sc (index in add_rx_sc order); ptr: macsec::rx_sa*
    macsec_rx_detach = 7, // arg: port, sc, an
    macsec_rx_sc = 8,     // arg: port, sc (the next index); ptr: const macsec::sci_t*, copied by the
                          // worker: a receive SC for a peer learnt at run time (MKA)
    macsec_offset = 9,    // arg: port, an = confidentiality offset (0, 30, 50): the key server's (MKA)
    macsec_policy = 10,   // arg: port, an = macsec_policy_bits(): MKA's encryption mode at run time
};

// arg of the MACsec messages: port in bits 0..7, AN in 8..15, SC index in 16..23.
constexpr uint32_t macsec_arg(uint16_t port, uint8_t an = 0, uint8_t sc = 0) noexcept {
    return uint32_t(port & 0xFF) | uint32_t(an) << 8 | uint32_t(sc) << 16;
}
constexpr uint16_t macsec_arg_port(uint32_t a) noexcept { return a & 0xFF; }
constexpr uint8_t macsec_arg_an(uint32_t a) noexcept { return (a >> 8) & 0xFF; }
constexpr uint8_t macsec_arg_sc(uint32_t a) noexcept { return (a >> 16) & 0xFF; }
// macsec_policy's AN octet: confidentiality in bit 0, clear_without_sa in
// bit 1, validateFrames (macsec::validate_frames) in bits 2..3.
constexpr uint8_t macsec_policy_bits(bool confidentiality, bool clear_without_sa, uint8_t validate) noexcept {
    return uint8_t((confidentiality ? 1 : 0) | (clear_without_sa ? 2 : 0) | (validate & 3) << 2);
}

struct control_message {
    message_kind kind;
    uint32_t arg;
    const void* ptr;
};
static_assert(sizeof(control_message) == 16);

inline constexpr unsigned control_message_size = sizeof(control_message);

} // namespace lag::dp
