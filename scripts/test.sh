#!/usr/bin/env bash
# Set-up, build, every test: the README's second command and what CI runs.
#   ./scripts/test.sh                 everything
#   SUITES="unit dp" ./scripts/test.sh  only these meson suites (and the
#                                       sanitizer and fuzzing stages of them)
#   FUZZ_SECONDS=N  each libFuzzer target's budget in the 'fuzz' stage (15)
#   FUZZ_SEED=S     that stage's seed (default: a fresh one, printed)
#
# It counts meson tests and test cases (scripts/test_tally.py: gtest cases,
# the Python tests' checks, one per fuzz run), never reads a previous run's
# log, and fails when a requested suite ran nothing. The last line is what
# CI reads: "test.sh: N passed, N failed, N skipped" (test cases).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

./scripts/setup.sh

jobs=$(nproc)
requested=(${SUITES:-})

suite_args=()
for s in "${requested[@]}"; do
    [[ $s == tsan ]] || suite_args+=(--suite "$s") # tsan: only in build-tsan (below)
done

status=0
t_passed=0; t_failed=0; t_skipped=0   # meson tests
passed=0; failed=0; skipped=0         # test cases
declare -A ran=()                     # requested suite -> tests that ran
for s in "${requested[@]}"; do ran[$s]=0; done

run_build() { # dir, extra meson options...
    local dir=$1; shift
    if [[ ! -f $dir/build.ninja ]]; then
        meson setup "$dir" "$@" >/dev/null
    fi
    ninja -C "$dir" -j "$jobs"
}

