#!/usr/bin/env bash
# Builds and runs dpdk-lag-bench, the one-core benchmark of this engine's
# worker against DPDK io forwarding and DPDK's 802.3ad bonding PMD.
#   ./scripts/bench.sh            table
#   ./scripts/bench.sh --json     one JSON object
#   ./scripts/bench.sh --help     every option
# Run as root, the harness reserves 2 MB hugepages (and mounts hugetlbfs) for
# the run and gives them back at the end; otherwise it runs with --no-huge.
# Either way it says which in its output.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f build/build.ninja ]]; then
    meson setup build >&2
fi
ninja -C build -j "${JOBS:-2}" bench/harness/dpdk-lag-bench >&2
exec ./build/bench/harness/dpdk-lag-bench "$@"
