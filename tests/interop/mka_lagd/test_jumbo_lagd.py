#!/usr/bin/python3
"""Jumbo frames across a LACP + MKA (must_encrypt) LAG between two dpdk-lagd
(tests/interop/lagd_pair.py) with `[[lag]] mtu = 9000`, the member veths left
at the kernel's default MTU (1500):

- `show lag` says mtu 9000, and each daemon raised its member veths' kernel
  MTU to 9000 + 32 (SecTAG with SCI, ICV) and its TAP's to 9000;
- pings of 9000-octet IP packets (`ping -M do -s 8972`) cross both ways,
  every one, and a 9001-octet one does not leave A's namespace;
- an iperf3 TCP stream runs across, with the 8948-octet MSS that a 9000-octet
  MTU gives (so its segments are jumbo frames), and delivers data;
- B's MACsec counters show the frames were protected and verified (nothing
  went across clear);
- frames above the MTU from A's host reach A's access port and are dropped
  there, each counted as tx_drop_over_mtu, none sent;
- a net_tap access port (1522-octet frames at most) at mtu 9000 is refused
  at start with [rule: mtu], the port and both numbers.

usage: test_jumbo_lagd.py DPDK_LAGD    (JUMBO_LAGD_KEEP=1 keeps the work folder)
Needs root; fails, never skips, with the reason when something is missing.
"""

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from lagd_pair import LagdPair, run_test, sh  # noqa: E402

FAILS = []
CKN = "6a756d626f2d6c61"  # "jumbo-la"
CAK = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100"
MTU = 9000


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def mka_table(cak_file, prio):
    return (f'[lag.macsec]\nmode = "mka"\nckn = "{CKN}"\ncak_file = "{cak_file}"\ncipher = "gcm-aes-256"\n'
            f'encryption = "must_encrypt"\nkey_server_priority = {prio}\n')


def kernel_mtu(ns, dev):
    return int(sh("ip", "netns", "exec", ns, "cat", f"/sys/class/net/{dev}/mtu").strip())


def secured(d):
    ms = d.show("lag lag0")["members"]
    return bool(ms) and all(m.get("mka_secured") and m["status"] == "operational" for m in ms)


def macsec_totals(d):
    """Frames the LAG's members protected and verified (show macsec json)."""
    ms = d.show("macsec")
    protected = sum(sa["out_pkts_protected"] + sa["out_pkts_encrypted"] for m in ms for sa in m.get("tx_sa", []))
    verified = sum(m["counters"].get("rx_macsec_ok", 0) for m in ms)
    return protected, verified


def over_mtu_drops(d):
    return d.show("stats xstats")["access0"]["tx_drop_over_mtu"]


def iperf_tcp(pair, seconds):
    """iperf3 TCP A -> B: (bytes received, the TCP MSS iperf3 reports)."""
    client, server = pair.iperf_start(seconds=seconds)
    out, err = client.communicate(timeout=seconds + 40)
    server.wait(timeout=10)
    try:
        j = json.loads(out)
        return j["end"]["sum_received"]["bytes"], j["start"].get("tcp_mss_default")
    except (ValueError, KeyError) as e:
        raise RuntimeError(f"iperf3 failed ({e}):\n{out[-2000:]}\n{err[-2000:]}") from e


