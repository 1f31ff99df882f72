#!/usr/bin/env bash
# `meson install` into a temporary root: the programs, man pages, examples
# (key files 0600), the systemd unit and tmpfiles.d entry in place, the
# installed dpdk-lagd checks an installed example, and the installed unit
# passes `systemd-analyze verify` inside that root.
#   install_tree.sh BUILD_DIR
set -euo pipefail
build=$1
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
meson install -C "$build" --no-rebuild --quiet --destdir "$root" >/dev/null
prefix=$(meson introspect "$build" --buildoptions | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
fail=0
check() { # what, command...
    local what=$1; shift
    if out=$("$@" 2>&1); then echo "ok: $what"; else echo "FAIL: $what: $out"; fail=1; fi
}
quiet() { # "$@" succeeds and prints nothing (systemd-analyze verify only warns about an unknown key)
    local out
    out=$("$@" 2>&1) && [[ -z $out ]] || { echo "$out"; return 1; }
}
p=$root$prefix
for f in bin/dpdk-lagd bin/lagctl; do check "$f" test -x "$p/$f"; done
for m in man8/dpdk-lagd.8 man8/lagctl.8 man5/dpdk-lagd.toml.5; do
    check "man page $m" grep -q '^\.TH' "$p/share/man/$m"
done
ex=$p/share/doc/dpdk-lag/examples
for f in static-lag lacp lacp-mka two-lags jumbo static-keys; do
    check "installed $f.toml passes the installed dpdk-lagd --check-config" "$p/bin/dpdk-lagd" --check-config "$ex/$f.toml"
done
check "example key files 0600" test "$(stat -c %a "$ex/example-cak.hex" "$ex/example-keys.txt" | sort -u)" = 600
unit=$(find "$root" -name dpdk-lagd.service)
tmpfiles=$(find "$root" -path '*tmpfiles.d/dpdk-lagd.conf')
check "unit installed" test -f "$unit"
check "tmpfiles.d installed" grep -q '^d /run/dpdk-lagd 0700 root root' "$tmpfiles"
check "the unit runs the installed dpdk-lagd" grep -q "^ExecStart=$prefix/bin/dpdk-lagd " "$unit"
# systemd-analyze checks every directive and that the programs exist: a copy
# of the unit whose program paths point into the root (verify --root would
# want all of systemd's own units there). The package test verifies the
# unit unchanged, installed in /lib/systemd/system.
mkdir -p "$root/verify"
sed "s|$prefix/bin/|$p/bin/|g" "$unit" > "$root/verify/dpdk-lagd.service"
# Documentation= names man pages: the installed ones.
check "systemd-analyze verify, no warning" quiet env MANPATH="$p/share/man" systemd-analyze verify "$root/verify/dpdk-lagd.service"
exit $fail
