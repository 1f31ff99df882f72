#!/usr/bin/env bash
# Set-up, build, then the main job: dpdk-lagd forwarding through a static LAG
# of two virtual members, with its counters.
#   1. the embedded default (access and members are net_null: endless frames,
#      all alike, so one flow and one member);
#   2. a traffic mix of 512 flows (IPv4/IPv6, TCP/UDP, 60 to 1464 bytes)
#      replayed forever from a pcap on the access port, spread over both members;
#   3. the same LAG with static MACsec keys (GCM-AES-XPN-256, SCI in every
#      SecTAG, the provider profile): the workers protect every egress frame;
#      the net_null members' endless clear frames are dropped as untagged
#      (validate strict) and counted. Keys are drawn at random into a key file
#      created 0600, and never printed.
# No hugepages and no NIC needed. DEMO_SECONDS sets each run's length.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
[[ -f build/build.ninja ]] || meson setup build >/dev/null
ninja -C build -j "$(nproc)" >/dev/null

secs=${DEMO_SECONDS:-3}
lagd=./build/app/dpdk-lagd/dpdk-lagd
lcores=0-1
[[ $(nproc) -ge 2 ]] || lcores=0
eal=(--no-huge --no-pci -m 1024 --no-shconf --file-prefix "lagd-demo-$$" -l "$lcores" --log-level '*:warning')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== 1. dpdk-lagd on its embedded default for ${secs}s"
"$lagd" -- --print-default-config | grep -v '^#' | grep -v '^$' | sed 's/^/    /'
"$lagd" "${eal[@]}" -- --duration "$secs" 2>&1 | grep -v -e '^EAL:' -e '^TELEMETRY:'

echo
echo "== 2. 512 flows replayed on the access port, ${secs}s"
/usr/bin/python3 - "$tmp/flows.pcap" <<'PY'
import sys
from scapy.all import IP, IPv6, TCP, UDP, Ether, Raw, wrpcap
pk = []
for f in range(512):
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    l3 = IPv6(src="2001:db8::%x" % (f + 1), dst="2001:db8:1::1") if f % 2 else \
        IP(src="10.0.%d.%d" % (f // 250, f % 250 + 1), dst="10.1.0.1")
    l4 = TCP(sport=1024 + f, dport=443) if f % 3 else UDP(sport=1024 + f, dport=4789)
    pk.append(eth / l3 / l4 / Raw(b"x" * (6 + (f * 61) % 1400)))
wrpcap(sys.argv[1], pk)
PY
cat > "$tmp/demo.toml" <<TOML
[[port]]
name = "access0"
device = "net_pcap0,rx_pcap=$tmp/flows.pcap,infinite_rx=1"
[[port]]
name = "m0"
device = "net_null1"
speed = "10G"
[[port]]
name = "m1"
device = "net_null2"
speed = "10G"
[[lag]]
name = "lag0"
access = "access0"
members = ["m0", "m1"]
min_links = 1
hash = "l34"
TOML
sed 's/^/    /' "$tmp/demo.toml"
"$lagd" "${eal[@]}" -- --config "$tmp/demo.toml" --duration "$secs" 2>&1 | grep -v -e '^EAL:' -e '^TELEMETRY:'

echo
echo "== 3. the same LAG with static MACsec keys (GCM-AES-XPN-256), ${secs}s"
key() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
( umask 077; printf 'm0-tx = %s\nm0-rx = %s\nm1-tx = %s\nm1-rx = %s\n' "$(key)" "$(key)" "$(key)" "$(key)" > "$tmp/keys" )
ls -l "$tmp/keys" | awk '{print "    key file mode " $1}'
salt=$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
cat >> "$tmp/demo.toml" <<TOML
[lag.macsec]
mode = "static"
cipher = "gcm-aes-xpn-256"
include_sci = true
confidentiality_offset = 0
replay_window = 0
validate = "strict"
key_file = "keys"
[[lag.macsec.member]]
port = "m0"
sci = "020000000a00-0001"
tx_key = "m0-tx"
tx_ssci = 1
tx_salt = "$salt"
peer_sci = "020000000b00-0001"
rx_key = "m0-rx"
rx_ssci = 2
rx_salt = "$salt"
[[lag.macsec.member]]
port = "m1"
sci = "020000000a01-0001"
tx_key = "m1-tx"
tx_ssci = 1
tx_salt = "$salt"
peer_sci = "020000000b01-0001"
rx_key = "m1-rx"
rx_ssci = 2
rx_salt = "$salt"
TOML
sed -n '/lag.macsec/,$p' "$tmp/demo.toml" | sed 's/^/    /'
"$lagd" "${eal[@]}" -- --config "$tmp/demo.toml" --duration "$secs" 2>&1 | grep -v -e '^EAL:' -e '^TELEMETRY:'
