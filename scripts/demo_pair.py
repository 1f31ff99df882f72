#!/usr/bin/python3
"""The heart of ./scripts/demo.sh: two dpdk-lagd back to back.

    ns la<tok>: 10.77.0.1 on TAP ta<tok>          ns lb<tok>: 10.77.0.2 on TAP tb<tok>
        dpdk-lagd A (access0 = net_tap)               dpdk-lagd B (access0 = net_tap)
          m0 ================== veth pair ================== m0
          m1 ================== veth pair ================== m1
        LAG lag0: LACP (fast), MACsec keyed by MKA (one CKN/CAK, GCM-AES-XPN-256)

The set-up is tests/interop/lagd_pair.py's (the fixture the two-daemon tests
use). This script brings the pair up, pings and streams (iperf3, 16 TCP flows)
from one namespace to the other through both daemons, shows `lagctl show lag`
on both sides, checks every MKA session and rekeys them under pings, takes
member m0's veth pair down and up again while the stream
runs, and prints once a second what each member carries and its LACP state.
It exits 0 only if every step did what it says (pings answered, only MACsec
frames on the members, the stream moved off m0 and came back). Everything it
made is removed on exit, also on Ctrl-C.

usage: demo_pair.py DPDK_LAGD LAGCTL [--stream SECONDS]
"""

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests/interop"))
from lagd_pair import LagdPair, need  # noqa: E402

MUX = {"COLLECTING_DISTRIBUTING": "coll+dist", "ATTACHED": "attached", "WAITING": "waiting",
       "DETACHED": "detached", "COLLECTING": "collecting"}


