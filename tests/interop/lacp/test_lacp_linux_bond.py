#!/usr/bin/env python3
"""dpdk-lagd's LACP against Linux's bonding driver (802.3ad) in the peer VM
(issue 9, first half, LACP part).

    VM (Debian kernel): bond0 802.3ad over eth0, eth1 (virtio)
        eth0 -- TAP lb<pid>a0 (host) -- dpdk-lagd m0 (net_pcap, 1 RX + 2 TX queues)
        eth1 -- TAP lb<pid>a1 (host) -- dpdk-lagd m1

Checked, with Linux at lacp_rate fast: both ends reach collecting and
distributing on both members (dpdk-lagd's print; /proc/net/bonding/bond0 shows
one aggregator of two ports whose partner is dpdk-lagd's system id and whose
ports are in sync, collecting and distributing); a TAP taken down takes its
member out of dpdk-lagd (within the 3 s short timeout) and out of Linux's
aggregator; up again, it comes back on both ends. Then Linux passive at
lacp_rate slow (dpdk-lagd active): it forms again.
Needs root, /dev/net/tun and qemu (scripts/setup.sh); fails with the reason.

usage: test_lacp_linux_bond.py DPDK_LAGD
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from peervm import PeerVM  # noqa: E402

PID = os.getpid()
TAPS = [f"lb{PID % 100000}a{i}" for i in range(2)]
WORK = Path(os.environ.get("PEER_VM_WORK", "/tmp/dpdk-lag-peervm")) / f"lacp-linux-{PID}"
CACHE = os.environ.get("PEER_VM_CACHE")


def bond_script(extra):
    return f"""
