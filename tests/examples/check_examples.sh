#!/usr/bin/env bash
# Every config in examples/ passes `dpdk-lagd --check-config`; a refused one
# gets the file:line error and rule a start gives; so does a key file that
# group or others may read.
#   check_examples.sh DPDK_LAGD EXAMPLES_DIR BAD_FILE
set -euo pipefail
lagd=$1 examples=$2 bad=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# git keeps no file modes but 644/755: the key files get the 0600 the loader demands.
cp -r "$examples"/. "$tmp"/
chmod 600 "$tmp"/example-cak.hex "$tmp"/example-keys.txt

fail=0
n=0
for f in "$tmp"/*.toml; do
    n=$((n + 1))
    if out=$("$lagd" --check-config "$f" 2>&1) && [[ $out == *"config OK"* ]]; then
        echo "ok: $(basename "$f"): $out"
    else
        echo "FAIL: $(basename "$f") refused: $out"; fail=1
    fi
done
((n >= 6)) || { echo "FAIL: only $n examples found in $examples"; fail=1; }

expect_refused() { # file, what the error must hold...
    local f=$1; shift
    local out rc=0
    out=$("$lagd" --check-config "$f" 2>&1) || rc=$?
    if ((rc != 2)); then
        echo "FAIL: $f: exit $rc, not 2: $out"; fail=1; return
    fi
    for want in "$@"; do
        [[ $out == *"$want"* ]] || { echo "FAIL: $f: '$want' not in: $out"; fail=1; return; }
    done
    echo "ok: refused as expected: $out"
}
cp "$bad" "$tmp"/bad.toml
expect_refused "$tmp"/bad.toml "$tmp/bad.toml:14:" "member 'm9' is not a [[port]]" "[rule: no-such-port]"
chmod 644 "$tmp"/example-cak.hex
expect_refused "$tmp"/lacp-mka.toml "example-cak.hex: mode 0644" "[rule: key-file-mode]"
chmod 600 "$tmp"/example-cak.hex
"$lagd" --check-config "$tmp"/missing.toml >/dev/null 2>&1 && { echo "FAIL: a missing file passed"; fail=1; }
exit $fail
