#pragma once
// Transmit PNs of static keys, reserved ahead and persisted, so that a
// restart never sends a PN twice under one key (a GCM nonce used twice
// exposes the keystream). Internal to lib/macsec: include "macsec/macsec.hpp".
//
// Per transmit SA, identified by its SCI, AN and a fingerprint of its key
// (never the key), the store keeps a ceiling: the first PN not reserved. A
// reservation writes the new ceiling through the storage (the daemon's:
// temporary file, fsync, rename, directory fsync) and only then returns the
// limit the SA may send up to. The SA never goes past its limit
// (tx_sa::pn_limit), so every PN ever sent is below the persisted ceiling,
// and a restart starts at it: a crash skips the rest of a chunk, never
// repeats a PN.
//
// Pure: the storage is an interface (a file in dpdk-lagd, a fake in tests),
// no clock. Control path only (allocates, returns result).

#include "common/result.hpp"
#include "crypto/crypto.hpp"
#include "macsec/sectag.hpp"

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lag::macsec {

// A key's fingerprint: the first 8 octets of AES-CMAC under the key of a
// fixed label. It names a key without revealing it (a PRF output).
using key_fingerprint = std::array<uint8_t, 8>;
result<key_fingerprint> fingerprint_of(crypto::engine& e, std::span<const uint8_t> key);

struct pn_sa_id {
    sci_t sci = 0;
    uint8_t an = 0;
    key_fingerprint fp{};
    auto operator<=>(const pn_sa_id&) const = default;
};

// Where the store's text lives.
class pn_storage {
public:
    virtual ~pn_storage() = default;
    // The whole text; nullopt when there is none yet (a first start).
    virtual result<std::optional<std::string>> read() = 0;
    // Replaces the whole text durably (returns once it would survive a crash).
    virtual result<void> write(std::string_view text) = 0;
    // Names the storage in errors (the file's path).
    virtual std::string name() const = 0;
};

// What start() grants an SA.
struct pn_grant {
    uint64_t first_pn = 0; // the first PN to send
    uint64_t limit = 0;    // the highest PN it may send (persisted)
};

class pn_store {
public:
    // Reads the storage; a text that does not parse is refused (naming
    // name():line): ignoring it could reuse PNs.
    static result<std::unique_ptr<pn_store>> open(std::unique_ptr<pn_storage> s);

    // A static SA at start: it sends from max(configured_pn, the persisted
    // ceiling). Refused (naming the SA) when no PN is left below max_pn;
    // otherwise a chunk of `chunk` PNs (fewer at the end of the space) is
    // persisted before it returns. A storage that cannot be written refuses
    // (the error names it and why), and nothing changes.
    result<pn_grant> start(const pn_sa_id& id, uint64_t configured_pn, uint64_t max_pn, uint64_t chunk);
    // The next chunk above `limit` (the SA's current limit), persisted:
    // returns the new limit. Refused (nothing changed) if the storage cannot
    // be written or the PN space is used up (the limit stays).
    result<uint64_t> extend(const pn_sa_id& id, uint64_t limit, uint64_t max_pn, uint64_t chunk);

    // The first PN not reserved for `id` (0: never reserved).
    uint64_t ceiling(const pn_sa_id& id) const noexcept;
    size_t size() const noexcept { return _ceilings.size(); }
    const pn_storage& storage() const noexcept { return *_storage; }

    // The text written: a comment, then one line per SA,
    // "SCI AN FINGERPRINT CEILING" (hex SCI as MAC-port, decimal AN and
    // ceiling, hex fingerprint), in SA order.
    std::string text() const;
    // The inverse; errors name `source`:line.
    static result<std::map<pn_sa_id, uint64_t>> parse(std::string_view text, std::string_view source);

private:
    explicit pn_store(std::unique_ptr<pn_storage> s) : _storage(std::move(s)) {}
    result<void> persist(const pn_sa_id& id, uint64_t ceiling);

    std::unique_ptr<pn_storage> _storage;
    std::map<pn_sa_id, uint64_t> _ceilings;
};

// "020000000001-0001 an 0" for errors and logs.
std::string to_string(const pn_sa_id& id);

} // namespace lag::macsec
