#!/usr/bin/env python3
"""Smoke test of dpdk-lag-bench: a short run must print one JSON object with
the three scenarios (io forwarding, DPDK's 802.3ad bonding, the worker), each
with positive figures, ratios, and every fed frame accounted for. It asserts
no timing: only that the numbers exist, are positive and add up."""
import json
import subprocess
import sys

exe = sys.argv[1]
args = [exe, "--json", "--hugepages", "no", "--seconds", "0.05", "--trials", "1",
        "--round", "256", "--frames", "2048", "--flows", "256"]
proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
sys.stderr.write(proc.stderr)
if proc.returncode != 0:
    sys.exit(f"dpdk-lag-bench exited with {proc.returncode}:\n{proc.stdout}")
try:
    report = json.loads(proc.stdout)
except json.JSONDecodeError as e:
    sys.exit(f"stdout is not one JSON object ({e}):\n{proc.stdout}")

failures = []
def check(cond, what):
    if not cond:
        failures.append(what)

check(report.get("hugepages") is False, "--hugepages no must run without hugepages")
check("--no-huge" in report.get("eal_args", []), "EAL must get --no-huge")
check(report.get("direction") == "both", "both directions are fed by default")
check(isinstance(report.get("bond_distribution"), str) and "ext_distrib" in report["bond_distribution"],
      "the report says how the bond was made to distribute")
scenarios = report.get("scenarios", [])
by_name = {s.get("name"): s for s in scenarios}
check(len(by_name) == len(scenarios), "scenario names are unique")
want = ["io_fwd", "bond_8023ad_l34_2", "bond_8023ad_l34_4", "worker_l34_2", "worker_l34_4",
        "worker_l34_nichash_2", "worker_l34_nichash_4"]
for name in want:
    s = by_name.get(name)
    if s is None:
        failures.append(f"scenario {name} missing")
        continue
    check(s.get("ok") is True, f"{name}: not ok: {s.get('error')}")
    check(len(s.get("trial_cycles_per_packet", [])) == 1, f"{name}: one figure per trial")
    for key in ("mpps", "cycles_per_packet", "ratio_to_io_fwd"):
        v = s.get(key)
        check(isinstance(v, (int, float)) and v > 0, f"{name}: {key} = {v!r}, want a positive number")
    if s.get("kind", "").startswith("worker"):
        v = s.get("ratio_to_bond_8023ad")
        check(isinstance(v, (int, float)) and v > 0, f"{name}: ratio_to_bond_8023ad = {v!r}")
    # Every frame fed is forwarded, both ways, and every member carries some.
    check(s.get("fed_egress", 0) > 0 and s.get("egress_packets") == s.get("fed_egress"),
          f"{name}: egress {s.get('egress_packets')} of {s.get('fed_egress')} fed")
    check(s.get("fed_ingress", 0) > 0 and s.get("ingress_packets") == s.get("fed_ingress"),
          f"{name}: ingress {s.get('ingress_packets')} of {s.get('fed_ingress')} fed")
    members = s.get("member_egress", [])
    check(len(members) == s.get("members") and all(m > 0 for m in members),
          f"{name}: per-member egress {members}")
    check(sum(members) == s.get("egress_packets"), f"{name}: member egress does not add up")

if failures:
    print(json.dumps(report, indent=1))
    sys.exit("\n".join(failures))
print(f"ok: {len(scenarios)} scenarios")
