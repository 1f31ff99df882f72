#!/usr/bin/env bash
# Coverage-guided fuzzing of lib/lacp (codec and machines) with libFuzzer.
# Built with Debian's clang, apart from the g++/meson build:
#   ./scripts/fuzz-lacp.sh            60 s
#   SECS=600 ./scripts/fuzz-lacp.sh   longer
# The corpus is kept in build-fuzz/lacp-corpus; a crash leaves crash-* files
# there and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-fuzz
mkdir -p "$out/lacp-corpus"
CXX=${CXX:-clang++}
src=(lib/common/bytes.cpp lib/common/mac_addr.cpp lib/common/secret.cpp lib/lacp/*.cpp tests/fuzz/lacp/fuzz_lacp.cpp)
echo "== build $out/fuzz_lacp with $CXX"
"$CXX" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Ilib "${src[@]}" -lfmt -o "$out/fuzz_lacp"
# Seeds: a LACPDU and a Marker PDU as the encoder writes them.
/usr/bin/python3 - "$out/lacp-corpus" <<'PY'
import os, sys
d = sys.argv[1]
lacp = bytes.fromhex("0180c2000002 020000000b01 8809 0101"
    "0114 8000 020000000b00 0001 0080 0001 3f 000000"
    "0214 8000 020000000a00 0001 8000 0001 3d 000000"
    "0310 0000" + "00" * 12 + "0000" + "00" * 50)
marker = bytes.fromhex("0180c2000002 020000000b01 8809 0201"
    "0110 0003 020000000b00 01020304 0000" "0000" + "00" * 90)
for name, b in (("lacpdu", lacp), ("marker", marker),
                ("records", bytes([len(lacp), 0, 200]) + lacp + bytes([len(lacp), 1, 0x81]) + lacp)):
    open(os.path.join(d, "seed-" + name), "wb").write(b)
PY
echo "== fuzz for ${SECS:-60} s"
cd "$out/lacp-corpus"
exec ../fuzz_lacp -max_total_time="${SECS:-60}" -print_final_stats=1 .
