#!/usr/bin/env bash
# Set-up, build, every test: the README's second command and what CI runs.
#   ./scripts/test.sh                 everything
#   SUITES="unit dp" ./scripts/test.sh  only these meson suites
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

./scripts/setup.sh

jobs=$(nproc)
summary() { # prints "passed failed" for a meson test log
    /usr/bin/python3 - "$1" <<'PY'
import json, sys
ok = bad = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"): ok += 1
    elif r == "SKIP": skip += 1
    else: bad += 1
print(ok, bad, skip)
PY
}

suite_args=()
for s in ${SUITES:-}; do suite_args+=(--suite "$s"); done

status=0
passed=0; failed=0; skipped=0

run_build() { # dir, extra meson options...
    local dir=$1; shift
    if [[ ! -f $dir/build.ninja ]]; then
        meson setup "$dir" "$@" >/dev/null
    fi
    ninja -C "$dir" -j "$jobs"
}

tally() { # dir
    read -r p f s < <(summary "$1/meson-logs/testlog.json")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

echo "== build (release flags, -Werror)"
run_build build
echo "== tests"
meson test -C build --no-rebuild --print-errorlogs --num-processes "$jobs" "${suite_args[@]}" || status=1
tally build

# The pure suites again under AddressSanitizer + UndefinedBehaviorSanitizer:
# unit, known answers, scenarios, and the fuzz replays (mutated input is where
# a read past the end would show). Only their executables are built there.
asan_suites=()
for s in unit kat scenario fuzz; do
    if [[ -z ${SUITES:-} || " ${SUITES} " == *" $s "* ]]; then asan_suites+=("$s"); fi
done
if ((${#asan_suites[@]})); then
    echo "== build with AddressSanitizer + UndefinedBehaviorSanitizer (${asan_suites[*]})"
    if [[ ! -f build-asan/build.ninja ]]; then
        meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug >/dev/null
    fi
    mapfile -t asan_targets < <(meson introspect build-asan --tests | /usr/bin/python3 -c '
import json, os, sys
want = set(sys.argv[1:])
for t in json.load(sys.stdin):
    if want & set(t["suite"]) or any(s.split(":")[-1] in want for s in t["suite"]):
        exe = t["cmd"][0]
        if exe.startswith(os.path.abspath("build-asan")):
            print(os.path.relpath(exe, "build-asan"))
' "${asan_suites[@]}" | sort -u)
    ninja -C build-asan -j "$jobs" "${asan_targets[@]}"
    echo "== ${asan_suites[*]} under ASan+UBSan"
    asan_args=()
    for s in "${asan_suites[@]}"; do asan_args+=(--suite "$s"); done
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C build-asan --no-rebuild --print-errorlogs --timeout-multiplier 4 \
        --num-processes "$jobs" "${asan_args[@]}" || status=1
    tally build-asan
fi

echo
echo "test.sh: $passed passed, $failed failed, $skipped skipped"
exit $status