ip link add bond0 type bond mode 802.3ad {extra} miimon 100
for n in eth0 eth1; do ip link set $n down; ip link set $n master bond0; done
ip link set bond0 up
"""


class Lagd:
    LACP = re.compile(r"^lacp (m\d)\s+mux (\S+)\s+rx (\S+)")
    HEAD = re.compile(r"^lacp: \S+ \S+, system (\d+),([0-9a-f:]+),")
    LAG = re.compile(r"^lag \S+: (up|down) \((\d+) of (\d+) members distributing")

    def __init__(self, binary, config):
        args = ["stdbuf", "-oL", binary, "--no-huge", "--no-pci", "-m", "1024", "-l", "0,1", "--main-lcore", "1",
                "--file-prefix", f"lagdvm{PID}", "--log-level", "*:warning", "--", "--config", str(config),
                "--stats", "1"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.lines, self.lacp, self.lag, self.system = [], {}, None, None
        self.lock = threading.Lock()
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        cur = {}
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            with self.lock:
                self.lines.append(line)
                if m := self.HEAD.match(line):
                    self.system = m[2]
                if m := self.LAG.match(line):
                    self.lag = (m[1], int(m[2]))
                if m := self.LACP.match(line):
                    cur[m[1]] = m[2]
                    if len(cur) == 2:
                        self.lacp, cur = cur, {}

    def state(self):
        if self.proc.poll() is not None:
            raise RuntimeError("dpdk-lagd exited:\n" + "\n".join(self.lines[-40:]))
        with self.lock:
            return dict(self.lacp), self.lag

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def linux_aggregator(vm):
    """(ports in the active aggregator, partner MAC, [port state of each slave's actor])"""
    text = vm.cmd("cat /proc/net/bonding/bond0")
    ports = re.search(r"Active Aggregator Info:.*?Number of ports: (\d+)", text, re.S)
    partner = re.search(r"Active Aggregator Info:.*?Partner Mac Address: ([0-9a-f:]+)", text, re.S)
    actor_states = [int(x) for x in re.findall(r"details actor lacp pdu:.*?port state: (\d+)", text, re.S)]
    return (int(ports[1]) if ports else 0, partner[1] if partner else None, actor_states, text)


def wait_for(pred, seconds, step=1.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        print("FAIL: needs root (TAP devices, qemu networking)")
        return 1
    lagd_bin = os.path.abspath(sys.argv[1])
    tmp = Path(tempfile.mkdtemp(prefix="lacp-linux-"))
    empty = tmp / "empty.pcap"
    empty.write_bytes(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    cfg = tmp / "lagd.toml"
    cfg.write_text(f"""[[port]]
name = "access0"
device = "net_pcap0,rx_pcap={empty},tx_pcap={tmp / 'access-out.pcap'}"
[[port]]
name = "m0"
device = "net_pcap1,rx_iface_in={TAPS[0]},tx_iface={TAPS[0]},tx_iface={TAPS[0]}"
[[port]]
name = "m1"
device = "net_pcap2,rx_iface_in={TAPS[1]},tx_iface={TAPS[1]},tx_iface={TAPS[1]}"
[[lag]]
name = "lag0"
access = "access0"
members = ["m0", "m1"]
min_links = 1
[lag.lacp]
mode = "active"
rate = "fast"
""")
    lagd = None
    try:
        with PeerVM(WORK, nics=TAPS, init=bond_script("lacp_rate fast"), cache=CACHE) as vm:
            t0 = time.monotonic()
            lagd = Lagd(lagd_bin, cfg)

            def both_up():
                lacp, lag = lagd.state()
                n, partner, states, _ = linux_aggregator(vm)
                return (len(lacp) == 2 and all(v == "COLLECTING_DISTRIBUTING" for v in lacp.values())
                        and n == 2 and partner == lagd.system and len(states) == 2
                        and all(s & 0x38 == 0x38 for s in states))

            ok = wait_for(both_up, 60)
            n, partner, states, text = linux_aggregator(vm)
            assert ok, f"no convergence: dpdk-lagd {lagd.state()}, Linux:\n{text}"
            print(f"fast: both ends collecting+distributing after {time.monotonic() - t0:.1f} s; Linux: one "
                  f"aggregator of {n} ports, partner {partner} (dpdk-lagd's system id), actor port states {states}")
            assert all(s & 0x02 for s in states), f"Linux at lacp_rate fast shows no short timeout: {states}"

            # One TAP down: the member leaves both ends.
            t_down = time.monotonic()
            subprocess.run(["ip", "link", "set", TAPS[1], "down"], check=True)

            def m1_out():
                lacp, lag = lagd.state()
                n, _, _, _ = linux_aggregator(vm)
                return lacp.get("m1") != "COLLECTING_DISTRIBUTING" and lag == ("up", 1) and n == 1

            ok = wait_for(m1_out, 20, 0.5)
            assert ok, f"m1 did not leave: dpdk-lagd {lagd.state()}, Linux:\n{linux_aggregator(vm)[3]}"
            print(f"TAP {TAPS[1]} down: m1 left dpdk-lagd (LAG up, 1 distributing) and Linux's aggregator "
                  f"(1 port) after {time.monotonic() - t_down:.1f} s")
            subprocess.run(["ip", "link", "set", TAPS[1], "up"], check=True)
            t_up = time.monotonic()
            assert wait_for(both_up, 60), f"m1 did not come back: {lagd.state()}\n{linux_aggregator(vm)[3]}"
            print(f"TAP up: m1 back on both ends after {time.monotonic() - t_up:.1f} s")

            # Linux passive, slow rate: dpdk-lagd (active) still forms the LAG.
            vm.cmd("ip link del bond0")
            vm.cmd(bond_script("lacp_rate slow lacp_active off").strip().replace("\n", "; "))
            t_re = time.monotonic()
            ok = wait_for(both_up, 90)
            n, partner, states, text = linux_aggregator(vm)
            assert ok, f"passive/slow: no convergence: dpdk-lagd {lagd.state()}, Linux:\n{text}"
            assert all(not (s & 0x01) and not (s & 0x02) for s in states), f"Linux not passive+slow: {states}"
            print(f"Linux passive, slow: both ends collecting+distributing after {time.monotonic() - t_re:.1f} s; "
                  f"Linux actor port states {states}")
        print("PASS")
        return 0
    except (AssertionError, RuntimeError) as e:
        print(f"FAIL: {e}")
        if lagd:
            print("dpdk-lagd (last lines):\n" + "\n".join(lagd.lines[-24:]))
        return 1
    finally:
        if lagd:
            lagd.stop()
        subprocess.run(["rm", "-rf", str(tmp)])


if __name__ == "__main__":
    sys.exit(main())
