#!/bin/sh
# Runs the TSan self-check binary $1: it must exit non-zero with a
# ThreadSanitizer data-race report on its deliberately racy line, and nothing
# else may have gone wrong (its gtest assertions hold).
out=$("$1" 2>&1)
rc=$?
printf '%s\n' "$out" | tail -n 40
if [ "$rc" -eq 0 ]; then
    echo "expect_tsan_race: the racy self-check passed: ThreadSanitizer did not catch the race" >&2
    exit 1
fi
if ! printf '%s\n' "$out" | grep -q 'WARNING: ThreadSanitizer: data race'; then
    echo "expect_tsan_race: exit $rc without a ThreadSanitizer data-race report" >&2
    exit 1
fi
if ! printf '%s\n' "$out" | grep -q 'racy_writer'; then
    echo "expect_tsan_race: a race was reported, but not the deliberate one" >&2
    exit 1
fi
if printf '%s\n' "$out" | grep -q '\[  FAILED  \]'; then
    echo "expect_tsan_race: the self-check's own assertions failed" >&2
    exit 1
fi
echo "expect_tsan_race: ThreadSanitizer reported the deliberate race (exit $rc)"
