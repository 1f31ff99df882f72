#!/bin/sh
# Fuzzes the flow parser and hashes (lib/dataplane) with libFuzzer.
#   scripts/fuzz-flow.sh [SECONDS]     default 60; 0 = only build and replay the corpus
# Builds build-fuzz-flow/fuzz_parse_flow with clang++ (Debian's clang) outside
# meson from tests/fuzz/fuzz_parse_flow.cpp (a plain LLVMFuzzerTestOneInput
# target: it also fits a tests/fuzz/meson.build target list), seeds from
# tests/fuzz/corpus/parse_flow, and exits non-zero on the first crash or
# broken invariant (the input is left in build-fuzz-flow/crash-*).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
out=build-fuzz-flow
mkdir -p "$out/corpus"
CXX=${CXX:-clang++}
# shellcheck disable=SC2046
$CXX -std=c++20 -O1 -g -msse4.2 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -Ilib $(pkg-config --cflags libdpdk) \
    tests/fuzz/fuzz_parse_flow.cpp lib/dataplane/flow.cpp lib/dataplane/flow_hash.cpp \
    -o "$out/fuzz_parse_flow"
if [ "$secs" -eq 0 ]; then
    "$out/fuzz_parse_flow" -runs=0 "$out/corpus" tests/fuzz/corpus/parse_flow
else
    "$out/fuzz_parse_flow" -max_total_time="$secs" -max_len=2048 -print_final_stats=1 \
        -artifact_prefix="$out/" "$out/corpus" tests/fuzz/corpus/parse_flow
fi
