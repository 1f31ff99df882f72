#!/usr/bin/env bash
# Soak: two dpdk-lagd back to back with LACP and MKA-keyed MACsec (rekeyed on a
# schedule), a numbered UDP stream through them and member links flapped on a
# schedule, for MINUTES minutes;
# then every frame in order or counted dropped by reason, memory flat, no
# invalid-frame counter moved (tests/soak/soak.py). Needs root.
#   ./scripts/soak.sh MINUTES
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: scripts/soak.sh MINUTES}
if [[ ! -f build/build.ninja ]]; then
    meson setup build >/dev/null
fi
ninja -C build app/dpdk-lagd/dpdk-lagd >/dev/null
exec /usr/bin/python3 tests/soak/soak.py build/app/dpdk-lagd/dpdk-lagd "$minutes"
