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
#   4. LACP: dpdk-lagd against DPDK's bonding PMD in 802.3ad mode (dpdk-testpmd)
#      over two veth pairs between two network namespaces: both ends converge
#      (timestamps, per-member mux state) before any traffic flows, then the
#      same 512 flows cross one way and testpmd's flowgen the other.
# No hugepages and no NIC needed. DEMO_SECONDS sets the length of runs 1 to 3.
# Part 4 needs root (network namespaces); everything it made is removed on
# exit, also on Ctrl-C.
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
ns_tp=demo-tp-$$
ns_lagd=demo-lagd-$$
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    ip netns del "$ns_tp" 2>/dev/null || true
    ip netns del "$ns_lagd" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== 1. dpdk-lagd on its embedded default for ${secs}s"
"$lagd" -- --print-default-config | grep -v '^#' | grep -v '^$' | sed 's/^/    /'
"$lagd" "${eal[@]}" -- --socket none --duration "$secs" 2>&1 | grep -v -e '^EAL:' -e '^TELEMETRY:'

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
"$lagd" "${eal[@]}" -- --socket none --config "$tmp/demo.toml" --duration "$secs" 2>&1 | grep -v -e '^EAL:' -e '^TELEMETRY:'

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
"$lagd" "${eal[@]}" -- --socket none --config "$tmp/demo.toml" --duration "$secs" 2>&1 | grep -v -e '^EAL:' -e '^TELEMETRY:'

echo
echo "== 4. LACP: dpdk-lagd against DPDK's bonding PMD (dpdk-testpmd, mode 4) over veths"
if [[ $(id -u) -ne 0 ]]; then
    echo "   (skipped: needs root for network namespaces)"
    exit 0
fi
ip netns add "$ns_tp"
ip netns add "$ns_lagd"
for i in 0 1; do
    ip link add "dtp$i" netns "$ns_tp" type veth peer name "dlg$i" netns "$ns_lagd"
    for pair in "$ns_tp dtp$i" "$ns_lagd dlg$i"; do
        set -- $pair
        ip -n "$1" link set "$2" up
        # LACPDUs ahead of data, data capped (as tests/interop/lacp does).
        tc -n "$1" qdisc add dev "$2" root handle 1: htb default 20
        tc -n "$1" class add dev "$2" parent 1: classid 1:10 htb rate 1mbit ceil 100mbit prio 0 quantum 1514
        tc -n "$1" class add dev "$2" parent 1: classid 1:20 htb rate 5mbit ceil 5mbit prio 1 quantum 1514
        tc -n "$1" filter add dev "$2" parent 1: protocol 0x8809 prio 1 u32 match u32 0 0 flowid 1:10
    done
done
cat > "$tmp/lacp.toml" <<TOML
[[port]]
name = "access0"
device = "net_pcap0,rx_pcap=$tmp/flows.pcap,infinite_rx=1"
[[port]]
name = "m0"
device = "net_pcap1,rx_iface_in=dlg0,tx_iface=dlg0,tx_iface=dlg0"
[[port]]
name = "m1"
device = "net_pcap2,rx_iface_in=dlg1,tx_iface=dlg1,tx_iface=dlg1"
[[lag]]
name = "lag0"
access = "access0"
members = ["m0", "m1"]
min_links = 1
[lag.lacp]
mode = "active"
rate = "fast"
system_priority = 100
TOML
sed 's/^/    /' "$tmp/lacp.toml" | grep -e lacp -e mode -e rate -e system_priority -e rx_iface
echo "   peer: dpdk-testpmd --vdev net_bonding0,mode=4,slave=net_af_packet0,slave=net_af_packet1 (flowgen on the bond)"
t0=$EPOCHREALTIME
ip netns exec "$ns_tp" stdbuf -oL dpdk-testpmd --no-huge --no-pci -m 1024 -l 0,1 --file-prefix "tp-demo-$$" \
    --log-level '*:warning' \
    --vdev net_af_packet0,iface=dtp0,qdisc_bypass=0,framecnt=4096 \
    --vdev net_af_packet1,iface=dtp1,qdisc_bypass=0,framecnt=4096 \
    --vdev net_bonding0,mode=4,slave=net_af_packet0,slave=net_af_packet1,xmit_policy=l34 \
    -- --total-num-mbufs=16384 --forward-mode=flowgen --portmask=0x4 --stats-period 1 \
    >"$tmp/testpmd.log" 2>&1 </dev/null &
pids+=($!)
ip netns exec "$ns_lagd" stdbuf -oL "$lagd" --no-huge --no-pci -m 1024 -l 0,1 --main-lcore 1 \
    --file-prefix "lagd-lacp-$$" --log-level '*:warning' -- --config "$tmp/lacp.toml" --stats 1 --socket "$tmp/lagd.sock" \
    >"$tmp/lagd.log" 2>&1 &
pids+=($!)
# Follow dpdk-lagd's LACP lines and the traffic it forwards, once a second:
# seconds since start, LAG state, each member's mux state and the partner's
# flags (A activity, T short timeout, G aggregation, S sync, C collecting,
# D distributing), packets received and sent on each port.
seen=0
for _ in $(seq 1 12); do
    sleep 1
    now=$(grep -c '^lag lag0' "$tmp/lagd.log" || true)
    (( now > seen )) || continue
    seen=$now
    awk -v n="$now" -v t="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{print b-a}')" '
        /^lag lag0/ { k++; if (k == n) lag = $3 " " substr($4, 2) "/" $6 " distributing"; next }
        k != n { next }
        /^lacp m/ { st = st sprintf("  %s %-23s %s", $2, $4, $(NF-10)) }
        /^(access0|m0|m1) / { pk = pk sprintf(" %s %s/%s", $1, $4, $6) }
        END { printf "  %5.1fs  LAG %-20s|%s\n          rx/tx%s\n", t, lag, st, pk }' "$tmp/lagd.log"
done
echo "   testpmd's bond port (its last stats print):"
grep -E 'RX-packets|TX-packets' "$tmp/testpmd.log" | tail -2 | sed 's/^ */    /'
echo "   lagctl show lag (dpdk-lagd's control socket):"
./build/app/lagctl/lagctl --socket "$tmp/lagd.sock" show lag | sed 's/^/    /' || true
echo "   lagctl show lacp:"
./build/app/lagctl/lagctl --socket "$tmp/lagd.sock" show lacp | sed 's/^/    /' || true