class DemoFailed(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise DemoFailed(what)


# --- MACsec: keyed by MKA ----------------------------------------------------
# This block is all the demo knows about MACsec: it returns the [lag.macsec]
# table of each side and writes their CAK files (0600, a random CAK, never
# printed). MKA on each member derives the keys from the CAK, A (key server
# priority 1) distributes the SAKs, and the sessions are checked after
# convergence; `set lag lag0 macsec rekey` then rotates them under pings.
CIPHER = "gcm-aes-xpn-256"


def macsec_mka(workdir, members):
    """([lag.macsec] TOML of side A, of side B); writes cak-a and cak-b (the same CAK) into workdir."""
    del members  # one CKN/CAK for the whole LAG
    ckn, cak = secrets.token_hex(16), secrets.token_hex(32)
    tables = {}
    for side, prio in (("a", 1), ("b", 2)):
        fd = os.open(workdir / f"cak-{side}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(cak + "\n")
        tables[side] = (f'[lag.macsec]\nmode = "mka"\nckn = "{ckn}"\ncak_file = "cak-{side}"\n'
                        f'cipher = "{CIPHER}"\nencryption = "must_encrypt"\nkey_server_priority = {prio}\n')
    return tables["a"], tables["b"]


def mka_sessions(pair, lagctl_bin):
    """Every member's MKA session secured on both sides; then a rekey from A (the key server)
    while pings cross: none lost, every session on the next AN."""
    def secured(d):
        return all(m.get("mka_secured") for m in d.show("lag lag0")["members"])
    for d in (pair.a, pair.b):
        d.wait_for(lambda d=d: secured(d), 20, "every MKA session secured")
    ms = pair.a.show("lag lag0")["members"]
    say("  MKA: every member's session secured on both sides; A is the key server ("
        + ", ".join(f"{m['port']}: {m['mka_cipher']} AN {m['mka_an']}" for m in ms) + ")")
    expect(all(m["mka_key_server"] for m in ms), "A is not the key server on every member")
    before = {m["port"]: m["mka_an"] for m in ms}
    p = pair.ping_start(count=60, interval=0.05)
    time.sleep(1)
    say("  lagctl set lag lag0 macsec rekey (on A, while 60 pings cross):")
    lagctl(lagctl_bin, pair.a, "set", "lag", "lag0", "macsec", "rekey")
    sent, got = LagdPair.ping_result(p)
    pair.a.wait_for(lambda: all(m["mka_an"] == (before[m["port"]] + 1) % 4
                                for m in pair.a.show("lag lag0")["members"]), 10, "the next AN")
    now = ", ".join(f"{m['port']} AN {m['mka_an']}" for m in pair.a.show("lag lag0")["members"])
    say(f"  new SAKs on every member ({now}), pings across the rekey: {got}/{sent} answered")
    expect(sent > 0 and got == sent, f"pings lost across the rekey: {got}/{sent}")


def macsec_on_the_wire(pair, members, seconds_of_ping=1.0):
    """Captures every member's veth on A while pings cross; returns {ethertype: frames}."""
    need("tshark")
    caps, procs = [], []
    for i in range(members):
        caps.append(pair.workdir / f"m{i}.pcapng")
        procs.append(pair.capture(i, caps[-1]))
    n = int(seconds_of_ping / 0.05)
    sent, got = pair.ping(count=n, interval=0.05)
    time.sleep(0.5)  # dumpcap writes what it has seen
    for p in procs:
        LagdPair.stop_capture(p)
    types = {}
    for c in caps:
        out = subprocess.run(["tshark", "-r", str(c), "-T", "fields", "-e", "eth.type"], capture_output=True,
                             text=True).stdout
        for t in out.split():
            types[t] = types.get(t, 0) + 1
    return sent, got, types
# --- end of MACsec -----------------------------------------------------------


def say(text=""):
    print(text, flush=True)


def lagctl(binary, d, *words):
    """Runs the real lagctl against daemon d's control socket and prints its output, indented."""
    r = subprocess.run([binary, "--socket", str(d.sock), *words], capture_output=True, text=True, timeout=10)
    say(f"  $ lagctl {' '.join(words)}      ({d.name})")
    for line in (r.stdout + r.stderr).rstrip("\n").splitlines():
        say("    " + line)
    expect(r.returncode == 0, f"lagctl {' '.join(words)} on {d.name} exited {r.returncode}")


def sample(pair):
    """(A's tx bytes per member, A's mux per member, B's mux per member)"""
    st = pair.a.show("stats")
    la, lb = pair.a.show("lag lag0"), pair.b.show("lag lag0")
    tx = {p: v["tx_bytes"] for p, v in st.items() if v.get("role") == "member"}
    return (tx, {m["port"]: m["lacp_mux"] for m in la["members"]},
            {m["port"]: m["lacp_mux"] for m in lb["members"]})


def stream_with_member_down(pair, seconds, down_at, up_at):
    """iperf3 (16 TCP flows) A -> B; m0's veth pair down at `down_at` s and up at `up_at` s.
    Prints a row per second; returns (rows, iperf3's end section)."""
    run = pair.iperf_start(seconds=seconds, parallel=16)
    say(f"  {'t':>5}  {'A m0 Mbit/s':>11} {'A m1 Mbit/s':>11} {'together':>8}   {'A: m0 mux':<11}{'m1 mux':<11}"
        f" {'B: m0 mux':<11}{'m1 mux':<11}")
    t0 = time.monotonic()
    prev, _, _ = sample(pair)
    t_prev = t0
    rows, down_done, up_done = [], False, False
    while time.monotonic() - t0 < seconds - 0.5:
        time.sleep(1.0)
        now = time.monotonic()
        tx, mux_a, mux_b = sample(pair)
        dt = now - t_prev
        rate = {m: (tx[m] - prev[m]) * 8 / dt / 1e6 for m in tx}
        prev, t_prev = tx, now
        t = now - t0
        rows.append((t, rate, mux_a, mux_b, "down" if down_done and not up_done else "up"))
        a0, a1, b0, b1 = (MUX.get(x, x) for x in (mux_a["m0"], mux_a["m1"], mux_b["m0"], mux_b["m1"]))
        say(f"  {t:4.1f}s  {rate['m0']:11.1f} {rate['m1']:11.1f} {rate['m0'] + rate['m1']:8.1f}   "
            f"{a0:<11}{a1:<11} {b0:<11}{b1:<11}")
        if not down_done and t >= down_at:
            pair.link(0, up=False)
            down_done = True
            say(f"  ---- {t:4.1f}s  m0's veth pair down (carrier lost at both ends)")
        elif down_done and not up_done and t >= up_at:
            pair.link(0, up=True)
            up_done = True
            say(f"  ---- {t:4.1f}s  m0's veth pair up again")
    return rows, LagdPair.iperf_result(run, timeout=seconds + 30)


def run(work, lagd, lagctl_bin, stream_s):
    need("iperf3", "tshark", "dumpcap")
    members = 2
    extra_a, extra_b = macsec_mka(work, members)
    with LagdPair(work, lagd, members=members, lacp="fast", hash="l34", lag_extra_a=extra_a,
                  lag_extra_b=extra_b) as pair:
        say(f"  namespaces {pair.ns_a} (A, {pair.ip_a} on TAP {pair.tap['a']}) and {pair.ns_b} "
            f"(B, {pair.ip_b} on TAP {pair.tap['b']}); members: veth pairs "
            f"{', '.join(f'{x}={y}' for x, y in zip(pair.veth['a'], pair.veth['b']))}")
        say(f"  A's config ({pair.workdir / 'lagd-a.toml'}), its LAG and MACsec tables:")
        text = pair.config_text("a")
        for line in text[text.index("[[lag]]"):].splitlines():
            if line:
                say("    " + line)
        mode = f"{os.stat(work / 'cak-a').st_mode & 0o777:04o}"
        say(f"    (the CAK: random, in {work / 'cak-a'} and cak-b, mode {mode}; never printed)")

        t0 = time.monotonic()
        pair.start()
        pair.wait_converged(timeout=40)
        say(f"\n  both daemons up and every member collecting+distributing after "
            f"{time.monotonic() - t0:.1f} s")
        for d in (pair.a, pair.b):
            lagctl(lagctl_bin, d, "show", "lag")
        mka_sessions(pair, lagctl_bin)

        sent, got, types = macsec_on_the_wire(pair, members)
        say(f"\n  ping {pair.ip_a} -> {pair.ip_b} (ns {pair.ns_a} -> ns {pair.ns_b}, through A and B): "
            f"{got}/{sent} answered")
        say("  frames captured on A's member veths meanwhile, by EtherType: "
            + ", ".join(f"{t} {n}" for t, n in sorted(types.items()))
            + "  (0x88e5 MACsec, 0x8809 LACP, 0x888e MKA)")
        expect(sent > 0 and got == sent, f"pings lost: {got}/{sent}")
        macsec_frames = types.get("0x88e5", 0)
        clear = sum(n for t, n in types.items() if t not in ("0x88e5", "0x8809", "0x888e"))
        expect(macsec_frames > 0 and clear == 0,
               f"want only MACsec data frames on the members: {types}")
        say(f"  MACsec on the wire: {macsec_frames} protected frames, {clear} in the clear")

        down_at, up_at = 3.0, 3.0 + stream_s * 0.4
        say(f"\n  iperf3, 16 TCP flows {pair.ip_a} -> {pair.ip_b} for {stream_s} s; A's transmit rate per "
            f"member and both sides' LACP mux state, once a second:")
        rows, end = stream_with_member_down(pair, stream_s, down_at, up_at)
        mbps = end["sum_received"]["bits_per_second"] / 1e6
        retr = end.get("sum_sent", {}).get("retransmits", 0)
        say(f"  iperf3: {end['sum_received']['bytes'] / 1e6:.1f} MB received, {mbps:.1f} Mbit/s on average, "
            f"{retr} TCP retransmissions (the flows on m0 lost what was in flight until LACP took m0 out)")
        down = [r for r in rows if r[4] == "down"]
        moved = [r for r in down if r[1]["m0"] == 0 and r[1]["m1"] > 0 and r[2]["m0"] != "COLLECTING_DISTRIBUTING"]
        last = rows[-1]
        before = [r for r in rows if r[0] <= down_at + 1 and r[4] == "up"]
        expect(any(r[1]["m0"] > 0 and r[1]["m1"] > 0 for r in before),
               f"the stream did not use both members before m0 went down: {before}")
        expect(bool(moved), "the stream did not move to m1 while m0 was down")
        say(f"  while m0 was down: A sent nothing on m0 in {len(moved)} of {len(down)} seconds, m1 carried "
            f"the stream ({max(r[1]['m1'] for r in moved):.1f} Mbit/s at most)")
        back = (last[1]["m0"] > 0 and last[1]["m1"] > 0 and
                all(v == "COLLECTING_DISTRIBUTING" for r in (last[2], last[3]) for v in r.values()))
        if not back:  # a slow machine: LACP had not brought m0 back before the stream ended
            say("  (m0 was not back when the stream ended: waiting for LACP, then 2 s more of iperf3)")
            pair.wait_converged(timeout=30)
            tx0, _, _ = sample(pair)
            pair.iperf(seconds=2, parallel=16)
            tx1, mux_a, mux_b = sample(pair)
            last = (0, {m: (tx1[m] - tx0[m]) * 8 / 2 / 1e6 for m in tx1}, mux_a, mux_b, "up")
            back = last[1]["m0"] > 0 and last[1]["m1"] > 0
        expect(back, f"m0 did not come back: {last}")
        say(f"  m0 back: both members carry the stream again (m0 {last[1]['m0']:.1f}, m1 {last[1]['m1']:.1f} "
            f"Mbit/s) and every member is collecting+distributing on both sides")
        expect(end["sum_received"]["bytes"] > 0, "iperf3 received nothing")
        say()
        for d in (pair.a, pair.b):
            lagctl(lagctl_bin, d, "show", "lag")
        lagctl(lagctl_bin, pair.a, "show", "stats")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lagd")
    ap.add_argument("lagctl")
    ap.add_argument("--stream", type=int, default=20, help="seconds of iperf3 (default 20)")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lagd-demo-"))
    try:
        run(work, os.path.abspath(a.lagd), os.path.abspath(a.lagctl), a.stream)
        say("\n  demo: every step did what it says")
        return 0
    except KeyboardInterrupt:
        say("\n  interrupted: daemons stopped, namespaces removed")
        return 130
    except (DemoFailed, RuntimeError, TimeoutError, OSError, subprocess.SubprocessError) as e:
        say(f"\n  demo FAILED: {type(e).__name__}: {e}")
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