# One `meson test` call in build dir $1 (stage name $2, then its arguments),
# counted. The log is deleted first: what is counted is this call's or nothing.
meson_stage() { # dir, stage, meson test args...
    local dir=$1 stage=$2; shift 2
    rm -f "$dir/meson-logs/testlog.json" "$dir/meson-logs/testlog.junit.xml" "$dir/meson-logs/testlog.txt"
    meson test -C "$dir" --no-rebuild --print-errorlogs "$@" || status=1
    local line
    line=$(/usr/bin/python3 scripts/test_tally.py "$dir" "$stage" "${requested[@]}")
    read -r tp tf ts cp cf cs rest <<<"$line"
    echo "-- $stage: $tp meson test(s) passed, $tf failed, $ts skipped; $cp case(s) passed, $cf failed, $cs skipped"
    t_passed=$((t_passed + tp)); t_failed=$((t_failed + tf)); t_skipped=$((t_skipped + ts))
    passed=$((passed + cp)); failed=$((failed + cf)); skipped=$((skipped + cs))
    ((tf == 0 && cf == 0)) || status=1
    for kv in $rest; do ran[${kv%%=*}]=$((${ran[${kv%%=*}]} + ${kv#*=})); done
}

echo "== build (release flags, -Werror)"
run_build build
if [[ -z ${SUITES:-} || ${#suite_args[@]} -gt 0 ]]; then
    echo "== tests"
    meson_stage build tests --num-processes "$jobs" "${suite_args[@]}"
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
# With dp, every dp_* gtest suite and the daemon itself (dpdk-lagd and lagctl
# built with ASan+UBSan) under the Python dp tests that fit the time budget.
asan_suites=()
for s in unit kat scenario fuzz; do
    if selected "$s"; then asan_suites+=("$s"); fi
done
# The dp tests run under ASan: every dp_* gtest suite (whatever the suite
# holds when this runs), and the daemon tests that fit the time budget
# (lagd_multi and lagd_faults are left to the release build).
asan_dp_daemon=(lagd_process lagd_ctl lagd_lacp_process lagd_runtime)
asan_dp=()
if selected dp; then
    mapfile -t asan_dp < <(meson introspect build --tests | /usr/bin/python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["name"].startswith("dp_") and any(s.split(":")[-1] == "dp" for s in t["suite"]):
        print(t["name"])')
    asan_dp+=("${asan_dp_daemon[@]}")
fi
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
            meson_stage build-asan asan --timeout-multiplier 4 --num-processes "$jobs" "${asan_args[@]}"
    fi
    if ((${#asan_dp[@]})); then
        # Leaks are checked at exit of every dp test binary and of every
        # dpdk-lagd and lagctl the Python tests start; tests/lsan.supp takes
        # out the EAL's own memory, narrowly, with reasons. Reports go to
        # files (the Python tests do not read the daemon's stderr for them):
        # any report fails the stage and is printed.
        reports=$root/build-asan/asan-reports
        rm -rf "$reports"; mkdir -p "$reports"
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:disable_coredump=0:log_path=$reports/asan \
        LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0 \
            meson_stage build-asan asan-dp --timeout-multiplier 4 --num-processes 1 "${asan_dp[@]}"
        if compgen -G "$reports/asan.*" >/dev/null; then
            for f in "$reports"/asan.*; do
                echo "-- sanitizer report $f:"; head -n 60 "$f"
            done
            echo "test.sh: asan-dp: $(ls "$reports" | wc -l) sanitizer report(s)" >&2
            failed=$((failed + 1)); status=1
        fi
    fi
fi

# The engine's threaded tests (suite tsan: workers on their own EAL lcores,
# the rings, snapshots and RCU, two and three workers racing) under
# ThreadSanitizer, and a self-check that must be reported as a race. DPDK's
# own libraries are not instrumented: tests/tsan.supp names, narrowly and
# with reasons, what that hides.
if selected tsan; then
    echo "== build with ThreadSanitizer (tsan)"
    if [[ ! -f build-tsan/build.ninja ]]; then
        meson setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
    fi
    mapfile -t tsan_targets < <(sanitizer_targets build-tsan tsan)
    ninja -C build-tsan -j "$jobs" "${tsan_targets[@]}"
    echo "== tsan under ThreadSanitizer"
    TSAN_OPTIONS="suppressions=$root/tests/tsan.supp:history_size=7:halt_on_error=0:exitcode=66:second_deadlock_stack=1" \
        meson_stage build-tsan tsan --timeout-multiplier 4 --num-processes 1 --suite tsan
fi

# Coverage-guided fuzzing (clang libFuzzer, ASan+UBSan) of every target in
# tests/fuzz for FUZZ_SECONDS each with a fresh seed (printed: FUZZ_SEED=S
# reruns it). The corpus that grows is kept outside git (build-fuzz/
# corpus-work); a crash is saved in build-fuzz/crashes and fails the stage.
if selected fuzz; then
    echo "== fuzz: every libFuzzer target, ${FUZZ_SECONDS:-15}s each"
    fuzz_log=$(mktemp)
    fuzz_rc=0
    FUZZ_JOBS=$jobs ./scripts/fuzz.sh "${FUZZ_SECONDS:-15}" 2>&1 | tee "$fuzz_log" || fuzz_rc=1
    fp=$(grep -c '^fuzz: .*: ok$' "$fuzz_log" || true)
    ff=$(grep -c '^fuzz: .*: CRASH' "$fuzz_log" || true)
    if ((fuzz_rc != 0 && ff == 0)); then ff=1; fi # it failed without a target's verdict
    ((fuzz_rc == 0)) || status=1
    rm -f "$fuzz_log"
    echo "-- fuzz: $fp target(s) ran clean, $ff crashed"
    passed=$((passed + fp)); failed=$((failed + ff))
    ((ff == 0 && fp > 0)) || status=1
    ran[fuzz]=$((${ran[fuzz]:-0} + fp + ff))
fi

# A requested suite that ran nothing is a failure, not a pass on nothing.
for s in "${requested[@]}"; do
    if ((${ran[$s]} == 0)); then
        echo "test.sh: suite '$s' was requested but ran nothing" >&2
        failed=$((failed + 1)); status=1
    fi
done

echo
echo "test.sh: meson tests: $t_passed passed, $t_failed failed, $t_skipped skipped"
echo "test.sh: $passed passed, $failed failed, $skipped skipped"
exit $status
