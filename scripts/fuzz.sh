#!/usr/bin/env bash
# Coverage-guided fuzzing of every target in tests/fuzz with clang's libFuzzer
# (ASan+UBSan), SECONDS each (default 60). Crashes land in build-fuzz/crashes/;
# turn each into a unit test.
#   ./scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}; shift || true
./scripts/setup.sh
if [[ ! -f build-fuzz/build.ninja ]]; then
    CXX=clang++ CXX_LD=lld meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C build-fuzz -j "$(nproc)" $(cd build-fuzz && ninja -t targets all | grep -o '^tests/fuzz/libfuzz_[a-z0-9_]*' | sort -u)
targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=($(ls build-fuzz/tests/fuzz/ | sed -n 's/^libfuzz_\([a-z0-9_]*\)$/\1/p'))
fi
mkdir -p build-fuzz/crashes
status=0
for t in "${targets[@]}"; do
    work=build-fuzz/corpus-work/$t
    mkdir -p "$work"
    echo "== fuzz $t for ${secs}s"
    ./build-fuzz/tests/fuzz/libfuzz_"$t" -max_total_time="$secs" -artifact_prefix=build-fuzz/crashes/"$t"- \
        -print_final_stats=1 "$work" tests/fuzz/corpus/"$t" 2>&1 | tail -n 12 || status=1
done
exit $status
