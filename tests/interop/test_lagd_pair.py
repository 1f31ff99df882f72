#!/usr/bin/python3
"""Two dpdk-lagd daemons back to back (tests/interop/lagd_pair.py), LACP fast,
two members, access ports that are TAPs in two namespaces:

- both LAGs converge with the other daemon as partner on every member;
- pings cross both daemons, none lost; an iperf3 TCP stream crosses;
- member 0's veth pair loses its carrier in the middle of a ping stream: both
  daemons take m0 out (LACP timeout, 3 s at the fast rate), the pings move to
  m1 and at most the frames sent during the timeout are lost;
- the carrier comes back: m0 is operational again on both sides and the
  traffic uses both members again (per-member TX counters move).

usage: test_lagd_pair.py DPDK_LAGD
Needs root; fails, never skips, with the reason when something is missing.
"""

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lagd_pair import LagdPair  # noqa: E402

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def member(lag, port):
    return next(m for m in lag["members"] if m["port"] == port)


def tx_packets(d):
    st = d.show("stats")
    return {p: v["tx_packets"] for p, v in st.items()}


def run(work, lagd):
    with LagdPair(work, lagd, members=2, lacp="fast", hash="l34") as pair:
        pair.start()
        pair.wait_converged(timeout=60)
        for d, other in ((pair.a, "02:00:00:00:0b:00"), (pair.b, "02:00:00:00:0a:00")):
            lag = d.show("lag lag0")
            check(lag["state"] == "available" and all(m["partner_system"].endswith(other) for m in lag["members"]),
                  f"{d.name}: LAG available, every member's partner is {other}")

        sent, got = pair.ping(count=30, interval=0.02)
        check(sent == 30 and got == 30, f"30 pings A -> B through both daemons: {got}/{sent} answered")
        end = pair.iperf(seconds=3)
        bps = end["sum_received"]["bits_per_second"]
        check(bps > 0 and end["sum_received"]["bytes"] > 0, f"iperf3 TCP A -> B: {bps / 1e6:.1f} Mbit/s received")

        # Member 0 loses its carrier in the middle of a stream of pings.
        p = pair.ping_start(count=300, interval=0.02)
        time.sleep(1.0)
        pair.link(0, up=False)
        t0 = time.monotonic()
        for d in (pair.a, pair.b):
            d.wait_for(lambda d=d: member(d.show("lag lag0"), "m0")["status"] != "operational", 15,
                       "m0 out of the LAG")
        took = time.monotonic() - t0
        check(took < 10, f"both daemons took m0 out {took:.1f} s after its carrier went")
        sent, got = pair.ping_result(p)
        lost = sent - got
        # At 50 pings/s, a 3 s LACP timeout (plus one control iteration) loses at most ~160.
        check(got > 0 and lost <= 200, f"pings during the loss of m0: {got}/{sent} answered, {lost} lost")
        before = tx_packets(pair.a)
        sent, got = pair.ping(count=30, interval=0.02)
        check(got == sent, f"pings with m0 out: {got}/{sent} answered")
        after = tx_packets(pair.a)
        check(after["m0"] == before["m0"] and after["m1"] > before["m1"],
              f"A sent nothing on m0 while it was out ({before['m0']} -> {after['m0']}), m1 carried it")

        pair.link(0, up=True)
        pair.wait_converged(timeout=30)
        check(all(member(d.show("lag lag0"), "m0")["status"] == "operational" for d in (pair.a, pair.b)),
              "m0 operational again on both sides after its carrier came back")
        before = tx_packets(pair.a)
        # 16 UDP flows (16 source ports): with two members, all of them on one
        # member would be a 1-in-32768 event, so both must carry some.
        end = pair.iperf(seconds=2, udp_rate="1M", parallel=16)
        after = tx_packets(pair.a)
        check(end["sum"]["packets"] > 0, f"iperf3 UDP, 16 flows: {end['sum']['packets']} datagrams")
        check(after["m0"] > before["m0"] and after["m1"] > before["m1"],
              f"both members carry flows after m0 came back (m0 +{after['m0'] - before['m0']}, "
              f"m1 +{after['m1'] - before['m1']})")
        sent, got = pair.ping(count=20, interval=0.02)
        check(got == sent, f"pings after m0 came back: {got}/{sent} answered")
        out_a, out_b = pair.a.stop(), pair.b.stop()
        for name, out in (("A", out_a), ("B", out_b)):
            check("dpdk-lagd: stopping (signal)" in out, f"dpdk-lagd {name} stopped cleanly on SIGTERM")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    work = Path(tempfile.mkdtemp(prefix="lagd-pair-"))
    try:
        run(work, sys.argv[1])
    except Exception as e:  # the reason, loudly, then FAIL
        FAILS.append(f"{type(e).__name__}: {e}")
        print(f"FAIL {type(e).__name__}: {e}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(FAILS)} failure(s)" if FAILS else "all checks passed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
