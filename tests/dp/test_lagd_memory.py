#!/usr/bin/python3
"""dpdk-lagd's memory at start (issue 17 §6), without touching the host's
hugepages (tests never use them):

- with --no-huge it says so: `memory: no hugepages (--no-huge)` and the
  pool's size and socket;
- without --no-huge, where the EAL finds no hugepages (here: --huge-dir on a
  folder that is no hugetlbfs mount), it stops with the EAL's refusal and
  the hint to reserve them.

usage: test_lagd_memory.py DPDK_LAGD
"""
import os
import subprocess
import sys
import tempfile

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def main():
    lagd = sys.argv[1]
    # --no-huge: the daemon starts (embedded default) and is stopped by SIGTERM.
    p = subprocess.Popen([lagd, "--no-huge", "--no-pci", "-m", "512", "--no-shconf", "-l", "0", "--file-prefix",
                          f"lagdmem{os.getpid()}", "--log-level", "*:error", "--", "--socket", "none"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = ""
    try:
        for line in p.stdout:
            out += line
            if "memory:" in line:
                break
    finally:
        p.terminate()
        rest, _ = p.communicate(timeout=30)
        out += rest
    check("dpdk-lagd: memory: no hugepages (--no-huge), 16383 mbufs of 2048 octets on socket 0" in out,
          "--no-huge: the start says it runs without hugepages, the pool's size and socket")
    with tempfile.TemporaryDirectory(prefix="lagd-nohuge-") as d:
        r = subprocess.run([lagd, "--in-memory", "--huge-dir", d, "--no-pci", "-l", "0", "--log-level", "*:error",
                            "--", "--socket", "none"], capture_output=True, text=True, timeout=60)
        err = r.stderr + r.stdout
        check(r.returncode != 0, f"no hugepages and no --no-huge: refused (exit {r.returncode})")
        check("without --no-huge the EAL needs hugepages: reserve them" in err and "dpdk-hugepages.py" in err,
              "the refusal says to reserve hugepages: " + (err.strip().splitlines() or [""])[-1][:200])
    if FAILS:
        print(f"{len(FAILS)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
