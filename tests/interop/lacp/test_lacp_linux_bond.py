#!/usr/bin/env python3
"""dpdk-lagd's LACP against Linux's bonding driver (802.3ad) in the peer VM
(issue 9, first half, LACP part).

    VM (Debian kernel): bond0 802.3ad over eth0, eth1 (virtio), 10.78.0.1/24
        eth0 -- TAP lb<pid>a0 --.                      ns lv<pid> (the TAPs are moved in)
        eth1 -- TAP lb<pid>a1 --+-- dpdk-lagd m0, m1 (net_pcap, 1 RX + 2 TX queues)
                                    access0 = net_tap lv<pid>t, 10.78.0.2/24

Checked, with Linux active at lacp_rate fast: both ends reach collecting and
distributing on both members (dpdk-lagd's `show lag`; /proc/net/bonding/bond0
shows one aggregator of two ports whose partner is dpdk-lagd's system id and
whose ports are in sync, collecting and distributing); pings from the
namespace behind dpdk-lagd's access port to bond0's address cross the LAG;
the TAP of the member that carries dpdk-lagd's pings is taken down in the
middle of a ping stream: the member leaves dpdk-lagd and Linux's aggregator,
dpdk-lagd's pings move to the other member and all are answered again; the
TAP comes back on both ends. min-links 2, set at run time over the control
socket, takes the LAG down when a TAP goes down (the access TAP's link goes
down, pings stop) and up when it comes back (pings answered). Then Linux
active at lacp_rate slow, and Linux passive: each forms the LAG again (the
actor state in /proc/net/bonding/bond0 says so) and pings cross.
Needs root, /dev/net/tun and qemu (scripts/setup.sh); fails with the reason.

usage: test_lacp_linux_bond.py DPDK_LAGD
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lagd_pair import Lagd, Netns, sh  # noqa: E402
from peervm import PeerVM  # noqa: E402

PID = os.getpid()
TAPS = [f"lb{PID % 100000}a{i}" for i in range(2)]
NS = f"lv{PID % 100000}"
ACCESS = f"lv{PID % 100000}t"
VM_IP, LAGD_IP = "10.78.0.1", "10.78.0.2"
SYSTEM = "02:00:00:00:0a:00"  # dpdk-lagd's LACP system id
WORK = Path(os.environ.get("PEER_VM_WORK", "/tmp/dpdk-lag-peervm")) / f"lacp-linux-{PID}"
CACHE = os.environ.get("PEER_VM_CACHE")


def bond_script(extra):
    return f"""