def run(work, lagd):
    cak = Path(work) / "cak.hex"
    cak.write_text(f"# cak\n{CAK}\n")
    cak.chmod(0o600)
    # A high data rate so iperf3 moves a few MB in its seconds.
    # The access port is net_pcap on a veth (net_tap takes at most 1522-octet frames).
    with LagdPair(work, lagd, members=2, lacp="fast", lag_keys=f"mtu = {MTU}", data_rate="200mbit", access="veth",
                  lag_extra_a=mka_table(cak, 1), lag_extra_b=mka_table(cak, 2)) as pair:
        before = [kernel_mtu(pair.ns[s], v) for s in "ab" for v in pair.veth[s]]
        check(before == [1500] * 4, f"member veths start at the kernel's default MTU: {before}")
        pair.start()
        for d in (pair.a, pair.b):
            d.wait_for(lambda d=d: secured(d), 40, "MKA secured and every member operational")
        la = pair.a.show("lag lag0")
        check(la.get("mtu") == MTU, f"show lag json: mtu {la.get('mtu')}")
        after = [kernel_mtu(pair.ns[s], v) for s in "ab" for v in pair.veth[s]]
        check(after == [MTU + 32] * 4, f"members' veths raised to {MTU} + 32 (SecTAG+SCI, ICV): {after}")
        access = [kernel_mtu(pair.ns[s], pair.access_dev[s]) for s in "ab"]
        check(access == [MTU] * 2, f"each access port's interface at the LAG's MTU: {access}")
        for s in "ab":  # the hosts' side of the access link, where their IP addresses are
            sh("ip", "-n", pair.ns[s], "link", "set", pair.tap[s], "mtu", str(MTU))
        p0, v0 = macsec_totals(pair.b)
        time.sleep(0.5)
        size = MTU - 28  # ICMP and IPv4 headers
        sent, got = pair.ping(count=10, interval=0.05, size=size, dont_fragment=True)
        check(sent == 10 and got == 10, f"ping -M do -s {size} ({MTU}-octet IP packets) A -> B: {got}/{sent}")
        sent, got = pair.ping(count=10, interval=0.05, size=size, dont_fragment=True, src="b")
        check(sent == 10 and got == 10, f"ping -M do -s {size} B -> A: {got}/{sent}")
        sent, got = pair.ping(count=3, interval=0.05, size=size + 1, dont_fragment=True)
        check(got == 0, f"ping -M do -s {size + 1} (above the LAG's MTU): {got}/{sent} answered")

        received, mss = iperf_tcp(pair, 3)
        check(received > 1_000_000, f"iperf3 TCP A -> B over the jumbo MTU: {received} bytes received")
        check(mss == MTU - 52, f"iperf3's TCP MSS is {MTU - 52} (jumbo segments; 1448 at a 1500 MTU): {mss}")
        p1, v1 = macsec_totals(pair.b)
        check(p1 - p0 >= 20 and v1 - v0 >= 20,
              f"B protected {p1 - p0} and verified {v1 - v0} frames meanwhile (nothing crossed clear)")

        # A host that sends above the LAG's MTU: its frames reach A's access
        # port, and A's workers drop and count them; none is sent.
        sh("ip", "-n", pair.ns["a"], "link", "set", pair.tap["a"], "mtu", str(MTU + 100))
        drops0 = over_mtu_drops(pair.a)
        sent, got = pair.ping(count=5, interval=0.05, size=size + 1, dont_fragment=True)
        drops = over_mtu_drops(pair.a) - drops0
        check(got == 0 and drops == 5,
              f"{MTU + 1}-octet IP packets from A's host: {got}/{sent} answered, {drops} counted tx_drop_over_mtu")
        sent, got = pair.ping(count=5, interval=0.05, size=size, dont_fragment=True)
        check(got == 5, f"and {MTU}-octet ones still cross: {got}/{sent}")

        # The MTU lowered at run time: the workers take the new limit at once.
        st, body = pair.a.ctl("set lag lag0 mtu 8000")
        check(st == 0 and pair.a.show("lag lag0").get("mtu") == 8000, f"set lag lag0 mtu 8000 on A: {body.strip()}")
        drops0 = over_mtu_drops(pair.a)
        sent, got = pair.ping(count=5, interval=0.05, size=8000 - 28 + 1, dont_fragment=True)
        drops = over_mtu_drops(pair.a) - drops0
        check(got == 0 and drops == 5, f"8001-octet IP packets then: {got}/{sent} answered, {drops} counted")
        sent, got = pair.ping(count=5, interval=0.05, size=8000 - 28, dont_fragment=True)
        check(got == 5, f"8000-octet ones cross: {got}/{sent}")

    # An access port whose device cannot take the MTU's frames (net_tap: 1522
    # octets at most) is refused at start, naming the rule, the port and both
    # numbers; the daemon does not run half set up.
    with LagdPair(Path(work) / "tap", lagd, members=2, lacp="fast", lag_keys=f"mtu = {MTU}") as pair:
        try:
            pair.start(timeout=20)
            check(False, "a net_tap access port at mtu 9000 was taken")
        except RuntimeError as e:
            msg = str(e)
            check("[rule: mtu]" in msg and "access0" in msg and str(MTU) in msg and "1522" in msg,
                  f"net_tap at mtu {MTU} refused at start: "
                  f"{next((ln for ln in msg.splitlines() if 'rule: mtu' in ln), msg[-300:])}")


def main():
    return run_test(run, "jumbo-lagd-", FAILS, check, "JUMBO_LAGD_KEEP")


if __name__ == "__main__":
    sys.exit(main())
