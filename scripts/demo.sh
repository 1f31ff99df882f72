#!/usr/bin/env bash
# Set-up, build, then two dpdk-lagd back to back (about a minute, as root):
#   1. dpdk-lagd alone on its embedded default for 2 s (net_null ports: no NIC,
#      no hugepages), with its counters;
#   2. two dpdk-lagd, A and B, joined by a LAG of two members (veth pairs):
#      LACP (fast) and MACsec keyed by MKA (GCM-AES-XPN-256 from the key
#      server; a random CAK in 0600 files, never printed): every session
#      secured, then rekeyed under pings. Each daemon's access port is a TAP
#      (net_tap) in its own network namespace, 10.77.0.1 behind A and
#      10.77.0.2 behind B. Pings and an iperf3 stream go from one namespace to
#      the other through both daemons (a capture shows only MACsec and LACP
#      frames, LACPDUs and MKPDUs on the members); `lagctl show lag` on both sides; member m0 goes
#      down and comes back while the stream runs, with each member's traffic
#      and LACP state once a second.
# Part 2 is scripts/demo_pair.py on tests/interop/lagd_pair.py, the fixture of
# the two-daemon tests. Everything it makes (namespaces, veths, TAPs, daemons,
# files) is removed on exit, also on Ctrl-C. DPDK, namespaces and TAP devices
# need root.
#   DEMO_STREAM=SECONDS   length of the iperf3 stream (default 20)
#   DEMO_BUILD=DIR        build folder (default build); DEMO_SETUP=0 skips
#                         scripts/setup.sh and the build (the interop test does)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then
    echo "demo.sh: needs root (apt-get in setup.sh, DPDK, network namespaces, TAP devices):" >&2
    echo "         sudo $0" >&2
    exit 1
fi
build=${DEMO_BUILD:-build}
if [[ ${DEMO_SETUP:-1} != 0 ]]; then
    echo "== set-up (scripts/setup.sh) and build"
    ./scripts/setup.sh
    [[ -f $build/build.ninja ]] || meson setup "$build" >/dev/null
    ninja -C "$build" -j "$(nproc)" app/dpdk-lagd/dpdk-lagd app/lagctl/lagctl >/dev/null
fi
lagd=$build/app/dpdk-lagd/dpdk-lagd
lagctl=$build/app/lagctl/lagctl
trap 'exit 130' INT TERM

echo "== 1. dpdk-lagd alone on its embedded default for 2 s (net_null ports, one worker lcore)"
lcores=0-1
[[ $(nproc) -ge 2 ]] || lcores=0
"$lagd" --no-huge --no-pci -m 1024 --no-shconf --file-prefix "lagd-demo-$$" -l "$lcores" --log-level '*:warning' \
    -- --socket none --duration 2 2>&1 | grep -v -e '^EAL:' -e '^TELEMETRY:' | sed 's/^/  /'

echo
echo "== 2. two dpdk-lagd back to back: LAG of two veth members, LACP, MACsec keyed by MKA, TAP access ports"
exec /usr/bin/python3 scripts/demo_pair.py "$lagd" "$lagctl" --stream "${DEMO_STREAM:-20}"
