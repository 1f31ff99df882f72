// libFuzzer target for the flow parser and hashes. Built by
// scripts/fuzz-flow.sh with clang++ -fsanitize=fuzzer,address,undefined; not
// part of the meson (g++) build.
//
// Besides memory errors (ASan: never a read past len) it checks invariants:
// the status is one of the four; the frame hash of every policy and algorithm
// equals the hash of the parsed key; a field the parse did not reach is zero;
// and parsing is deterministic.
#include "dataplane/flow.hpp"
#include "dataplane/flow_hash.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>

using namespace lag::dp;

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            __builtin_trap();                                                                      \
    } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 65535)
        return 0;
    const auto len = static_cast<uint32_t>(size);
    // An exact-size copy so that ASan sees any read past len.
    std::unique_ptr<uint8_t[]> buf(new uint8_t[size ? size : 1]);
    if (size)
        std::memcpy(buf.get(), data, size);
    const uint8_t* f = size ? buf.get() : nullptr;

    flow_key k, k2;
    const parse_status st = parse_flow(f, len, k);
    CHECK(st == parse_status::ok || st == parse_status::truncated ||
          st == parse_status::unsupported_l3 || st == parse_status::bad_header);
    CHECK(parse_flow(f, len, k2) == st && std::memcmp(&k, &k2, sizeof k) == 0);
    CHECK(k.l3 == 0 || k.l3 == 4 || k.l3 == 6);
    if (k.l3 == 0) {
        static const uint8_t zero[16] = {};
        CHECK(std::memcmp(k.src_ip, zero, 16) == 0 && std::memcmp(k.dst_ip, zero, 16) == 0);
        CHECK(k.l4_proto == 0 && !k.fragment);
    }
    if (k.fragment)
        CHECK(k.src_port == 0 && k.dst_port == 0);
    if (st == parse_status::unsupported_l3)
        CHECK(k.l3 == 0);
    for (auto p : {hash_policy::l2, hash_policy::l23, hash_policy::l34, hash_policy::sym_l34}) {
        CHECK(hash_function(p)(f, len) == hash_key_crc32(k, p));
        CHECK(hash_function(p, hash_algo::toeplitz)(f, len) == hash_key_toeplitz(k, p));
    }
    const uint16_t et = outer_ether_type(f, len);
    CHECK(len < 14 ? et == 0 : et == (f[12] << 8 | f[13]));
    (void)outer_ether_type(f, len, true);
    return 0;
}
