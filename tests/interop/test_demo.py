#!/usr/bin/python3
"""./scripts/demo.sh, the README's first command, as a test (issue 7):

- run through (DEMO_SETUP=0: the build under test, no apt-get), it exits 0 and
  prints its key lines: the embedded default's counters, both daemons
  converged, every MKA session secured and rekeyed under pings without a
  loss, every ping answered, only MACsec, LACP and MKA frames on the members,
  the stream moved off m0 and came back, `lagctl show lag` of both sides with
  both members operational; its namespaces are gone afterwards;
- interrupted (SIGINT to its process group, as Ctrl-C sends) once both
  daemons are up, it exits 130 and leaves no namespace and no daemon behind.

usage: test_demo.py BUILD_DIR
Needs root; fails, never skips, with the reason when something is missing.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def start(build, stream):
    env = dict(os.environ, DEMO_SETUP="0", DEMO_BUILD=str(build), DEMO_STREAM=str(stream))
    return subprocess.Popen([str(ROOT / "scripts/demo.sh")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def namespaces(out):
    m = re.search(r"namespaces (\S+) \(A.*?and (\S+) \(B", out)
    return [m[1], m[2]] if m else []


def left_behind(out):
    """This run's namespaces still present, and its daemons still running (their
    command lines name the run's work folder)."""
    ns = namespaces(out)
    present = [n for n in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
               if n in ns]
    m = re.search(r"A's config \((/\S+)/lagd-a\.toml\)", out)
    procs = subprocess.run(["pgrep", "-f", m[1]], capture_output=True, text=True).stdout.split() if m else []
    return present, procs


def whole_run(build):
    p = start(build, 15)
    try:
        out, _ = p.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGINT)
        out, _ = p.communicate(timeout=30)
        check(False, "demo.sh finished within 150 s")
    print("--- demo.sh output ---\n" + out + "--- end ---", flush=True)
    check(p.returncode == 0, f"demo.sh exited {p.returncode}")
    check(re.search(r"ran 2\.0 s: [\d.]+ Mpps egress", out) is not None, "part 1: the embedded default ran, counters")
    check("every member collecting+distributing after" in out, "part 2: both daemons converged")
    m = re.search(r"through A and B\): (\d+)/(\d+) answered", out)
    check(m is not None and m[1] == m[2] and int(m[2]) > 0, "pings through both daemons all answered")
    m = re.search(r"MACsec on the wire: (\d+) protected frames, (\d+) in the clear", out)
    check(m is not None and int(m[1]) > 0 and m[2] == "0", "only MACsec (and LACP, MKA) frames on the members")
    check("MKA: every member's session secured on both sides" in out, "every MKA session secured")
    m = re.search(r"pings across the rekey: (\d+)/(\d+) answered", out)
    check(m is not None and m[1] == m[2] and int(m[2]) > 0, "a rekey under pings, none lost")
    check("m0's veth pair down" in out and "m0's veth pair up again" in out, "m0 down and up during the stream")
    check(re.search(r"while m0 was down: A sent nothing on m0 in [1-9]", out) is not None,
          "the stream moved to m1 while m0 was down")
    check("m0 back: both members carry the stream again" in out, "the stream came back to m0")
    shows = re.findall(r"lag lag0: available \(speed 10G, min-links 0, 2 of 2 members operational\)", out)
    check(len(shows) >= 4, f"lagctl show lag on both sides, before and after: {len(shows)} of 4")
    check("demo: every step did what it says" in out, "the demo's last line")
    ns = namespaces(out)
    present, procs = left_behind(out)
    check(len(ns) == 2 and not present and not procs, f"nothing left behind ({ns}: {present}, {procs})")


def interrupted_run(build):
    p = start(build, 20)
    out = ""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        out += line
        if "every member collecting+distributing after" in line:
            break
    check("every member collecting+distributing after" in out, "second run: both daemons up")
    os.killpg(p.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
    rest, _ = p.communicate(timeout=60)
    out += rest
    check(p.returncode == 130, f"interrupted demo.sh exited {p.returncode} (want 130)")
    check("interrupted: daemons stopped, namespaces removed" in out, "it says it cleaned up")
    ns = namespaces(out)
    present, procs = left_behind(out)
    check(len(ns) == 2 and not present and not procs, f"after Ctrl-C nothing left ({ns}: {present}, {procs})")
    if FAILS:
        print("--- interrupted demo.sh output ---\n" + out + "--- end ---", flush=True)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        print("FAIL: needs root (demo.sh makes namespaces, veths and TAPs)")
        return 1
    build = Path(sys.argv[1]).resolve()
    try:
        whole_run(build)
        interrupted_run(build)
    except Exception as e:  # the reason, loudly, then FAIL
        FAILS.append(f"{type(e).__name__}: {e}")
        print(f"FAIL {type(e).__name__}: {e}", flush=True)
    print(f"{len(FAILS)} failure(s)" if FAILS else "all checks passed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