ip link add bond0 type bond mode 802.3ad {extra} miimon 100
for n in eth0 eth1; do ip link set $n down; ip link set $n master bond0; done
ip link set bond0 up
ip addr add {VM_IP}/24 dev bond0
"""


def linux_aggregator(vm):
    """(ports in the active aggregator, partner MAC, [port state of each slave's actor], the whole text)"""
    text = vm.cmd("cat /proc/net/bonding/bond0")
    ports = re.search(r"Active Aggregator Info:.*?Number of ports: (\d+)", text, re.S)
    partner = re.search(r"Active Aggregator Info:.*?Partner Mac Address: ([0-9a-f:]+)", text, re.S)
    actor_states = [int(x) for x in re.findall(r"details actor lacp pdu:.*?port state: (\d+)", text, re.S)]
    return (int(ports[1]) if ports else 0, partner[1] if partner else None, actor_states, text)


def mux(lagd):
    return {m["port"]: m["lacp_mux"] for m in lagd.show("lag lag0")["members"]}


def tx(lagd):
    return {p: v["tx_packets"] for p, v in lagd.show("stats").items() if v["role"] == "member"}


def ping(count, interval=0.05):
    """(sent, answered); (0, 0) when ping cannot send at all (no route: the access TAP is down)."""
    r = subprocess.run(["ip", "netns", "exec", NS, "ping", "-q", "-n", "-c", str(count), "-i", str(interval),
                        "-W", "1", VM_IP], capture_output=True, text=True, timeout=count * interval + 30)
    m = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?received", r.stdout)
    if m:
        return int(m[1]), int(m[2])
    if "Network is unreachable" in r.stderr:
        return 0, 0
    raise RuntimeError(f"ping printed no summary:\n{r.stdout}{r.stderr}")


def access_up():
    """The kernel side of dpdk-lagd's access TAP is up with a carrier."""
    flags = sh("ip", "-n", NS, "link", "show", ACCESS).split("<", 1)[1].split(">", 1)[0].split(",")
    return "UP" in flags and "LOWER_UP" in flags


def tap(i, up):
    sh("ip", "-n", NS, "link", "set", TAPS[i], "up" if up else "down")


class Vm:
    """Waits on both ends at once: dpdk-lagd's `show lag` and Linux's bond0."""

    def __init__(self, vm, lagd):
        self.vm, self.lagd = vm, lagd

    def both_up(self, partner_check=True):
        n, partner, states, _ = linux_aggregator(self.vm)
        return (all(v == "COLLECTING_DISTRIBUTING" for v in mux(self.lagd).values())
                and self.lagd.show("lag lag0")["state"] == "available" and n == 2
                and (partner == SYSTEM or not partner_check) and len(states) == 2
                and all(s & 0x38 == 0x38 for s in states))

    def wait(self, pred, timeout, what):
        try:
            self.lagd.wait_for(pred, timeout, what)
        except TimeoutError as e:
            raise TimeoutError(f"{e}\ndpdk-lagd: {mux(self.lagd)}\nLinux:\n{linux_aggregator(self.vm)[3]}") from e


def converge_and_ping(both, what, t0):
    both.wait(both.both_up, 60, f"{what}: both ends collecting+distributing")
    n, partner, states, _ = linux_aggregator(both.vm)
    print(f"{what}: both ends collecting+distributing after {time.monotonic() - t0:.1f} s; Linux: one "
          f"aggregator of {n} ports, partner {partner} (dpdk-lagd's system id), actor port states {states}",
          flush=True)
    sent, got = ping(20)
    assert got == sent, f"{what}: pings {LAGD_IP} -> {VM_IP} across the LAG: {got}/{sent} answered"
    print(f"{what}: pings {LAGD_IP} (behind dpdk-lagd's access TAP) -> {VM_IP} (bond0): {got}/{sent} answered",
          flush=True)
    return states


def run(lagd_bin, tmp):
    cfg = tmp / "lagd.toml"
    members = "".join(f'[[port]]\nname = "m{i}"\ndevice = "net_pcap{i + 1},rx_iface_in={t},tx_iface={t},'
                      f'tx_iface={t}"\n' for i, t in enumerate(TAPS))
    cfg.write_text(f"""[[port]]
name = "access0"
device = "net_tap0,iface={ACCESS}"
{members}
[[lag]]
name = "lag0"
access = "access0"
members = ["m0", "m1"]
min_links = 1
[lag.lacp]
mode = "active"
rate = "fast"
system_id = "{SYSTEM}"
""")
    netns = Netns(NS).create()
    lagd = None
    try:
        with PeerVM(WORK, nics=TAPS, init=bond_script("lacp_rate fast"), cache=CACHE) as vm:
            # dpdk-lagd and its access TAP live in NS; qemu's TAPs move in there with it.
            for t in TAPS:
                sh("ip", "link", "set", t, "netns", NS)
                sh("ip", "-n", NS, "link", "set", t, "up")
            t0 = time.monotonic()
            lagd = Lagd(lagd_bin, cfg, tmp, "lagdvm", netns=NS)
            lagd.wait_ready()
            sh("ip", "-n", NS, "addr", "add", f"{LAGD_IP}/24", "dev", ACCESS)
            both = Vm(vm, lagd)

            # 1. Linux active, fast: convergence and pings.
            states = converge_and_ping(both, "fast", t0)
            assert all(s & 0x02 for s in states), f"Linux at lacp_rate fast shows no short timeout: {states}"

            # 2. The TAP of the member that carries dpdk-lagd's pings goes down in
            # the middle of a ping stream; the pings move to the other member.
            before = tx(lagd)
            ping(10)
            after = tx(lagd)
            used = max(after, key=lambda m: after[m] - before[m])
            i, other = int(used[1]), f"m{1 - int(used[1])}"
            stream = subprocess.Popen(["ip", "netns", "exec", NS, "ping", "-q", "-n", "-c", "200", "-i", "0.05",
                                       "-W", "1", VM_IP], stdout=subprocess.PIPE, text=True)
            time.sleep(1)
            t_down = time.monotonic()
            tap(i, up=False)
            both.wait(lambda: mux(lagd)[used] != "COLLECTING_DISTRIBUTING" and linux_aggregator(vm)[0] == 1,
                      20, f"{used} out of dpdk-lagd and of Linux's aggregator")
            print(f"TAP {TAPS[i]} ({used}, the one dpdk-lagd's pings used) down: {used} left dpdk-lagd (mux "
                  f"{mux(lagd)[used]}) and Linux's aggregator (1 port) after {time.monotonic() - t_down:.1f} s",
                  flush=True)
            out, _ = stream.communicate(timeout=60)
            m = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?received", out)
            assert m and int(m[2]) > 0, f"ping stream during the loss: {out}"
            before = tx(lagd)
            sent, got = ping(20)
            after = tx(lagd)
            assert got == sent, f"pings with {used} out: {got}/{sent}"
            assert after[used] == before[used] and after[other] > before[other], \
                f"dpdk-lagd's pings did not move to {other}: {before} -> {after}"
            print(f"ping stream across the loss: {m[2]}/{m[1]} answered; then {got}/{sent} answered, all on "
                  f"{other} ({used} sent {after[used] - before[used]}, {other} {after[other] - before[other]})",
                  flush=True)
            t_up = time.monotonic()
            tap(i, up=True)
            both.wait(both.both_up, 60, f"{used} back on both ends")
            print(f"TAP up: {used} back on both ends after {time.monotonic() - t_up:.1f} s", flush=True)

            # 3. min-links 2 at run time: one TAP down takes the LAG down, up brings it back.
            status, body = lagd.ctl("set lag lag0 min-links 2")
            assert status == 0, f"set lag lag0 min-links 2: {body}"
            lag = lagd.show("lag lag0")
            assert lag["min_links"] == 2 and lag["state"] == "available", f"after min-links 2: {lag}"
            tap(1, up=False)
            lagd.wait_for(lambda: lagd.show("lag lag0")["state"] == "down" and not access_up(), 20,
                          "the LAG down under min-links 2 and the access TAP's link down")
            sent, got = ping(5, interval=0.2)
            assert got == 0, f"pings answered with the LAG down: {got}/{sent}"
            out, _ = vm.cmd_status(f"ping -c 3 -W 1 {LAGD_IP}")
            m = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?received", out)
            assert m and m[2] == "0", f"bond0 -> {LAGD_IP} with the LAG down: {out}"
            print(f"min-links 2 (set over the control socket), TAP {TAPS[1]} down: LAG down, access TAP link "
                  f"down, pings " + (f"{got}/{sent} answered" if sent else "cannot leave (network unreachable)")
                  + f", from bond0 {m[2]}/{m[1]} answered",
                  flush=True)
            tap(1, up=True)
            both.wait(lambda: both.both_up() and access_up(), 60, "the LAG back under min-links 2")
            sent, got = ping(20)
            assert got == sent, f"pings after the LAG came back: {got}/{sent}"
            print(f"TAP up: LAG available again, access TAP link up, pings {got}/{sent} answered", flush=True)
            assert lagd.ctl("set lag lag0 min-links 1")[0] == 0

            # 4. Linux active at the slow rate, then Linux passive: the LAG forms again.
            for what, extra, want in (("slow", "lacp_rate slow", lambda s: s & 0x01 and not s & 0x02),
                                      ("passive", "lacp_rate fast lacp_active off", lambda s: not s & 0x01)):
                vm.cmd("ip link del bond0")
                vm.cmd(bond_script(extra).strip().replace("\n", "; "))
                states = converge_and_ping(both, f"Linux {what}", time.monotonic())
                assert all(want(s) for s in states), f"Linux {what}: actor port states {states}"
            out = lagd.stop()
            assert "dpdk-lagd: stopping" in out, "dpdk-lagd did not stop cleanly:\n" + out[-2000:]
    except BaseException:
        if lagd:
            print("dpdk-lagd (last lines):\n" + lagd.tail(24))
        raise
    finally:
        if lagd:
            lagd.stop()
        netns.remove()


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        print("FAIL: needs root (TAP devices, qemu networking, network namespaces)")
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # meson's timeout: clean up in finally
    tmp = Path(tempfile.mkdtemp(prefix="lacp-linux-"))
    t0 = time.monotonic()
    try:
        run(os.path.abspath(sys.argv[1]), tmp)
        print(f"PASS ({time.monotonic() - t0:.0f} s)")
        return 0
    except (AssertionError, RuntimeError, TimeoutError, OSError, subprocess.SubprocessError) as e:
        print(f"FAIL: {type(e).__name__}: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(WORK, ignore_errors=True)  # the VM's work dir: its initrd is 10 MB


if __name__ == "__main__":
    sys.exit(main())
