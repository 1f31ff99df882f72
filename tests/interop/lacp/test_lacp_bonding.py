#!/usr/bin/env python3
"""dpdk-lagd's LACP against a partner no one here wrote: DPDK's bonding PMD in
802.3ad mode (dpdk-testpmd, second process).

    ns lt<pid>: dpdk-testpmd           ns ll<pid>: dpdk-lagd
    net_bonding0 (mode 4, l34)         LAG lag0, [lag.lacp] active fast
      net_af_packet0  tA0 ====veth==== lA0  net_pcap (1 RX, 2 TX queues) m0
      net_af_packet1  tA1 ====veth==== lA1  net_pcap (1 RX, 2 TX queues) m1
      flowgen on the bond only                access: net_pcap replaying 64 flows
                                              forever (the worker lcore is at 100%)

dpdk-lagd's members are net_pcap on the veths, not net_af_packet: LACP needs a
TX queue that no worker uses, and net_af_packet's queue pairs share one
PACKET_FANOUT group, so a second queue pair would take (and lose) part of the
RX traffic, LACPDUs included. net_pcap gives one RX queue (rx_iface_in: what
the veth receives) and any number of TX queues (one per tx_iface).

Checked: both ends reach collecting and distributing on both members (testpmd's
`show bonding lacp info`, dpdk-lagd's counters print); traffic crosses both
ways (testpmd's flowgen into dpdk-lagd's members and out of its access port;
dpdk-lagd's access traffic out of its members into the bond port); LACP stays
up for several seconds while dpdk-lagd's worker lcore forwards at full load;
pulling one veth down takes that member out on both ends and the traffic
moves to the other one; the LACPDUs captured on a veth, both ours and the
bonding PMD's, decode in tshark with no malformed or expert-error field.
Each veth end shapes its egress (HTB: LACPDUs ahead, data capped at 5 Mbit/s;
see shape()), so that neither end's flood drops the other's LACPDUs.
Namespaces and veths are removed on every exit (try/finally and atexit).
Needs root; fails, never skips, with the reason when something is missing.

usage: test_lacp_bonding.py DPDK_LAGD [--keep-capture DIR]
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
from lagd_pair import Lagd, LagdPair, Netns, sh, shape  # noqa: E402
from testpmd import TestPmd  # noqa: E402

PID = os.getpid()
NS_TP = f"lt{PID}"
NS_LAGD = f"ll{PID}"
TP_IF = [f"t{PID}a{i}" for i in range(2)]
LAGD_IF = [f"l{PID}a{i}" for i in range(2)]
CONVERGE_S = 30
DATA_RATE = "5mbit"  # per veth end and direction


def setup_topology():
    """The two namespaces (removed on every exit) and the shaped veths between them."""
    netns = Netns(NS_TP, NS_LAGD).create()
    for t, l in zip(TP_IF, LAGD_IF):
        sh("ip", "link", "add", t, "netns", NS_TP, "type", "veth", "peer", "name", l, "netns", NS_LAGD)
        for ns, i in ((NS_TP, t), (NS_LAGD, l)):
            sh("ip", "-n", ns, "link", "set", i, "mtu", "1500", "up")
            shape(ns, i, DATA_RATE)
    return netns


RX_STATE = re.compile(r"^lacp (\S+)\s+mux \S+\s+rx (\S+)", re.M)


def snapshot(lagd):
    """After a second (one counters period), dpdk-lagd's (ports, lacp, lag) over its control socket:
    ports {name: {rx, tx}}, lacp {member: {mux, rx}} (rx: the receive machine's state in the last
    counters print), lag (state, operational members, members)."""
    time.sleep(1)
    if not lagd.running():
        raise RuntimeError("dpdk-lagd exited:\n" + lagd.tail())
    ports = {p: {"rx": v["rx_packets"], "tx": v["tx_packets"]} for p, v in lagd.show("stats").items()}
    lag = lagd.show("lag lag0")
    rx = dict(RX_STATE.findall(lagd.tail(40)))
    lacp = {m["port"]: {"mux": m["lacp_mux"], "rx": rx.get(m["port"], "?")} for m in lag["members"]}
    return ports, lacp, (lag["state"], lag["operational_members"], len(lag["members"]))


def make_flows(path):
    from scapy.all import IP, UDP, Ether, Raw, wrpcap
    pk = [Ether(src="02:00:00:00:01:01", dst="02:00:00:00:02:02") /
          IP(src=f"10.0.0.{f + 1}", dst="10.1.0.1") / UDP(sport=1024 + f, dport=4789) / Raw(b"x" * 60)
          for f in range(64)]
    wrpcap(str(path), pk)


def lagd_config(path, flows):
    members = "".join(f'''
[[port]]
name = "m{i}"
device = "net_pcap{i + 1},rx_iface_in={l},tx_iface={l},tx_iface={l}"
speed = "10G"
''' for i, l in enumerate(LAGD_IF))
    path.write_text(f'''[daemon]
burst = 32
rx_desc = 512
tx_desc = 512
[[port]]
name = "access0"
device = "net_pcap0,rx_pcap={flows},infinite_rx=1"
{members}
[[lag]]
name = "lag0"
access = "access0"
members = ["m0", "m1"]
min_links = 1
hash = "l34"
[lag.lacp]
mode = "active"
rate = "fast"
system_priority = 100
''')


def tp_converged(states):
    return len(states) == 2 and all("COLLECTING" in s and "DISTRIBUTING" in s for s in states)


def lagd_converged(lacp):
    return len(lacp) == 2 and all(v["mux"] == "COLLECTING_DISTRIBUTING" for v in lacp.values())


def check_capture(cap):
    """Every LACPDU in `cap` decodes; returns {source MAC: count}."""
    tshark = shutil.which("tshark") or "tshark"
    out = sh(tshark, "-r", str(cap), "-Y", "lacp", "-T", "fields", "-e", "eth.src", "-e", "lacp.version")
    sources = {}
    for line in out.splitlines():
        src, version = line.split("\t")
        assert int(version, 0) == 1, f"LACP version {version} from {src}"
        sources[src] = sources.get(src, 0) + 1
    bad = sh(tshark, "-r", str(cap), "-Y", "_ws.malformed || _ws.expert.severity >= \"error\"")
    assert bad.strip() == "", "malformed or expert errors:\n" + bad
    total = sh(tshark, "-r", str(cap), "-T", "fields", "-e", "frame.number")
    assert len(total.split()) == sum(sources.values()), "frames in the capture that are not LACP"
    return sources


def lacpdu_gaps(cap):
    """{source MAC: (LACPDUs, largest gap in s, capture time of the LACPDU after it)} of the LACPDUs
    dumpcap saw on the veth: where a member expired, this says whether the partner's LACPDUs were
    on the wire (then lost on dpdk-lagd's side: its pcap socket, worker, punt ring or control) or
    not sent at all."""
    tshark = shutil.which("tshark") or "tshark"
    out = sh(tshark, "-r", str(cap), "-Y", "lacp", "-T", "fields", "-e", "eth.src", "-e", "frame.time_relative",
             check=False)
    times = {}
    for line in out.splitlines():
        src, t = line.split("\t")
        times.setdefault(src, []).append(float(t))
    gaps = {}
    for src, ts in times.items():
        gap, at = 0.0, 0.0
        for a, b in zip(ts, ts[1:]):
            if b - a > gap:
                gap, at = b - a, b
        gaps[src] = (len(ts), round(gap, 2), round(at, 1))
    return gaps


def stop_capture(dump):
    if dump and dump.poll() is None:
        LagdPair.stop_capture(dump)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    lagd_bin = os.path.abspath(sys.argv[1])
    for need in ("dpdk-testpmd", "tshark", "dumpcap", "ip", "tc", "stdbuf"):
        if shutil.which(need) is None:
            print(f"FAIL: {need} not found (scripts/setup.sh installs it)")
            return 1
    if os.geteuid() != 0:
        print("FAIL: needs root (network namespaces)")
        return 1
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, lambda *_: sys.exit(1))
    tmp = Path(tempfile.mkdtemp(prefix="lacp-bond-"))
    lagd = tp = dump = netns = None
    cap = Path("/nonexistent")
    try:
        netns = setup_topology()
        flows = tmp / "flows.pcap"
        make_flows(flows)
        cfg = tmp / "lagd.toml"
        lagd_config(cfg, flows)
        cap = tmp / "lacp.pcap"
        dump = subprocess.Popen(["ip", "netns", "exec", NS_LAGD, "dumpcap", "-q", "-i", LAGD_IF[0], "-f",
                                 "ether proto 0x8809", "-w", str(cap)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        lagd = Lagd(lagd_bin, cfg, tmp, "lagd", netns=NS_LAGD, lcores="0,1", extra_eal=("--main-lcore", "1"))
        vdevs = [f"net_af_packet{i},iface={t},qdisc_bypass=0,framecnt=4096" for i, t in enumerate(TP_IF)]
        tp = TestPmd(vdevs, bond_members=[0, 1], file_prefix=f"tp{PID}", netns=NS_TP, bond_args="xmit_policy=l34",
                     lcores="0,1")
        tp.__enter__()
        tp.cmd("start")
        bond = tp.bond_port

        # 1. Both ends converge.
        deadline = time.monotonic() + CONVERGE_S
        states, lacp = [], {}
        while time.monotonic() < deadline:
            states = tp.lacp_states()
            _, lacp, _ = snapshot(lagd)
            if tp_converged(states) and lagd_converged(lacp):
                break
        assert tp_converged(states) and lagd_converged(lacp), \
            f"no convergence in {CONVERGE_S} s: testpmd {states}, dpdk-lagd {lacp}\n" + lagd.tail()
        print(f"both ends COLLECTING+DISTRIBUTING on both members after {time.monotonic() - t0:.1f} s "
              "(from dpdk-lagd's start)")

        # 2. Traffic both ways, LACP steady while the worker lcore forwards
        # (it busy-polls lcore 0; control and LACP run on the main lcore 1).
        banner = next((l for l in lagd.log.read_text().splitlines()
                       if l.startswith("dpdk-lagd: ") and "worker lcore(s)" in l), "")
        assert "1 worker lcore(s)" in banner and "LACP on the control lcore" in banner, banner
        p0, _, _ = snapshot(lagd)
        s0 = tp.port_stats(bond)
        for _ in range(5):
            _, lacp, lag = snapshot(lagd)
            assert lagd_converged(lacp), f"dpdk-lagd left COLLECTING_DISTRIBUTING under load: {lacp}"
            assert lag[:2] == ("available", 2), f"dpdk-lagd LAG: {lag}"
            assert tp_converged(tp.lacp_states()), "testpmd left COLLECTING DISTRIBUTING under load"
        p1, _, _ = snapshot(lagd)
        s1 = tp.port_stats(bond)
        d = {k: {x: p1[k][x] - p0[k][x] for x in ("rx", "tx")} for k in p1}
        tp_rx = s1["RX-packets"] - s0["RX-packets"]
        print(f"over ~6 s under load: dpdk-lagd members rx {d['m0']['rx']}+{d['m1']['rx']}, access tx "
              f"{d['access0']['tx']}; access rx {d['access0']['rx']}, members tx {d['m0']['tx']}+{d['m1']['tx']}; "
              f"testpmd bond rx {tp_rx}")
        assert d["m0"]["rx"] > 0 and d["m1"]["rx"] > 0, "flowgen reached only one dpdk-lagd member"
        assert d["access0"]["tx"] > 0, "nothing from testpmd left dpdk-lagd's access port"
        assert d["m0"]["tx"] > 0 and d["m1"]["tx"] > 0, "dpdk-lagd sent on only one member"
        assert tp_rx > 0, "nothing from dpdk-lagd reached testpmd's bond port"

        # 3. Pull member 1's veth down (testpmd's end: the pair loses carrier).
        # dpdk-lagd (fast rate) expires m1 within 3 s and stops using it. The
        # bonding PMD cannot see the carrier (net_af_packet reports its link
        # up always) and asks for the long timeout (no TIMEOUT bit in its
        # actor state), so it keeps m1 until its 90 s current_while expires.
        t_down = time.monotonic()
        sh("ip", "-n", NS_TP, "link", "set", TP_IF[1], "down")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            _, lacp, lag = snapshot(lagd)
            if lacp["m1"]["mux"] != "COLLECTING_DISTRIBUTING" and lag[1] == 1:
                break
        assert lacp["m1"]["mux"] != "COLLECTING_DISTRIBUTING" and lag[:2] == ("available", 1), \
            f"dpdk-lagd kept m1: {lacp} {lag}\n" + lagd.tail()
        print(f"veth {TP_IF[1]} down: dpdk-lagd took m1 out after {time.monotonic() - t_down:.1f} s "
              f"(m1 mux {lacp['m1']['mux']}, receive {lacp['m1']['rx']}; LAG {lag[0]}, "
              f"{lag[1]} of {lag[2]} distributing, min-links 1)")
        time.sleep(1)
        p0, _, _ = snapshot(lagd)
        s0 = tp.port_stats(bond)
        time.sleep(2)
        p1, lacp, _ = snapshot(lagd)
        s1 = tp.port_stats(bond)
        d = {k: {x: p1[k][x] - p0[k][x] for x in ("rx", "tx")} for k in p1}
        tp_rx = s1["RX-packets"] - s0["RX-packets"]
        print(f"dpdk-lagd -> testpmd after the move: m0 tx {d['m0']['tx']}, m1 tx {d['m1']['tx']}; "
              f"testpmd bond rx {tp_rx}")
        assert d["m1"]["tx"] == 0, "dpdk-lagd still sends on the member that left"
        assert d["m0"]["tx"] > 0 and tp_rx > 0, "dpdk-lagd's traffic did not move to m0"
        assert lacp["m0"]["mux"] == "COLLECTING_DISTRIBUTING"
        deadline = t_down + 110
        states = tp.lacp_states()
        while time.monotonic() < deadline and "DISTRIBUTING" in states[1]:
            time.sleep(2)
            states = tp.lacp_states()
            _, lacp, _ = snapshot(lagd)
            assert lacp["m0"]["mux"] == "COLLECTING_DISTRIBUTING", f"m0 left while m1 was down: {lacp}"
        assert "DISTRIBUTING" not in states[1] and "DISTRIBUTING" in states[0], f"testpmd: {states}"
        print(f"the bonding PMD took m1 out after {time.monotonic() - t_down:.1f} s (its long timeout)")
        time.sleep(1)
        p0, _, _ = snapshot(lagd)
        time.sleep(2)
        p1, _, _ = snapshot(lagd)
        d = {k: {x: p1[k][x] - p0[k][x] for x in ("rx", "tx")} for k in p1}
        print(f"testpmd -> dpdk-lagd after the move: m0 rx {d['m0']['rx']}, m1 rx {d['m1']['rx']}, "
              f"access tx {d['access0']['tx']}")
        assert d["m1"]["rx"] == 0 and d["m0"]["rx"] > 0 and d["access0"]["tx"] > 0, \
            "testpmd's traffic did not move to m0"

        # 4. The LACPDUs on lA0, ours and the bonding PMD's, decode cleanly.
        tp.stop()
        lagd.stop()
        stop_capture(dump)
        sources = check_capture(cap)
        print(f"tshark: LACPDUs on {LAGD_IF[0]} by source: {sources}; no malformed or expert-error field")
        print(f"LACPDUs on {LAGD_IF[0]} by source: (count, largest gap s, at s): {lacpdu_gaps(cap)}")
        assert len(sources) >= 2 and all(n >= 3 for n in sources.values()), \
            f"want LACPDUs from both ends: {sources}"
        print("PASS")
        return 0
    except (AssertionError, RuntimeError, TimeoutError) as e:
        print(f"FAIL: {e}")
        if lagd:
            print("dpdk-lagd output (last lines):\n" + lagd.tail(40))
        if dump and cap.exists():
            # A member that expired: were the partner's LACPDUs on the wire?
            stop_capture(dump)
            print(f"LACPDUs dumpcap saw on {LAGD_IF[0]} by source: (count, largest gap s, at s from the "
                  f"capture's start): {lacpdu_gaps(cap)}")
        if tp and tp.log:
            print("dpdk-testpmd output (last lines):\n" + "".join(tp.log[-30:]))
        return 1
    finally:
        if tp:
            tp.stop()
        if lagd:
            lagd.stop()
        if dump and dump.poll() is None:
            dump.kill()
            dump.wait()
        if netns:
            netns.remove()
        if len(sys.argv) > 3 and sys.argv[2] == "--keep-capture":
            shutil.copytree(tmp, sys.argv[3], dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
