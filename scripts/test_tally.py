#!/usr/bin/env python3
"""Counts what one `meson test` call ran, for scripts/test.sh.

    test_tally.py BUILD_DIR STAGE [SUITE...]

Reads BUILD_DIR/meson-logs/testlog.json, which test.sh deletes before every
`meson test` call, so a log that is missing means that call ran nothing (it
is never a previous run's). Prints one line for test.sh:

    TESTS_OK TESTS_BAD TESTS_SKIP CASES_OK CASES_BAD CASES_SKIP SUITE=N ...

Test cases, from each test's output: gtest's `[       OK ]`, `[  FAILED  ]`
and `[  SKIPPED ]` lines; the Python dp tests' `ok   ` and `FAIL ` checks
(tests/dp/lagd_env.py); a fuzz replay's "no crash" line is one case. A test
that reports no case counts as one, with its own verdict. A test that failed
although every case passed (a crash at exit, a sanitizer report, a leak)
adds one failed case, so a failure never hides behind passing cases. A gtest
binary that ran no test case at all fails: it proves nothing.

SUITE=N: how many tests of each requested suite ran (from meson's own test
list), so test.sh can fail a requested suite that ran nothing.
"""
import json
import os
import re
import subprocess
import sys

build, stage, want = sys.argv[1], sys.argv[2], sys.argv[3:]
log = os.path.join(build, "meson-logs", "testlog.json")

gtest_ok = re.compile(r"^\[       OK \] \S+ \(\d+ ms\)", re.M)
gtest_bad = re.compile(r"^\[  FAILED  \] \S+ \(\d+ ms\)", re.M)
gtest_skip = re.compile(r"^\[  SKIPPED \] \S+ \(\d+ ms\)", re.M)
gtest_ran = re.compile(r"^\[==========\] \d+ tests? from \d+ test suites? ran", re.M)
py_ok = re.compile(r"^ok   ", re.M)
py_bad = re.compile(r"^FAIL ", re.M)
fuzz_ok = re.compile(r"^\d+ corpus inputs, \d+ mutations: no crash$", re.M)

# Suites of every test, by name, from the build's own test list.
suites_of = {}
intro = subprocess.run(["meson", "introspect", build, "--tests"], capture_output=True, text=True)
if intro.returncode == 0:
    for t in json.loads(intro.stdout):
        names = set(t["suite"]) | {s.split(":")[-1] for s in t["suite"]}
        suites_of[t["name"]] = names

t_ok = t_bad = t_skip = c_ok = c_bad = c_skip = 0
ran = {s: 0 for s in want}
if os.path.exists(log):
    for line in open(log):
        r = json.loads(line)
        result = r.get("result")
        out = r.get("stdout") or ""
        name = r.get("name", "")
        short = name.split(" / ")[-1]
        for s in suites_of.get(short, ()):
            if s in ran:
                ran[s] += 1
        passed = result in ("OK", "EXPECTEDFAIL")
        skipped = result == "SKIP"
        if passed:
            t_ok += 1
        elif skipped:
            t_skip += 1
        else:
            t_bad += 1
        ok, bad, skip = len(gtest_ok.findall(out)), len(gtest_bad.findall(out)), len(gtest_skip.findall(out))
        ok += len(py_ok.findall(out)) + len(fuzz_ok.findall(out))
        bad += len(py_bad.findall(out))
        if ok + bad + skip == 0:
            if passed and gtest_ran.search(out):
                print("test.sh: %s: %s ran no test case" % (stage, name), file=sys.stderr)
                bad = 1
            elif passed:
                ok = 1
            elif skipped:
                skip = 1
            else:
                bad = 1
        elif not passed and not skipped and bad == 0:
            bad = 1  # failed outside its cases: exit status, sanitizer, leak
        c_ok += ok
        c_bad += bad
        c_skip += skip
print(t_ok, t_bad, t_skip, c_ok, c_bad, c_skip, *("%s=%d" % (s, n) for s, n in ran.items()))
