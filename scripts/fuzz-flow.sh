#!/bin/sh
# Fuzzes the flow parser and hashes (lib/dataplane) with libFuzzer.
#   scripts/fuzz-flow.sh [SECONDS]     default 60; 0 = only build and replay the corpus
# Builds build-fuzz/fuzz_parse_flow with clang++ (Debian's clang) outside
# meson, seeds the corpus from the scapy frames of the unit tests, and exits
# non-zero on the first crash or broken invariant (the input is left in
# build-fuzz/crash-*).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
out=build-fuzz
mkdir -p "$out/corpus"
CXX=${CXX:-clang++}
# shellcheck disable=SC2046
$CXX -std=c++20 -O1 -g -msse4.2 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -Ilib $(pkg-config --cflags libdpdk) \
    tests/fuzz/fuzz_parse_flow.cpp lib/dataplane/flow.cpp lib/dataplane/flow_hash.cpp \
    -o "$out/fuzz_parse_flow"
# Seed corpus: the scapy-encoded frames (hex, first field of each line).
if [ -z "$(ls -A "$out/corpus")" ]; then
    n=0
    grep -v '^#' tests/unit/dataplane/data/scapy_frames.txt | cut -d' ' -f1 |
        while read -r hex; do
            n=$((n + 1))
            printf '%s' "$hex" | xxd -r -p >"$out/corpus/scapy-$n"
        done
fi
if [ "$secs" -eq 0 ]; then
    "$out/fuzz_parse_flow" -runs=0 "$out/corpus"
else
    "$out/fuzz_parse_flow" -max_total_time="$secs" -max_len=2048 \
        -artifact_prefix="$out/" "$out/corpus"
fi
