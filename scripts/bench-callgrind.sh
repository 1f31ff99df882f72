#!/usr/bin/env bash
# Instructions per forwarded packet of dpdk-lag-bench's scenarios, counted by
# valgrind's callgrind: exact and independent of machine load, unlike the
# cycle figures. Only the forwarding is counted (--toggle-collect on the poll
# functions: port_pair_fwd::poll for io_fwd and the bonds, worker::poll_once
# for the worker), divided by the frames the ports counted.
#   ./scripts/bench-callgrind.sh [SCENARIO ...]     default: all five
#   DIRECTIONS="both egress ingress" (default)       which --direction runs
#   SIZE=imix (default), 64, 512 or 1518              the egress frame size (--sizes)
# worker_l34_macsec_K runs in the MACsec cell (--macsec on), the rest clear.
#   KEEP=DIR                                         keep callgrind.out files there
# Under valgrind EAL cannot reserve its hugepage address space, so these runs
# use --no-huge (the instruction counts do not depend on it).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f build/build.ninja ]]; then
    meson setup build >&2
fi
ninja -C build -j "${JOBS:-2}" bench/harness/dpdk-lag-bench >&2
command -v valgrind >/dev/null || { echo "bench-callgrind: valgrind is missing (scripts/setup.sh installs it)" >&2; exit 2; }
scenarios=("$@")
[[ ${#scenarios[@]} -gt 0 ]] || scenarios=(io_fwd bond_8023ad_l34_2 bond_8023ad_l34_4 worker_l34_2 worker_l34_4)
dirs=(${DIRECTIONS:-both egress ingress})
tmp=$(mktemp -d "/tmp/bench-callgrind.$$.XXXX")
trap 'rm -rf "$tmp"' EXIT
printf '%-20s' scenario; for d in "${dirs[@]}"; do printf ' %14s' "$d"; done; printf '   (instructions per packet)\n'
for sc in "${scenarios[@]}"; do
    case $sc in
    worker_*) fn='lag::dp::worker::poll_once()' ;;&
    worker_l34_macsec_*) ms=on ;;
    worker_*) ms=off ;;
    *) ms=off; fn='lag::bench::(anonymous namespace)::port_pair_fwd::poll()' ;;
    esac
    printf '%-20s' "$sc"
    for d in "${dirs[@]}"; do
        out="$tmp/$sc.$d"
        valgrind --tool=callgrind --callgrind-out-file="$out.cg" --toggle-collect="$fn" \
            ./build/bench/harness/dpdk-lag-bench --hugepages no --only "$sc" --direction "$d" \
            --sizes "${SIZE:-imix}" --macsec "$ms" \
            --trials 1 --seconds 0.2 --json >"$out.json" 2>"$out.err" ||
            { echo; echo "bench-callgrind: $sc $d failed:" >&2; tail -5 "$out.err" >&2; exit 1; }
        /usr/bin/python3 - "$out.json" "$out.err" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
s = d["scenarios"][0]
if s.get("error"):
    sys.exit("bench-callgrind: " + s["error"])
ir = int(re.search(r"Collected : (\d+)", open(sys.argv[2]).read()).group(1))
print(" %14.1f" % (ir / (s["egress_packets"] + s["ingress_packets"])), end="")
PY
        [[ -n ${KEEP:-} ]] && cp "$out.cg" "$KEEP/callgrind.$sc.$d.out"
    done
    echo
done
