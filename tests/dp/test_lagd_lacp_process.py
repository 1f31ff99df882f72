#!/usr/bin/python3
"""dpdk-lagd as a process with [lag.lacp] and no partner (net_null members,
whose links are up): LACP, not the link, decides who distributes. Checks:
- active: every member sends LACPDUs from the control lcore (fast rate: one
  a second), none distributes, so with min_links 1 the LAG is down and
  everything the access port receives is dropped as lag_down; the print
  shows each member's mux state (DETACHED) and no partner;
- passive: nothing heard, nothing sent;
- the same file without [lag.lacp] is a static LAG: both members distribute;
- a bad [lag.lacp] value is refused with file:line and rule."""
import re
import subprocess
import sys
import tempfile

LAGD = sys.argv[1]
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


CONFIG = """[[port]]
name = "access0"
device = "net_null0"
[[port]]
name = "m0"
device = "net_null1"
port_priority = 10
[[port]]
name = "m1"
device = "net_null2"
[[lag]]
name = "lag0"
access = "access0"
members = ["m0", "m1"]
min_links = 1
"""


def run(cfg_text, tag, seconds=3.5):
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(cfg_text)
    args = [LAGD, "--no-huge", "--no-pci", "-m", "1024", "--no-shconf", "--file-prefix", f"lagd-lacp-{tag}",
            "-l", "0-1", "--log-level", "*:warning", "--", "--socket", "none", "--config", f.name,
            "--duration", str(seconds)]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def row(out, port):
    m = re.search(rf"^{port}\s+\S+\s+\S+\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", out, re.M)
    return None if m is None else {"rx": int(m[1]), "tx": int(m[3]), "lag_down": int(m[6])}


def lacp_line(out, member):
    m = re.search(rf"^lacp {member}\s+mux (\S+).* partner (\S+) .*lacpdus rx (\d+) tx (\d+)", out, re.M)
    return None if m is None else {"mux": m[1], "partner": m[2], "rx": int(m[3]), "tx": int(m[4])}


rc, out = run(CONFIG + '[lag.lacp]\nmode = "active"\nrate = "fast"\n', "active")
print(out)
check(rc == 0, "active: exit 0")
check("LACP on the control lcore" in out, "active: the banner says LACP runs on the control lcore")
check(re.search(r"^lag lag0: down \(0 of 2 members distributing, min-links 1\)", out, re.M) is not None,
      "active, no partner: 0 of 2 distributing, LAG down under min-links 1")
acc = row(out, "access0")
check(acc is not None and acc["rx"] > 0 and acc["lag_down"] == acc["rx"],
      "active: every frame from the access port dropped as lag_down")
for m in ("m0", "m1"):
    ln = lacp_line(out, m)
    check(ln is not None and ln["mux"] == "DETACHED" and ln["partner"] == "none",
          f"active: {m} DETACHED with no partner")
    check(ln is not None and ln["tx"] >= 2, f"active: {m} sent LACPDUs (fast periodic) from the control lcore")
    r = row(out, m)
    check(r is not None and r["tx"] == 0, f"active: no data frame left {m}")

rc, out = run(CONFIG + '[lag.lacp]\nmode = "passive"\n', "passive", 2.5)
check(rc == 0, "passive: exit 0")
for m in ("m0", "m1"):
    ln = lacp_line(out, m)
    check(ln is not None and ln["tx"] == 0 and ln["mux"] == "DETACHED", f"passive: {m} silent and DETACHED")

rc, out = run(CONFIG, "static", 1.5)
check(rc == 0 and ", static" in out, "no [lag.lacp]: a static LAG")
check(re.search(r"^lag lag0: up \(2 of 2 members distributing", out, re.M) is not None,
      "static: both members distribute")
check("lacp m0" not in out, "static: no LACP lines")

rc, out = run(CONFIG + '[lag.lacp]\nrate = "medium"\n', "bad", 1)
check(rc == 2 and re.search(r"\.toml:17: .*rate 'medium'.*\[rule: value\]", out) is not None,
      "a bad rate is refused with file:line and rule")

if FAILS:
    print(f"{len(FAILS)} check(s) failed")
    sys.exit(1)
print("PASS")
