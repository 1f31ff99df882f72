#pragma once
// dpdk-lagd's [lag.macsec] table: MACsec (IEEE 802.1AE) keyed by MKA
// (IEEE 802.1X, a pre-shared CAK) or by hand.
//
//   [lag.macsec]                    # MKA: one participant per member, all with the LAG's CAK
//   mode = "mka"
//   ckn = "96437a93"                # CAK name, hex, 1 to 32 bytes
//   cak_file = "cak.hex"            # the CAK, hex (16 or 32 bytes) and nothing else ('#'
//                                   # comments allowed); relative to the config's directory;
//                                   # refused if group or others have any access to it
//   cipher = "gcm-aes-128"          # optional, default gcm-aes-128; the key server distributes it
//   encryption = "must_encrypt"     # optional: no_encrypt (integrity only), should_encrypt,
//                                   # must_encrypt (default: a member distributes only secured)
//   key_server_priority = 16        # optional, 0..255 (lower wins, 255: never key server)
//   rekey_interval = 0              # optional, seconds: the key server's SAK rotation period (0: off)
//   confidentiality_offset = 0      # optional: 0 (default), 30 or 50
//   replay_window = 0               # optional, default 0
//   lacp = "protected"              # optional (both modes): LACPDUs and Marker PDUs protected
//                                   # like data on the SecY's controlled port (default, 802.1AX
//                                   # over 802.1AE), or "clear": beside MACsec, unprotected
//   fallback_ckn = "fb01"           # optional, with fallback_cak_file: a fallback CAK, used only
//   fallback_cak_file = "fb.hex"    # while no primary key can secure with the peer
//   [[lag.macsec.key]]              # optional, any number: more keys of the LAG's chain (ckn and
//   ckn = "96437a94"                # cak_file above, if given, are a key in effect from the start)
//   cak_file = "cak2.hex"
//   start = "2026-12-05T02:00:00Z"  # optional: RFC 3339 (a TOML date-time too), or "now" (default)
//
//   [lag.macsec]                    # static keys
//   mode = "static"
//   cipher = "gcm-aes-xpn-256"      # gcm-aes-128 | gcm-aes-256 | gcm-aes-xpn-128 | gcm-aes-xpn-256
//   include_sci = true              # optional, default true
//   confidentiality = true          # optional, default true (false: integrity only)
//   confidentiality_offset = 0      # optional: 0 (default), 30 or 50
//   replay_protect = true           # optional, default true
//   replay_window = 0               # optional, default 0
//   validate = "strict"             # optional: strict (default), check, disabled
//   key_file = "keys.txt"           # SAKs by name; relative to the config's directory;
//                                   # refused if group or others have any access to it
//   pn_state = "lag0.pn"            # optional: the transmit PNs reserved per SA (SCI, AN, a
//                                   # key fingerprint; never a key), mode 0600, written
//                                   # (fsync) before the PNs are used, so that a restart never
//                                   # sends a PN twice under a key. Default: CONFIG.LAG.pn
//                                   # beside the config (e.g. lagd.toml.lag0.pn); relative
//                                   # to the config's directory. The daemon refuses to start
//                                   # when it cannot write it.
//   pn_chunk = 1048576              # optional: PNs reserved per write (default 2^20, XPN
//                                   # 2^32); a restart skips at most this many
//   [[lag.macsec.member]]           # one per LAG member (a spare [[port]] may have one: add member)
//   port = "m0"
//   sci = "020000000001-0001"       # this member's SCI: MAC (12 hex) and port (4 hex)
//   tx_key = "m0-tx"                # name in key_file
//   tx_an = 0                       # optional, default 0
//   tx_pn = 1                       # optional, default 1: first PN sent
//   tx_ssci = 1                     # XPN: SSCI of this member
//   tx_salt = "hex, 24 digits"      # XPN: 12-byte salt
//   peer_sci = "020000000002-0001"  # the partner port's SCI
//   rx_key = "m0-rx"
//   rx_an = 0                       # optional
//   rx_pn = 1                       # optional: lowest PN accepted
//   rx_ssci = 2                     # XPN: the peer's SSCI
//   rx_salt = "..."                 # XPN
//
// The key file holds one key per line, `name = hex` (16 or 32 bytes, as the
// suite says), '#' comments. Keys are never printed: errors name the key.

#include "common/cipher_suite.hpp"
#include "common/result.hpp"
#include "common/secret.hpp"
#include "macsec/macsec.hpp"

#include <toml++/toml.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>


