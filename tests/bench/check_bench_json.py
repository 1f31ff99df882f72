#!/usr/bin/env python3
"""Smoke test of dpdk-lag-bench: a short run of the whole matrix (each
direction and both; 2, 4 and 8 members; 64, 512, 1518 octets and IMIX;
MACsec off and on) must print one JSON object in which every cell holds
io forwarding, DPDK's 802.3ad bonding and the worker scenarios, each with
positive figures, its ratios, and every fed frame accounted for. It asserts
no timing: only that the numbers exist, are positive and add up."""
import json
import subprocess
import sys

exe = sys.argv[1]
args = [exe, "--json", "--hugepages", "no", "--seconds", "0.02", "--trials", "1",
        "--round", "256", "--frames", "2048", "--flows", "256"]
proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
sys.stderr.write(proc.stderr)
if proc.returncode != 0:
    sys.exit(f"dpdk-lag-bench exited with {proc.returncode}:\n{proc.stdout[-4000:]}")
try:
    report = json.loads(proc.stdout)
except json.JSONDecodeError as e:
    sys.exit(f"stdout is not one JSON object ({e}):\n{proc.stdout[-4000:]}")

failures = []
def check(cond, what):
    if not cond:
        failures.append(what)

def positive(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0

check(report.get("hugepages") is False, "--hugepages no must run without hugepages")
check("--no-huge" in report.get("eal_args", []), "EAL must get --no-huge")
check(isinstance(report.get("bond_distribution"), str) and "ext_distrib" in report["bond_distribution"],
      "the report says how the bond was made to distribute")
check("GCM-AES-128" in report.get("macsec_setup", ""), "the report says how MACsec was set up")
directions = ["both", "egress", "ingress"]
sizes = ["64", "512", "1518", "imix"]
members = [2, 4, 8]
matrix = report.get("matrix", {})
check(matrix.get("directions") == directions, f"matrix directions {matrix.get('directions')}")
check(matrix.get("frame_sizes") == sizes, f"matrix frame sizes {matrix.get('frame_sizes')}")
check(matrix.get("members") == members, f"matrix members {matrix.get('members')}")
check(matrix.get("macsec") == [False, True], f"matrix macsec {matrix.get('macsec')}")
check(len(report.get("traffic", {}).get("cells", [])) == len(sizes) * 2, "one traffic line per cell")

scenarios = report.get("scenarios", [])
cells = {}
for s in scenarios:
    key = (s.get("frame_size"), s.get("macsec"), s.get("direction"))
    cell = cells.setdefault(key, {})
    check(s.get("name") not in cell, f"{key}: {s.get('name')} twice")
    cell[s.get("name")] = s

count = 0
for size in sizes:
    for macsec in (False, True):
        for direction in directions:
            key = (size, macsec, direction)
            cell = cells.get(key, {})
            want = ["io_fwd"] + [f"bond_8023ad_l34_{k}" for k in members] + [f"worker_l34_{k}" for k in members]
            if macsec:
                want += [f"worker_l34_macsec_{k}" for k in members]
            else:
                want += [f"worker_l34_nichash_{k}" for k in members]
            check(sorted(cell) == sorted(want), f"{key}: scenarios {sorted(cell)}, want {sorted(want)}")
            for name in want:
                s = cell.get(name)
                if s is None:
                    continue
                count += 1
                where = f"{size}/{'macsec' if macsec else 'clear'}/{direction}/{name}"
                check(s.get("ok") is True, f"{where}: not ok: {s.get('error')}")
                check(len(s.get("trial_cycles_per_packet", [])) == 1, f"{where}: one figure per trial")
                for k in ("mpps", "cycles_per_packet", "ratio_to_io_fwd"):
                    check(positive(s.get(k)), f"{where}: {k} = {s.get(k)!r}, want a positive number")
                kind = s.get("kind", "")
                if kind.startswith("worker"):
                    check(positive(s.get("ratio_to_bond_8023ad")),
                          f"{where}: ratio_to_bond_8023ad = {s.get('ratio_to_bond_8023ad')!r}")
                if kind == "worker_macsec":
                    check(positive(s.get("ratio_to_worker_clear")),
                          f"{where}: ratio_to_worker_clear = {s.get('ratio_to_worker_clear')!r}")
                # Frame sizes as the cell says: egress exactly the size (IMIX:
                # a mean between the smallest and the largest), ingress the
                # size, or 32 more when MACsec protected it.
                if size != "imix":
                    check(s.get("mean_wire_size") == int(size), f"{where}: mean wire size {s.get('mean_wire_size')}")
                    check(s.get("ingress_wire_size") == int(size) + (32 if macsec else 0),
                          f"{where}: ingress wire size {s.get('ingress_wire_size')}")
                else:
                    check(64 < s.get("mean_wire_size", 0) < 1518, f"{where}: IMIX mean {s.get('mean_wire_size')}")
                # Every frame fed is forwarded, in the directions fed only,
                # and every member carries some egress.
                eg, ing = direction != "ingress", direction != "egress"
                check((s.get("fed_egress", 0) > 0) == eg and s.get("egress_packets") == s.get("fed_egress"),
                      f"{where}: egress {s.get('egress_packets')} of {s.get('fed_egress')} fed")
                check((s.get("fed_ingress", 0) > 0) == ing and s.get("ingress_packets") == s.get("fed_ingress"),
                      f"{where}: ingress {s.get('ingress_packets')} of {s.get('fed_ingress')} fed")
                per_member = s.get("member_egress", [])
                check(len(per_member) == s.get("members") and all((m > 0) == eg for m in per_member),
                      f"{where}: per-member egress {per_member}")
                check(sum(per_member) == s.get("egress_packets"), f"{where}: member egress does not add up")
check(count == len(scenarios), f"{len(scenarios) - count} scenarios outside the matrix")

if failures:
    print("\n".join(failures[:50]))
    sys.exit(f"{len(failures)} failures")
print(f"ok: {len(scenarios)} scenarios in {len(cells)} cells")
