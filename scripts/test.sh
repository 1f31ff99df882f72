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
for s in ${SUITES:-}; do
    [[ $s == tsan ]] || suite_args+=(--suite "$s") # tsan: only in build-tsan (below)
done

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
if [[ -z ${SUITES:-} || ${#suite_args[@]} -gt 0 ]]; then
    echo "== tests"
    meson test -C build --no-rebuild --print-errorlogs --num-processes "$jobs" "${suite_args[@]}" || status=1
    tally build
fi

# Executables (build-dir relative) of the tests in these suites or with these
# names in build dir $1: only those are built in the sanitizer builds.
sanitizer_targets() { # dir, suite-or-test names...
    local dir=$1; shift
    ninja -C "$dir" build.ninja >/dev/null # regenerate first: a reused dir may not list new tests yet
    meson introspect "$dir" --tests | /usr/bin/python3 -c '
import json, os, subprocess, sys
root = os.path.abspath(sys.argv[1])
want = set(sys.argv[2:])
# What the build makes: a test argument is a target only if it is one of these
# (an iteration count or a source script is not).
outputs = set()
for t in json.loads(subprocess.run(["meson", "introspect", root, "--targets"], check=True,
                                   capture_output=True, text=True).stdout):
    outputs.update(os.path.normpath(f) for f in t["filename"])
for t in json.load(sys.stdin):
    if want & set(t["suite"]) or any(s.split(":")[-1] in want for s in t["suite"]) or t["name"] in want:
        for part in t["cmd"]:  # the program and any built file among its arguments
            path = os.path.normpath(os.path.join(root, part))
            if path in outputs:
                print(os.path.relpath(path, root))
' "$dir" "$@" | sort -u
}

selected() { [[ -z ${SUITES:-} || " ${SUITES} " == *" $1 "* ]]; }

# The pure suites again under AddressSanitizer + UndefinedBehaviorSanitizer:
# unit, known answers, scenarios, and the fuzz replays (mutated input is where
# a read past the end would show). Only their executables are built there.
# With dp, also dp_control (EAL, workers on their own lcores): a worker
# lagging on its control ring must never see a snapshot freed under it.
asan_suites=()
for s in unit kat scenario fuzz; do
    if selected "$s"; then asan_suites+=("$s"); fi
done
asan_dp=()
if selected dp; then asan_dp=(dp_control); fi
if ((${#asan_suites[@]} + ${#asan_dp[@]})); then
    echo "== build with AddressSanitizer + UndefinedBehaviorSanitizer (${asan_suites[*]} ${asan_dp[*]})"
    if [[ ! -f build-asan/build.ninja ]]; then
        meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug >/dev/null
    fi
    mapfile -t asan_targets < <(sanitizer_targets build-asan "${asan_suites[@]}" "${asan_dp[@]}")
    ninja -C build-asan -j "$jobs" "${asan_targets[@]}"
    echo "== ${asan_suites[*]} ${asan_dp[*]} under ASan+UBSan"
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    if ((${#asan_suites[@]})); then
        asan_args=()
        for s in "${asan_suites[@]}"; do asan_args+=(--suite "$s"); done
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
            meson test -C build-asan --no-rebuild --print-errorlogs --timeout-multiplier 4 \
            --num-processes "$jobs" "${asan_args[@]}" || status=1
        tally build-asan
    fi
    if ((${#asan_dp[@]})); then
        # The EAL keeps memory to the end of the process: no leak check here
        # (the tests check the mbuf pool is full again themselves).
        ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
            meson test -C build-asan --no-rebuild --print-errorlogs --timeout-multiplier 4 \
            --num-processes 1 "${asan_dp[@]}" || status=1
        tally build-asan
    fi
fi

# The engine's threaded tests (suite tsan: workers on their own EAL lcores,
# the rings, snapshots and RCU) under ThreadSanitizer, and a self-check that
# must be reported as a race. DPDK's own libraries are not instrumented:
# tests/tsan.supp names, narrowly and with reasons, what that hides.
if selected tsan; then
    echo "== build with ThreadSanitizer (tsan)"
    if [[ ! -f build-tsan/build.ninja ]]; then
        meson setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
    fi
    mapfile -t tsan_targets < <(sanitizer_targets build-tsan tsan)
    ninja -C build-tsan -j "$jobs" "${tsan_targets[@]}"
    echo "== tsan under ThreadSanitizer"
    TSAN_OPTIONS="suppressions=$root/tests/tsan.supp:history_size=7:halt_on_error=0:exitcode=66:second_deadlock_stack=1" \
        meson test -C build-tsan --no-rebuild --print-errorlogs --timeout-multiplier 4 \
        --num-processes 1 --suite tsan || status=1
    tally build-tsan
fi

echo
echo "test.sh: $passed passed, $failed failed, $skipped skipped"
exit $status
