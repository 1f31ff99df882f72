#!/usr/bin/python3
"""MACsec interop with the Linux kernel's own implementation (drivers/net/macsec.c)
in the peer VM (tests/interop/peervm.py: Debian's kernel, iproute2's `ip macsec`).

For GCM-AES-128, GCM-AES-256, GCM-AES-XPN-128 and GCM-AES-XPN-256, with
encryption and integrity only (SCI in the SecTAG, as the kernel sends it):
  host -> VM   ICMP echo requests protected by lib/macsec (macsec-pcap-tool)
               are written raw onto the VM NIC's TAP; the kernel must verify
               and decrypt them, or it would not answer;
  VM -> host   the kernel protects its echo replies; lib/macsec verifies and
               decrypts every one back to an ICMP echo reply with the same
               identifier, sequence and payload;
  a tampered request gets no answer.
The Linux macsec driver has no confidentiality offset, so offsets are left to
the scapy oracle (test_scapy_interop.py).

usage: test_kernel_macsec.py PATH/TO/macsec-pcap-tool
Needs root, /dev/net/tun and qemu (scripts/setup.sh); fails, never skips.
"""

import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from peervm import PeerVM  # noqa: E402

from scapy.all import Ether, IP, ICMP, Raw, wrpcap, rdpcap, raw  # noqa: E402

TOOL = sys.argv[1]
WORK = Path(os.environ.get("PEER_VM_WORK", "/tmp/dpdk-lag-peervm")) / "kernel-macsec"
CACHE = os.environ.get("PEER_VM_CACHE")
TAP = "tpmk%d" % (os.getpid() % 1000)
HOST_MAC = "02:00:00:00:77:01"
HOST_SCI = 0x0200000077010001
SALT = "e630e81a48de86a21c66fa6d"
SUITES = {"gcm-aes-128": 16, "gcm-aes-256": 32, "gcm-aes-xpn-128": 16, "gcm-aes-xpn-256": 32}
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def key(n, seed):
    return bytes((seed + 7 * i) & 0xFF for i in range(n))


def tool(mode, suite, sci, k, ssci, encrypt, inp, outp, tmp):
    kf = os.path.join(tmp, "key")
    with open(kf, "w") as f:
        f.write(k.hex())
    os.chmod(kf, 0o600)
    args = [TOOL, mode, "--suite", suite, "--key-file", kf, "--sci", f"{sci:x}", "--an", "0",
            "--pn", "1", "--ssci", f"{ssci:x}", "--salt", SALT]
    if not encrypt:
        args.append("--integrity")
    r = subprocess.run(args + [inp, outp], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"macsec-pcap-tool {mode}: {r.stderr.strip()}")
    return r.stdout


def vm_setup(vm, suite, encrypt, vm_key, host_key, vm_mac):
    xpn = "xpn" in suite
    # The XPN suites take a 64-bit initial PN ("xpn"), an SSCI and the salt.
    tx_opts = f"xpn 1 ssci 1 salt {SALT}" if xpn else "pn 1"
    rx_opts = f"xpn 1 ssci 2 salt {SALT}" if xpn else "pn 1"
    vm.cmd("ip link del macsec0 2>/dev/null; true")
    vm.cmd("ip link set eth0 up")
    vm.cmd(f"ip link add link eth0 macsec0 type macsec port 1 cipher {suite} icvlen 16 "
           f"encrypt {'on' if encrypt else 'off'} send_sci on")
    vm.cmd(f"ip macsec add macsec0 tx sa 0 {tx_opts} on key {'01' * 16} {vm_key.hex()}")
    vm.cmd(f"ip macsec add macsec0 rx port 1 address {HOST_MAC}")
    vm.cmd(f"ip macsec add macsec0 rx port 1 address {HOST_MAC} sa 0 {rx_opts} on "
           f"key {'02' * 16} {host_key.hex()}")
    vm.cmd("echo 1 > /proc/sys/net/ipv6/conf/macsec0/disable_ipv6 2>/dev/null; true")
    vm.cmd("ip addr add 10.77.0.2/24 dev macsec0")
    vm.cmd("ip link set macsec0 up")
    vm.cmd(f"ip neigh replace 10.77.0.1 lladdr {HOST_MAC} dev macsec0")


