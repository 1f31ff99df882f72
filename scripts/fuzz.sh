#!/usr/bin/env bash
# Coverage-guided fuzzing of every target in tests/fuzz with clang's libFuzzer
# (ASan+UBSan), SECONDS each (default 60).
#   ./scripts/fuzz.sh [SECONDS] [TARGET...]
#   FUZZ_SEED=S   the first target's seed (target i gets S + i); default a
#                 fresh one. Printed with each target, so a run reproduces:
#                 FUZZ_SEED=S ./scripts/fuzz.sh SECONDS TARGET
#   FUZZ_JOBS=N   targets run at once (default 1: a long run on a shared
#                 machine takes one core; test.sh uses nproc)
#   FUZZ_RUNS=N   stop a target after N executions, if that comes before
#                 SECONDS (a long run: FUZZ_RUNS=10000000 ./scripts/fuzz.sh 3600)
#
# Corpora as OSS-Fuzz keeps them: the inputs that grew coverage are kept
# outside git in build-fuzz/corpus-work/TARGET (reused by the next run);
# tests/fuzz/corpus/TARGET holds the seeds and every crash ever found, and is
# replayed by suite 'fuzz' in every build. A crash lands in
# build-fuzz/crashes/TARGET-*; fix it, then copy it into tests/fuzz/corpus/TARGET.
#
# One line per target: "fuzz: TARGET seed S: N execs (R/s), cov C, ft F,
# corpus K: ok" (or ": CRASH ..."). Exit 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}; shift || true
./scripts/setup.sh
if [[ ! -f build-fuzz/build.ninja ]]; then
    CXX=clang++ CXX_LD=lld meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C build-fuzz build.ninja >/dev/null # a reused dir picks up new targets
ninja -C build-fuzz -j "$(nproc)" $(cd build-fuzz && ninja -t targets all | grep -o '^tests/fuzz/libfuzz_[a-z0-9_]*' | sort -u)
targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=($(ls build-fuzz/tests/fuzz/ | sed -n 's/^libfuzz_\([a-z0-9_]*\)$/\1/p'))
fi
seed=${FUZZ_SEED:-$(( $(od -An -N4 -tu4 /dev/urandom) % 2000000000 + 1 ))}
jobs=${FUZZ_JOBS:-1}
runs=()
[[ -n ${FUZZ_RUNS:-} ]] && runs=(-runs="$FUZZ_RUNS")
echo "fuzz.sh: ${#targets[@]} target(s), ${secs}s each${FUZZ_RUNS:+ or $FUZZ_RUNS executions}, $jobs at a time, FUZZ_SEED=$seed"
mkdir -p build-fuzz/crashes build-fuzz/logs

run_one() { # target, seed
    local t=$1 s=$2 work=build-fuzz/corpus-work/$1 log=build-fuzz/logs/$1.log
    local extra=()
    [[ $t == config && -d examples ]] && extra+=(examples)
    mkdir -p "$work"
    local rc=0
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        ./build-fuzz/tests/fuzz/libfuzz_"$t" -seed="$s" -max_total_time="$secs" "${runs[@]}" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix=build-fuzz/crashes/"$t"- -print_final_stats=1 "$work" tests/fuzz/corpus/"$t" "${extra[@]}" \
        >"$log" 2>&1 || rc=$?
    local execs rate cov ft corp
    # (|| true: a log without the line must not end this function early)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1 || true)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1 || true)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)
    corp=$(ls "$work" | wc -l)
    local what="fuzz: $t seed $s: ${execs:-?} execs (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus $corp"
    if ((rc == 0)); then
        echo "$what: ok"
    else
        local art
        art=$(grep -o 'Test unit written to [^ ]*' "$log" | tail -n 1 | sed 's/Test unit written to //' || true)
        grep -q 'leak has been found in the initial corpus' "$log" && art="(a seed in the corpus)"
        echo "$what: CRASH (exit $rc; input ${art:-none}; log $log)"
        grep -m 1 -A 12 'ERROR: \|runtime error\|deadly signal' "$log" | sed 's/^/    /' || true
        echo "    reproduce: ./build-fuzz/tests/fuzz/libfuzz_$t ${art:-CRASH_INPUT}"
        return 1
    fi
}

status=0
i=0
running=0
for t in "${targets[@]}"; do
    run_one "$t" $((seed + i)) &
    i=$((i + 1)); running=$((running + 1))
    if ((running >= jobs)); then
        wait -n || status=1
        running=$((running - 1))
    fi
done
while ((running > 0)); do
    wait -n || status=1
    running=$((running - 1))
done
exit $status