namespace lag::lagd {

struct macsec_sa_config {
    std::string key;  // name in the key file
    uint8_t an = 0;
    uint64_t pn = 1;
    uint32_t ssci = 0;
    std::array<uint8_t, 12> salt{};
};

struct macsec_member_config {
    std::string port;
    macsec::sci_t sci = 0;
    macsec::sci_t peer_sci = 0;
    macsec_sa_config tx, rx;
    unsigned line = 0;
};

enum class macsec_mode : uint8_t { static_keys, mka };
enum class mka_encryption : uint8_t { no_encrypt, should_encrypt, must_encrypt };
std::string_view to_string(mka_encryption e) noexcept;
std::optional<mka_encryption> parse_mka_encryption(std::string_view s) noexcept; // as to_string spells it
// `lacp`: LACP inside MACsec (protected, the default) or beside it (clear).
enum class macsec_lacp : uint8_t { protected_, clear };
std::string_view to_string(macsec_lacp l) noexcept;

// One key of an MKA key chain ([[lag.macsec.key]], or ckn and cak_file).
struct mka_key_config {
    std::vector<uint8_t> ckn;
    std::string cak_file;   // resolved against the config's directory
    std::optional<int64_t> start; // seconds since the Unix epoch (UTC); none: now
    unsigned line = 0;
};

// RFC 3339 date and time ("2026-12-05T02:00:00Z", "...+01:00", fractions of
// a second dropped) as seconds since the Unix epoch; nullopt if not one.
std::optional<int64_t> parse_rfc3339(std::string_view s);
std::string format_rfc3339(int64_t unix_seconds); // UTC, "...Z"

struct macsec_config {
    bool enabled = false;
    macsec_mode mode = macsec_mode::static_keys;
    // mode = "mka"
    std::vector<uint8_t> ckn; // the chain's first key (the first [[lag.macsec.key]] without one)
    std::string cak_file; // resolved against the config's directory
    std::optional<int64_t> start; // the key above's start (Unix seconds) when it came from a
                                  // [[lag.macsec.key]] (the first, with no ckn beside); none: now
    std::vector<mka_key_config> keys; // the other [[lag.macsec.key]], in file order
    std::vector<uint8_t> fallback_ckn; // empty: no fallback
    std::string fallback_cak_file;
    mka_encryption encryption = mka_encryption::must_encrypt;
    uint8_t key_server_priority = 16;
    uint32_t rekey_interval = 0; // seconds, MKA; 0: no periodic SAK rotation
    static constexpr uint32_t max_rekey_interval_s = 31'536'000; // a year

    cipher_suite suite = cipher_suite::gcm_aes_xpn_256;
    bool include_sci = true;
    bool confidentiality = true;
    uint8_t offset = 0;
    bool replay_protect = true;
    uint32_t replay_window = 0;
    macsec::validate_frames validate = macsec::validate_frames::strict;
    macsec_lacp lacp = macsec_lacp::protected_;
    std::string key_file; // resolved against the config's directory
    std::string pn_state; // resolved against the config's directory; empty: the default
    uint64_t pn_chunk = 0; // 0: the suite's default
    std::string source;   // the config file (the default pn_state is beside it)
    std::vector<macsec_member_config> members;
    unsigned line = 0;

    // The SecY config of one member.
    macsec::secy_config secy(const macsec_member_config& m) const;
};

// Static keys: PNs reserved per write by default.
inline constexpr uint64_t default_pn_chunk = uint64_t(1) << 20;
inline constexpr uint64_t default_pn_chunk_xpn = uint64_t(1) << 32;
inline uint64_t pn_chunk_of(const macsec_config& m) noexcept {
    return m.pn_chunk != 0 ? m.pn_chunk : is_xpn(m.suite) ? default_pn_chunk_xpn : default_pn_chunk;
}
// The PN state file of a LAG with static keys: pn_state, or CONFIG.LAG.pn.
std::string pn_state_path(const macsec_config& m, const std::string& lag);

// Parses a [lag.macsec] table. `source` names the config file (errors are
// "source:line: ...", the key file is resolved against its directory).
result<macsec_config> parse_macsec(const toml::table& t, const std::string& source);

// `file` resolved against the directory of the config file `source` (as
// key_file and cak_file are); an absolute name is kept.
std::string beside(const std::string& source, const std::string& file);

// A CKN in hex (1 to 32 bytes; ':' '-' and blanks ignored); nullopt if not.
std::optional<std::vector<uint8_t>> parse_ckn(std::string_view hex);

// Refuses a key file that group or others may access (or that is missing).
result<void> check_key_file_mode(const std::string& path);

// Reads an MKA CAK file: hex digits only (blanks, ':' '-' and '#' comments
// ignored), 16 or 32 bytes; refuses one that group or others may access.
// Errors never quote the file's contents.
result<secret<32>> load_cak_file(const std::string& path);

using key_map = std::map<std::string, secret<32>, std::less<>>;
// Reads a key file; refuses one that group or others may access. Errors
// never quote a key.
result<key_map> load_key_file(const std::string& path);

// Static keys: no two members' transmit keys are the same bytes (two names
// for one key in the key file): refused as "shared-tx-key" naming the
// config's lines, never the key.
result<void> check_distinct_tx_keys(const macsec_config& m, const key_map& keys);

} // namespace lag::lagd