def run_suite(vm, tx, rx, suite, encrypt, vm_mac, tmp):
    name = f"{suite} {'encrypted' if encrypt else 'integrity'}"
    n = SUITES[suite]
    vm_key, host_key = key(n, 0x30 + n), key(n, 0x90 + n)
    vm_setup(vm, suite, encrypt, vm_key, host_key, vm_mac)
    vm_sci = int(vm_mac.replace(":", ""), 16) << 16 | 1
    sizes = [0, 18, 100, 1000, 1400]
    ident = 0x4D00 + len(failures)
    reqs = [Ether(src=HOST_MAC, dst=vm_mac) / IP(src="10.77.0.1", dst="10.77.0.2") /
            ICMP(type=8, id=ident, seq=i) / Raw(bytes((i + j) & 0xFF for j in range(s)))
            for i, s in enumerate(sizes)]
    pin, pout = os.path.join(tmp, "req.pcap"), os.path.join(tmp, "req-prot.pcap")
    wrpcap(pin, reqs)
    tool("protect", suite, HOST_SCI, host_key, 2, encrypt, pin, pout, tmp)
    prot = [raw(p) for p in rdpcap(pout)]
    tampered = bytearray(prot[2])
    tampered[-20] ^= 0x04  # inside the secure data of request seq 2

    # Drain, then send: the tampered copy first (dropped: PN 3 is still
    # unused afterwards), then every request in order.
    while select.select([rx], [], [], 0)[0]:
        rx.recv(65535)
    tx.send(bytes(tampered))
    for f in prot:
        tx.send(f)
    got = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if len(got) >= len(sizes):  # then a little longer, for anything extra
            deadline = min(deadline, time.monotonic() + 0.5)
        if select.select([rx], [], [], 0.1)[0]:
            f = rx.recv(65535)
            if len(f) > 14 and f[12:14] == b"\x88\xe5" and f[6:12] == bytes.fromhex(vm_mac.replace(":", "")):
                got.append(f)
    check(len(got) == len(sizes), f"{name}: {len(got)} protected replies of {len(sizes)}"
          f" ({vm.cmd('ip -s macsec show macsec0')[-1500:]})")
    if not got:
        return
    gin, gout = os.path.join(tmp, "rep.pcap"), os.path.join(tmp, "rep-plain.pcap")
    wrpcap(gin, [Ether(f) for f in got])
    out = tool("verify", suite, vm_sci, vm_key, 1, encrypt, gin, gout, tmp)
    check('"drop' not in out, f"{name}: lib/macsec rejected kernel frames: {out}")
    replies = [Ether(raw(p)) for p in rdpcap(gout)]
    seen = {}
    for r in replies:
        if ICMP in r and r[ICMP].type == 0 and r[ICMP].id == ident:
            seen.setdefault(r[ICMP].seq, []).append(bytes(r[ICMP].payload))
    for i, s in enumerate(sizes):
        want = bytes((i + j) & 0xFF for j in range(s))
        # Exactly one reply each: the tampered copy of request 2 got none.
        check(seen.get(i) == [want], f"{name}: echo reply {i}: {len(seen.get(i, []))} replies or changed")
    print(f"{name}: {len(seen)} of {len(sizes)} echo replies verified", flush=True)


def main():
    with tempfile.TemporaryDirectory() as tmp, PeerVM(WORK, nics=[TAP], cache=CACHE) as vm:
        vm_mac = vm.cmd("cat /sys/class/net/eth0/address").strip().splitlines()[-1]
        tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        tx.bind((TAP, 0))
        rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        rx.bind((TAP, 0))
        try:
            for suite in SUITES:
                for encrypt in (True, False):
                    run_suite(vm, tx, rx, suite, encrypt, vm_mac, tmp)
        finally:
            tx.close()
            rx.close()
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
