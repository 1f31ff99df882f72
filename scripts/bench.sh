#!/usr/bin/env bash
# Builds and runs dpdk-lag-bench, the one-core benchmark of this engine's
# worker against DPDK io forwarding and DPDK's 802.3ad bonding PMD, over the
# whole matrix (directions, member counts, frame sizes, MACsec off and on).
#   ./scripts/bench.sh                  table
#   ./scripts/bench.sh --json           one JSON object
#   ./scripts/bench.sh --plot [F.png]   run with --json, keep it beside the
#                                       PNG (F.json), write F.png (default
#                                       build/bench-mpps.png): Mpps by frame
#                                       size, both directions, 2 members, of
#                                       io forwarding, the bonding PMD and the
#                                       worker (clear and MACsec), with
#                                       gnuplot; print the figures as
#                                       Markdown tables
#   ./scripts/bench.sh --help           every option
# Other options go to dpdk-lag-bench. Run as root, the harness reserves 2 MB
# hugepages (and mounts hugetlbfs) for the run and gives them back at the
# end; otherwise it runs with --no-huge. Either way it says which in its
# output.
set -euo pipefail
cd "$(dirname "$0")/.."
plot=""
args=()
while [[ $# -gt 0 ]]; do
    if [[ $1 == --plot ]]; then
        plot=build/bench-mpps.png
        if [[ $# -gt 1 && $2 == *.png ]]; then plot=$2; shift; fi
    else
        args+=("$1")
    fi
    shift
done
if [[ ! -f build/build.ninja ]]; then
    meson setup build >&2
fi
ninja -C build -j "${JOBS:-2}" bench/harness/dpdk-lag-bench >&2
if [[ -z $plot ]]; then
    exec ./build/bench/harness/dpdk-lag-bench "${args[@]}"
fi
command -v gnuplot >/dev/null || { echo "bench.sh: gnuplot is missing (scripts/setup.sh installs gnuplot-nox)" >&2; exit 2; }
json=${plot%.png}.json
rc=0
./build/bench/harness/dpdk-lag-bench --json "${args[@]}" >"$json" || rc=$?
dat=$(mktemp /tmp/bench-plot.XXXX.dat)
trap 'rm -f "$dat" "$dat.plot"' EXIT
/usr/bin/python3 - "$json" "$dat" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = {}
for s in d["scenarios"]:
    if s.get("ok"):
        rows[(s["frame_size"], s["macsec"], s["direction"], s["name"])] = s
sizes = d["matrix"]["frame_sizes"]
members = d["matrix"]["members"]
k = 2 if 2 in members else members[0]
def get(size, macsec, direction, name, key="mpps"):
    s = rows.get((size, macsec, direction, name))
    return s.get(key) if s else None
def f(v, fmt="{:.2f}"):
    return fmt.format(v) if isinstance(v, (int, float)) else "-"
names = [("io_fwd", False), (f"bond_8023ad_l34_{k}", False), (f"worker_l34_{k}", False),
         (f"worker_l34_macsec_{k}", True)]
titles = ["DPDK io forwarding", "DPDK bonding PMD 802.3ad", "dpdk-lag worker", "dpdk-lag worker, MACsec GCM-AES-128"]
with open(sys.argv[2], "w") as out:
    out.write("# size io_fwd bond worker worker_macsec\n")
    for size in sizes:
        out.write(size + " " + " ".join(f(get(size, m, "both", n), "{:.3f}") if get(size, m, "both", n) else "NaN"
                                       for n, m in names) + "\n")
# The series that have figures (a run with --macsec off has no MACsec one).
series = [(i + 2, t) for i, ((n, m), t) in enumerate(zip(names, titles))
          if any(get(size, m, "both", n) for size in sizes)]
with open(sys.argv[2] + ".plot", "w") as out:
    out.write("plot " + ", ".join(f'"{sys.argv[2]}" using {c}' + (":xtic(1)" if j == 0 else "") + f' title "{t}"'
                                  for j, (c, t) in enumerate(series)) + "\n")
print(f"Both directions, {k} members, Mpps (ratios in the same run):\n")
print("| frame | io fwd | bonding PMD | worker | vs io fwd | vs bonding | NIC hash vs io fwd | NIC hash vs bonding "
      "| worker MACsec | MACsec vs clear |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for size in sizes:
    w, n = f"worker_l34_{k}", f"worker_l34_nichash_{k}"
    print(f"| {size} | {f(get(size, False, 'both', 'io_fwd'))} | {f(get(size, False, 'both', names[1][0]))} "
          f"| {f(get(size, False, 'both', w))} | {f(get(size, False, 'both', w, 'ratio_to_io_fwd'))} "
          f"| {f(get(size, False, 'both', w, 'ratio_to_bond_8023ad'))} "
          f"| {f(get(size, False, 'both', n, 'ratio_to_io_fwd'))} "
          f"| {f(get(size, False, 'both', n, 'ratio_to_bond_8023ad'))} "
          f"| {f(get(size, True, 'both', names[3][0]))} "
          f"| {f(get(size, True, 'both', names[3][0], 'ratio_to_worker_clear'))} |")
print("\nWorker vs the bonding PMD (software hash / NIC hash / MACsec worker vs the bond on MACsec frames), "
      "by direction and members:\n")
dirs = d["matrix"]["directions"]
print("| frame | members | " + " | ".join(dirs) + " |")
print("| --- | --- | " + " | ".join("---" for _ in dirs) + " |")
for size in sizes:
    for m in members:
        cells = []
        for dr in dirs:
            a = get(size, False, dr, f"worker_l34_{m}", "ratio_to_bond_8023ad")
            b = get(size, False, dr, f"worker_l34_nichash_{m}", "ratio_to_bond_8023ad")
            c = get(size, True, dr, f"worker_l34_macsec_{m}", "ratio_to_bond_8023ad")
            cells.append(f"{f(a)} / {f(b)} / {f(c)}")
        print(f"| {size} | {m} | " + " | ".join(cells) + " |")
print(f"\n({d['memory']}; TSC {d['tsc_hz'] / 1e9:.3f} GHz; {d['trials']} trials x {d['seconds_per_trial']} s)")
PY
gnuplot <<GP
set terminal pngcairo size 900,540 noenhanced font ",11"
set output "$plot"
set title "dpdk-lag-bench: one core, both directions, 2 members"
set ylabel "Mpps (both directions counted)"
set xlabel "egress frame size (octets on the wire)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside below horizontal
set grid ytics
set yrange [0:*]
load "$dat.plot"
GP
echo "bench.sh: wrote $plot (figures in $json)" >&2
exit $rc
