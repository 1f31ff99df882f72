#pragma once
// lib/crypto: the only library that links Intel ipsec-mb. A small interface:
//   - AES-GCM-128/256 seal/open (12-byte IV, AAD, 16-byte tag), one at a time
//     or as a burst of jobs (submit many, flush once) for the data path;
//   - AES-CMAC-128/256 (RFC 4493) for MKA's KDF and ICV;
//   - AES key wrap (RFC 3394), built on ipsec-mb's AES-ECB (ipsec-mb 1.3 has
//     no key wrap of its own);
//   - a CSPRNG source (getrandom(2)).
// Key schedules are expanded once, held in memory this library allocates and
// wipes with secure_wipe when the key object is dropped. No key byte is ever
// formatted. ipsec-mb's header stays out of this one.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "common/result.hpp"

struct IMB_MGR;

namespace lag::crypto {

inline constexpr size_t gcm_iv_len = 12;
inline constexpr size_t gcm_tag_len = 16;
inline constexpr size_t aes_block = 16;

// An ipsec-mb multi-buffer manager: one per thread (a worker owns one; the
// control core owns one). Not thread safe, not copyable.
class engine {
public:
    // Allocates and initialises the manager for the best instruction set the
    // CPU has (init_mb_mgr_auto). Fails with a clear error, never throws.
    static result<std::unique_ptr<engine>> create();
    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    // "sse", "avx", "avx2", "avx512" (what init_mb_mgr_auto chose).
    const char* arch_name() const noexcept;
    IMB_MGR* raw() noexcept { return _mgr; }

private:
    explicit engine(IMB_MGR* m) noexcept : _mgr(m) {}
    IMB_MGR* _mgr;
};

// An expanded AES-GCM key (round keys and GHASH powers), 16 or 32 bytes of
// key in, wiped on destruction. Built on the control path; used read-only by
// any number of workers.
class gcm_key {
public:
    static result<std::unique_ptr<gcm_key>> create(engine& e, std::span<const uint8_t> key);
    ~gcm_key();
    gcm_key(const gcm_key&) = delete;
    gcm_key& operator=(const gcm_key&) = delete;

    size_t key_len() const noexcept { return _key_len; }
    const void* raw() const noexcept { return _data; } // struct gcm_key_data*

private:
    gcm_key(void* d, size_t n) noexcept : _data(d), _key_len(n) {}
    void* _data;
    size_t _key_len;
};

// One AEAD operation. seal: tag is written. open: the computed tag is
// compared in constant time with `tag`, `ok` says whether it matched (the
// output is then the plaintext). src == dst (in place) is allowed.
struct gcm_op {
    const gcm_key* key = nullptr;
    const uint8_t* iv = nullptr; // gcm_iv_len bytes
    const uint8_t* aad = nullptr;
    size_t aad_len = 0;
    const uint8_t* src = nullptr;
    uint8_t* dst = nullptr;
    size_t len = 0;
    uint8_t* tag = nullptr; // gcm_tag_len bytes: out for seal, in for open
    bool ok = false;        // out: job completed (seal) / tag matched (open)
    alignas(16) uint8_t computed[gcm_tag_len]{}; // scratch: the tag open computes
};

// Single operations (control path, tests).
bool gcm_seal(engine& e, gcm_op& op) noexcept;
bool gcm_open(engine& e, gcm_op& op) noexcept;

// The data path: every op in `ops` through ipsec-mb's direct GCM functions,
// one context for the burst, wiped after it (crypto.cpp says why not jobs).
// Each op's `ok` is set. Returns how many are ok. key and iv are required.
// No allocation, no exceptions. ops.size() is not limited, but the caller's
// scratch (the tags of open) must live until the call returns.
size_t gcm_seal_burst(engine& e, std::span<gcm_op> ops) noexcept;
size_t gcm_open_burst(engine& e, std::span<gcm_op> ops) noexcept;

// An AES key for CMAC and key wrap: encrypt and decrypt schedules and the two
// CMAC subkeys, expanded once, wiped on destruction.
class aes_key {
public:
    static result<std::unique_ptr<aes_key>> create(engine& e, std::span<const uint8_t> key);
    ~aes_key();
    aes_key(const aes_key&) = delete;
    aes_key& operator=(const aes_key&) = delete;
    size_t key_len() const noexcept { return _key_len; }

private:
    friend struct aes_key_access;
    struct schedule;
    aes_key(schedule* s, size_t n) noexcept : _s(s), _key_len(n) {}
    schedule* _s;
    size_t _key_len;
};

// AES-CMAC (RFC 4493; 256-bit keys as in IEEE 802.1X-2020 6.2.1).
bool cmac(engine& e, const aes_key& k, std::span<const uint8_t> msg,
          std::span<uint8_t, aes_block> out) noexcept;

// AES key wrap (RFC 3394, default IV A6A6A6A6A6A6A6A6). plain is a multiple
// of 8 bytes, at least 16; out is plain.size() + 8 bytes.
result<void> key_wrap(engine& e, const aes_key& kek, std::span<const uint8_t> plain,
                      std::span<uint8_t> out);
// Unwrap: out is wrapped.size() - 8 bytes; fails (and wipes out) if the
// integrity check value does not match.
result<void> key_unwrap(engine& e, const aes_key& kek, std::span<const uint8_t> wrapped,
                        std::span<uint8_t> out);

// Fills out from the kernel's CSPRNG (getrandom(2), blocking until seeded).
result<void> random_bytes(std::span<uint8_t> out);

// Constant-time equality of two byte ranges of the same length.
bool equal_ct(const uint8_t* a, const uint8_t* b, size_t n) noexcept;

} // namespace lag::crypto
