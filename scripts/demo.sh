#!/usr/bin/env bash
# Set-up, build, then the main job on an embedded default. It grows with the
# project: for now it walks the LAG model's rules.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
[[ -f build/build.ninja ]] || meson setup build >/dev/null
ninja -C build -j "$(nproc)" >/dev/null
./build/app/lag-model-tour/lag-model-tour
