#!/usr/bin/env bash
# The Debian package: built with dpkg-buildpackage from this tree (its
# tracked and untracked, not ignored, files) in WORK, installed with dpkg -i,
# then dpdk-lagd --check-config on installed examples, lagctl --help, the man
# pages and systemd-analyze verify on the installed unit, all from the
# installed paths; then the package is purged and WORK removed.
#   build_install.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=$1 work=$2
if [[ $(id -u) -ne 0 ]]; then
    echo "build_install.sh: installing a package needs root"
    exit 77 # meson: skipped, never passed
fi
if dpkg-query -W -f='${Status}' dpdk-lag 2>/dev/null | grep -q 'install ok installed'; then
    echo "FAIL: a dpdk-lag package is installed already; this test installs and purges its own"
    exit 1
fi
rm -rf "$work"
mkdir -p "$work/src"
installed=0
cleanup() {
    ((installed)) && dpkg --purge dpdk-lag >/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

(cd "$src" && git ls-files -z --cached --others --exclude-standard | tar -c --null -T - -f -) | tar -x -C "$work/src" -f -
# ccache, where there is one: debhelper gives the build a HOME of its own, so
# say where the cache is; paths relative to the copy hit again next time.
if command -v ccache >/dev/null; then
    CCACHE_DIR=$(ccache -k cache_dir) && export CCACHE_DIR
    export CCACHE_BASEDIR=$work/src CCACHE_NOHASHDIR=1
fi
start=$SECONDS
# noopt (-O0, which also turns _FORTIFY_SOURCE off) and no -g: this checks
# the packaging, and a compile at -O2 -g costs 8 minutes on 2 busy cores.
(cd "$work/src" && DEB_BUILD_OPTIONS="nocheck noopt parallel=$(nproc)" DEB_CXXFLAGS_STRIP=-g \
    dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) || {
    tail -n 40 "$work/build.log"; echo "FAIL: dpkg-buildpackage"; exit 1; }
deb=$(ls "$work"/dpdk-lag_*.deb)
echo "built $(basename "$deb") in $((SECONDS - start)) s"

fail=0
check() { # what, command...
    local what=$1; shift
    if out=$("$@" 2>&1); then echo "ok: $what"; else echo "FAIL: $what: $out"; fail=1; fi
}
quiet() { # "$@" succeeds and prints nothing (systemd-analyze verify only warns about an unknown key)
    local out
    out=$("$@" 2>&1) && [[ -z $out ]] || { echo "$out"; return 1; }
}
dpkg -i "$deb" >/dev/null
installed=1
ex=/usr/share/doc/dpdk-lag/examples
for f in dpdk-lagd lagctl; do check "/usr/bin/$f installed" test -x /usr/bin/$f; done
for f in static-lag lacp lacp-mka two-lags jumbo static-keys; do
    check "installed $f.toml passes --check-config" /usr/bin/dpdk-lagd --check-config $ex/$f.toml
done
check "example key files are 0600" test "$(stat -c %a $ex/example-cak.hex $ex/example-keys.txt | sort -u)" = 600
if out=$(/usr/bin/lagctl --help) && [[ $out == *"show stats"* ]]; then echo "ok: lagctl --help"; else
    echo "FAIL: lagctl --help: $out"; fail=1; fi
for m in man8/dpdk-lagd.8 man8/lagctl.8 man5/dpdk-lagd.toml.5; do
    check "man page $m" test -s /usr/share/man/$m.gz
done
unit=$(dpkg -L dpdk-lag | grep '/dpdk-lagd\.service$')
check "the unit runs /usr/bin/dpdk-lagd" grep -q '^ExecStart=/usr/bin/dpdk-lagd ' "$unit"
check "systemd-analyze verify $unit, no warning" quiet systemd-analyze verify "$unit"
check "tmpfiles.d entry" grep -q '^d /run/dpdk-lagd 0700' "$(dpkg -L dpdk-lag | grep 'tmpfiles.d/dpdk-lagd.conf$')"
check "not enabled by the package" test ! -e /etc/systemd/system/multi-user.target.wants/dpdk-lagd.service
dpkg --purge dpdk-lag >/dev/null
installed=0
check "purged" test ! -e /usr/bin/dpdk-lagd
exit $fail
