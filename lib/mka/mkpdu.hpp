#pragma once
// lib/mka internal: the MKPDU codec (802.1X-2020 11.11). Encodes whole
// Ethernet frames (DA, SA, EtherType 0x888E, EAPOL header, parameter sets,
// ICV indicator and ICV) and decodes them strictly: every malformed input is
// a parse_error, counted by the caller, never an assertion.
// Not for direct inclusion: include "mka/mka.hpp".

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/bytes.hpp"
#include "common/cipher_suite.hpp"
#include "common/mac_addr.hpp"
#include "mka/keys.hpp"
#include "mka/types.hpp"

namespace lag::mka {

// Parameter set types (Table 11-7).
enum class param_set_type : uint8_t {
    live_peer_list = 1,
    potential_peer_list = 2,
    sak_use = 3,
    distributed_sak = 4,
    distributed_cak = 5,
    kmd = 6,
    announcement = 7,
    xpn = 8,
    icv_indicator = 255,
};

// Why a received frame was not accepted. The codec returns the first seven
// groups; the participant adds the last ones. Every value has a counter.
enum class drop_reason : uint8_t {
    // Ethernet / EAPOL framing (11.4)
    frame_too_short,
    not_eapol,            // EtherType is not 0x888E
    bad_destination,      // not the PAE group address configured
    bad_eapol_version,    // < 3: cannot carry MKA
    not_mka,              // EAPOL packet type is not EAPOL-MKA
    truncated,            // Packet Body Length runs past the frame
    bad_body_length,      // < 32 octets or not a multiple of 4 (11.11.2)
    // Basic Parameter Set
    bad_mka_version,      // 0
    bad_basic_length,     // too short for the fixed fields or runs past the body
    bad_ckn_length,       // not 1..32
    bad_algorithm_agility,
    // other parameter sets
    bad_param_set_length, // a set (with padding) runs into the ICV
    duplicate_param_set,
    unknown_param_set,    // a type this version does not define, from a peer of our version or older
    bad_peer_list_length, // not a multiple of 16
    bad_sak_use_length,   // not 0 or 40
    bad_distributed_sak,  // length not 0/28/36/52, or suite/length mismatch, or unknown suite
    bad_announcement,     // TLV runs past the set, or cipher suite TLV not a multiple of 10
    bad_xpn_length,       // not 8
    bad_icv_indicator,    // length not 16, or not the last set
    // participant level
    unknown_ckn,          // a CA this participant is not in
    bad_icv,              // wrong CAK or tampered
    own_member_id,        // our own MI: a loop or an MI collision
    stale_message_number, // MN not greater than the last accepted from that MI
    bad_wrapped_sak,      // KEK unwrap failed
    sak_from_non_key_server,
    unsupported_cipher_suite,
    peer_table_full,      // a new MI while max_peers are already known
    own_sci,              // another MI with our SCI: two ports share a MAC (their IVs would repeat)
    count_
};

inline constexpr size_t drop_reason_count = static_cast<size_t>(drop_reason::count_);
std::string_view to_string(drop_reason r);

struct peer_entry {
    member_id mi{};
    uint32_t mn = 0;
    bool operator==(const peer_entry&) const = default;
};

struct basic_parameter_set {
    uint8_t version = mka_version;
    uint8_t key_server_priority = 0;
    bool key_server = false;
    bool macsec_desired = true;
    macsec_capability capability = macsec_capability::integrity_and_confidentiality_offsets;
    sci actor_sci{};
    member_id actor_mi{};
    uint32_t actor_mn = 0;
    uint32_t algorithm_agility = mka::algorithm_agility;
    mka::ckn ckn{};
    bool operator==(const basic_parameter_set&) const = default;
};

struct peer_list {
    std::vector<peer_entry> peers;
    uint8_t ks_ssci = 0; // live list, MKA version 3 with an XPN Distributed SAK (11.11.3)
    bool operator==(const peer_list&) const = default;
};

// MACsec SAK Use (Figure 11-10). has_keys == false encodes a 0-length body.
struct sak_use {
    uint8_t latest_an = 0;
    bool latest_tx = false;
    bool latest_rx = false;
    uint8_t old_an = 0;
    bool old_tx = false;
    bool old_rx = false;
    bool plain_tx = false;
    bool plain_rx = false;
    bool delay_protect = false;
    bool has_keys = true;
    key_identifier latest_ki{};
    uint32_t latest_lowest_pn = 0;
    key_identifier old_ki{};
    uint32_t old_lowest_pn = 0;
    bool operator==(const sak_use&) const = default;
};

// Distributed SAK (Figure 11-11). The wrapped key is 24 (128-bit SAK) or 40
// octets; the suite is omitted on the wire for GCM-AES-128 (length 28).
struct distributed_sak {
    uint8_t an = 0;
    confidentiality_offset offset = confidentiality_offset::offset_0;
    uint32_t kn = 0;
    bool plain = false; // 0-length body: "do not use MACsec"
    cipher_suite suite = cipher_suite::gcm_aes_128;
    std::array<uint8_t, 40> wrapped{};
    size_t wrapped_len = 0;
    std::span<const uint8_t> wrapped_view() const noexcept { return {wrapped.data(), wrapped_len}; }
    bool operator==(const distributed_sak&) const = default;
};

// One entry of the MACsec Cipher Suites TLV (type 112) of an Announcement.
struct announced_suite {
    uint8_t capability = 3; // implementation capability (low 2 bits)
    uint64_t id = 0;
    bool operator==(const announced_suite&) const = default;
};

struct announcement {
    std::vector<announced_suite> cipher_suites;
    bool operator==(const announcement&) const = default;
};

// XPN parameter set (802.1X-2020 Figure 11-12a): the most significant 32
// bits of the lowest acceptable PNs of SAK Use.
struct xpn_parameter_set {
    uint8_t suspension_time = 0;
    uint32_t latest_lowest_pn_msb = 0;
    uint32_t old_lowest_pn_msb = 0;
    bool operator==(const xpn_parameter_set&) const = default;
};

struct mkpdu {
    basic_parameter_set basic;
    std::optional<peer_list> live;
    std::optional<peer_list> potential;
    std::optional<mka::sak_use> sak_use;
    std::optional<mka::distributed_sak> distributed_sak;
    std::optional<mka::announcement> announcement;
    std::optional<xpn_parameter_set> xpn;
    bool operator==(const mkpdu&) const = default;
};

struct decoded_frame {
    mac_addr dst{};
    mac_addr src{};
    mkpdu pdu;
    std::span<const uint8_t> icv_covered; // DA .. last octet before the ICV
    std::array<uint8_t, icv_len> icv{};
};

// A decoded value or the reason it was refused.
template <typename T>
class [[nodiscard]] outcome {
public:
    outcome(T v) : _v(std::in_place_index<0>, std::move(v)) {}
    outcome(drop_reason r) : _v(std::in_place_index<1>, r) {}
    bool ok() const noexcept { return _v.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    T& value() { return std::get<0>(_v); }
    const T& value() const { return std::get<0>(_v); }
    T* operator->() { return &value(); }
    drop_reason reason() const { return std::get<1>(_v); }

private:
    std::variant<T, drop_reason> _v;
};

// Decode one Ethernet frame (as received: trailing padding after the EAPOL
// packet body is ignored). Checks framing, every parameter set and the
// position of the ICV; it does not check the ICV (that needs the ICK of the
// CA named by the CKN: see verify_icv). Views in the result point into frame.
outcome<decoded_frame> decode_frame(std::span<const uint8_t> frame,
                                    const mac_addr& expected_dst = pae_group_address);

// Constant-time check of a decoded frame's ICV.
bool verify_icv(crypto_provider& c, const key_secret& ick, const decoded_frame& f) noexcept;

// Encode pdu as an Ethernet frame from src to dst, with an ICV Indicator and
// the ICV computed with ick. Parameter sets appear in type order (11.11.3).
// Returns an empty vector if a field cannot be encoded (e.g. CKN length 0).
bytes encode_frame(const mkpdu& pdu, const mac_addr& src, const mac_addr& dst,
                   crypto_provider& c, const key_secret& ick);

// The same without ICV (ICV octets zero): for codec tests of framing only.
bytes encode_frame_unsigned(const mkpdu& pdu, const mac_addr& src, const mac_addr& dst);

// Cipher suite from its 64-bit identifier, if one of the four we implement.
std::optional<cipher_suite> suite_from_id(uint64_t id) noexcept;

} // namespace lag::mka
