#!/usr/bin/env bash
# How dpdk-lagd's workers scale with cores: runs the daemon on its embedded
# default (net_null access and two net_null members, every worker owning one
# RX/TX queue of every port) with 1, 2, 4, ... worker lcores for SECONDS each
# and prints the egress and ingress packet rates it reports.
#   ./scripts/scale.sh [SECONDS] [MAX_WORKERS]
# net_null hands out identical frames, so all egress hashes to one member:
# this measures worker throughput and scaling, not the distribution.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-4}
max=${2:-$(($(nproc) - 1))}
lagd=${LAGD:-build/app/dpdk-lagd/dpdk-lagd}
[[ -x $lagd ]] || { echo "scale.sh: build first (ninja -C build)" >&2; exit 1; }
printf '%-8s %14s %14s\n' workers egress_Mpps ingress_Mpps
n=1
while ((n <= max)); do
    out=$("$lagd" --no-huge --no-pci -m 2048 --no-shconf --file-prefix scale$$-$n -l 0-$n \
        --log-level '*:error' ${EAL_EXTRA:-} -- --socket none --duration "$secs" 2>&1)
    line=$(grep '^ran ' <<<"$out") || { echo "$out" >&2; exit 1; }
    read -r eg in < <(sed -E 's/.*: ([0-9.]+) Mpps egress.*, ([0-9.]+) Mpps ingress.*/\1 \2/' <<<"$line")
    printf '%-8s %14s %14s\n' "$n" "$eg" "$in"
    if ((n < 2)); then n=2; elif ((n * 2 > max && n < max)); then n=$max; else n=$((n * 2)); fi
done
