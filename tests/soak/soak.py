#!/usr/bin/python3
"""Soak: two dpdk-lagd back to back (tests/interop/lagd_pair.py) with LACP
(fast) and MACsec keyed by MKA (must_encrypt, GCM-AES-XPN-256, A the key
server, a rekey from A's control socket every 15 s), a stream of numbered UDP
frames from A's side to B's through both daemons, and member links flapped
on a schedule (carrier lost on one member for a few seconds, then back). At
the end it checks:
  - at least one rekey was accepted;
  - every frame of every flow (each carries its flow's sequence number)
    arrived once and in order, or is missing and charged, frame by frame, to
    one count of a named drop counter that moved when it was sent (the
    daemons' drop counters by reason, the kernel's on the veths and TAPs,
    sampled every second: tests/soak/account.py); it reports which frames
    were lost, when, and which counter counted each, and fails on a loss no
    named counter explains; reordering and duplication per flow;
  - the resident memory of both daemons stayed flat after warm-up
    (< 10% growth);
  - no invalid-frame counter moved (MACsec: InNotValid, InInvalid,
    InNoTag, InBadTag, InNoSCI; LACP: illegal LACPDUs);
  - no frame met a SecY without the SA it was protected with (MACsec:
    InNoSA, 802.1AE's InPktsNotUsingSA), rekeys and flaps notwithstanding;
  - both daemons stop cleanly on SIGTERM with every mbuf back in the pool.

    soak.py DPDK_LAGD MINUTES
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "interop"))
from lagd_pair import LagdPair, sh  # noqa: E402

sys.path.insert(0, str(HERE))
from account import attribute, runs  # noqa: E402

FLOWS, RATE, SIZE, PORT = 16, 1000, 200, 5555  # frames/s in all; well under the 50 mbit data class
FLAP_EVERY, FLAP_DOWN = 20.0, 4.0               # seconds: longer than LACP's 3 s fast timeout
WARMUP = 0.25                                    # fraction of the run before RSS is the baseline

REKEY_EVERY = 15.0                               # seconds between `set lag lag0 macsec rekey` on A

# MKA (must_encrypt, GCM-AES-XPN-256 as the provider profile wants on 10G):
# one pre-shared 256-bit CAK in a 0600 file per side; A is the key server.
MACSEC = """[lag.macsec]
mode = "mka"
ckn = "{ckn}"
cak_file = "cak-{side}"
cipher = "gcm-aes-xpn-256"
encryption = "must_encrypt"
key_server_priority = {prio}
"""

FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def macsec_text(side, ckn):
    return MACSEC.format(side=side, ckn=ckn, prio=16 if side == "a" else 32)


def write_cak(workdir):
    cak = os.urandom(32).hex()
    for side in ("a", "b"):
        p = workdir / f"cak-{side}"
        p.write_text(cak + "\n")
        os.chmod(p, 0o600)
    return os.urandom(16).hex()  # the CKN


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def kernel_drops(ns, dev):
    """rx+tx dropped on a netdev plus its root qdisc's drops."""
    j = json.loads(sh("ip", "-n", ns, "-s", "-j", "link", "show", "dev", dev))[0]
    st = j.get("stats64", j.get("stats", {}))
    n = st.get("rx", {}).get("dropped", 0) + st.get("tx", {}).get("dropped", 0)
    q = sh("tc", "-n", ns, "-s", "qdisc", "show", "dev", dev)
    n += sum(int(x) for x in re.findall(r"dropped (\d+)", q))
    return n


def daemon_drops(d):
    """The daemon's drops by reason, summed over its ports (named: 'm0.tx_full', ...)."""
    out = {}
    for port, t in d.show("stats").items():
        for reason, n in t["drops"].items():
            if n:
                out[f"{port}.{reason}"] = n
    return out


INVALID = ("InNotValid", "InInvalid", "InNoTag", "InBadTag", "InNoSCI")


def macsec_table(output):
    """The MACsec counters dpdk-lagd prints at exit, per member."""
    lines = output.splitlines()
    rows = {}
    for k, line in enumerate(lines):
        if line.startswith("macsec ") and "OutProtect" in line:
            head = line.split()
            for row in lines[k + 1:]:  # member rows, between "macsec NAME drops" lines
                f = row.split()
                if len(f) == len(head) and re.fullmatch(r"m\d+", f[0]) and all(x.isdigit() for x in f[1:]):
                    rows[f[0]] = dict(zip(head[1:], (int(x) for x in f[1:])))
                elif f and f[0] != "macsec":
                    break
    return rows


def run(lagd, minutes, workdir):
    seconds = minutes * 60.0
    members = 2
    ckn = write_cak(workdir)
    with LagdPair(workdir, lagd, members=members, lacp="fast", lag_extra_a=macsec_text("a", ckn),
                  lag_extra_b=macsec_text("b", ckn)) as pair:
        pair.start()
        pair.wait_converged(timeout=60)
        sent, got = pair.ping(count=10, interval=0.05)
        check(got == sent, f"ping across before the stream ({got}/{sent})")
        kdevs = [(pair.ns[s], v) for s in "ab" for v in pair.veth[s]] + [(pair.ns[s], pair.tap[s]) for s in "ab"]

        def sample():
            """Every named drop counter now, with the time (CLOCK_MONOTONIC, as the sender's)."""
            v = {}
            for s in "ab":
                for k, n in daemon_drops(pair.side(s)).items():
                    v[f"{s}.{k}"] = n
            for d in kdevs:
                v[f"kernel.{d[1]}"] = kernel_drops(*d)
            return (time.monotonic(), v)

        samples = [sample()]

        stop = workdir / "stop"
        recv_out, send_out = workdir / "recv.json", workdir / "send.json"
        stream = [sys.executable, str(HERE / "udp_stream.py")]
        rx = subprocess.Popen(["ip", "netns", "exec", pair.ns_b] + stream + ["recv", str(PORT), str(recv_out),
                                                                             str(stop)])
        pair._procs.append(rx)
        time.sleep(0.5)
        tx = subprocess.Popen(["ip", "netns", "exec", pair.ns_a] + stream + [
            "send", pair.ip_b, str(PORT), str(FLOWS), str(RATE), str(seconds), str(SIZE), str(send_out)])
        pair._procs.append(tx)

        t0 = time.monotonic()
        rss = {s: [] for s in "ab"}
        flaps, next_flap, down_since, down = 0, t0 + FLAP_EVERY / 2, None, None
        rekeys, rekeys_refused, next_rekey = 0, [], t0 + REKEY_EVERY
        while tx.poll() is None:
            now = time.monotonic()
            if now >= next_rekey:
                st, body = pair.a.ctl("set lag lag0 macsec rekey")
                if st == 0:
                    rekeys += 1
                else:
                    rekeys_refused.append(body.strip())
                next_rekey = now + REKEY_EVERY
            if down is None and now >= next_flap and now - t0 < seconds - FLAP_EVERY / 2:
                down = flaps % members
                pair.link(down, up=False)
                down_since = now
            elif down is not None and now - down_since >= FLAP_DOWN:
                pair.link(down, up=True)
                down, flaps = None, flaps + 1
                next_flap = now + FLAP_EVERY
            for s in "ab":
                rss[s].append((now - t0, rss_kb(pair.side(s).proc.pid)))
            if now - samples[-1][0] >= 1.0:
                samples.append(sample())
            time.sleep(0.5)
        if down is not None:
            pair.link(down, up=True)
            flaps += 1
        time.sleep(2)  # what is in flight arrives
        stop.touch()
        rx.wait(timeout=30)
        sent_j = json.loads(send_out.read_text())
        recv_j = json.loads(recv_out.read_text())

        # Drops the daemons and the kernel counted by name during the stream.
        samples.append(sample())
        named = {k: v - samples[0][1].get(k, 0) for k, v in samples[-1][1].items()
                 if v - samples[0][1].get(k, 0)}
        pair.wait_converged(timeout=30)  # the last flap healed
        outs = {s: pair.side(s).stop() for s in "ab"}

    # --- the checks ---------------------------------------------------------
    total_sent = sum(sent_j["sent"])
    t0s = sent_j["t0"]
    lost_frames = []  # (flow, seq, t_sent)
    out_of_order = dups = 0
    for f, n in enumerate(sent_j["sent"]):
        r = recv_j["flows"].get(str(f), {"received": 0, "out_of_order": 0, "duplicates": 0, "seen": [],
                                         "reordered": [], "duplicated": []})
        seen = set(r["seen"])
        lost_frames += [(f, q, sent_j["times"][f][q]) for q in range(n) if q not in seen]
        out_of_order += r["out_of_order"]
        dups += r["duplicates"]
        check(all(q < n for q in r["seen"]), f"flow {f}: nothing arrived that was not sent")
        for q, after, t in r["reordered"]:
            print(f"soak: flow {f}: seq {q} arrived after seq {after}, at {t - t0s:.3f} s")
        for q, t in r["duplicated"]:
            print(f"soak: flow {f}: seq {q} arrived twice, again at {t - t0s:.3f} s")
    lost = len(lost_frames)
    counted = sum(named.values())
    print(f"soak: {minutes} min, {flaps} link flaps, {FLOWS} flows, {total_sent} frames sent "
          f"({sent_j['send_errors']} send errors), {total_sent - lost} received, {lost} lost, "
          f"{out_of_order} out of order, {dups} duplicated")
    print("soak: drops counted by name during the stream: " + (json.dumps(named, sort_keys=True) or "{}"))
    charged, unexplained = attribute(lost_frames, samples)
    for f, q0, q1, ta, tb, (who,) in runs(charged):
        print(f"soak: lost flow {f} seq {q0}" + (f"-{q1}" if q1 != q0 else "") +
              f", sent at {ta - t0s:.3f}" + (f"-{tb - t0s:.3f}" if q1 != q0 else "") + f" s: counted by {who}")
    for f, q0, q1, ta, tb, _ in runs([x + ("?",) for x in unexplained]):
        print(f"soak: lost flow {f} seq {q0}" + (f"-{q1}" if q1 != q0 else "") +
              f", sent at {ta - t0s:.3f}" + (f"-{tb - t0s:.3f}" if q1 != q0 else "") +
              " s: NO named counter counted it")
    check(flaps >= 1, f"links flapped ({flaps})")
    print(f"soak: {rekeys} MKA rekeys on A's command, {len(rekeys_refused)} refused {rekeys_refused or ''}")
    check(rekeys >= 1, f"MKA rekeyed during the stream ({rekeys})")
    check(total_sent > 0 and total_sent - lost > 0, "the stream crossed")
    check(out_of_order == 0, f"every flow arrived in order ({out_of_order} out of order)")
    check(dups == 0, f"no frame arrived twice ({dups})")
    check(not unexplained, f"every lost frame is charged to a named drop counter that moved when it was sent "
          f"({lost} lost, {len(unexplained)} unexplained, {counted} counted in all)")
    for s in "ab":
        series = rss[s]
        cut = [kb for t, kb in series if t >= seconds * WARMUP]
        if len(cut) >= 2:
            base, peak = cut[0], max(cut)
            growth = (peak - base) / base if base else 0
            print(f"soak: lagd{s} RSS after warm-up {base} kB, peak {peak} kB, end {cut[-1]} kB "
                  f"({100 * growth:+.1f}%)")
            check(growth < 0.10, f"lagd{s}: RSS flat after warm-up (< 10% growth)")
        else:
            check(False, f"lagd{s}: too few RSS samples")
        table = macsec_table(outs[s].split("stopping (signal)")[-1])
        check(len(table) == members, f"lagd{s}: MACsec counters printed for every member")
        bad = {f"{m}.{k}": v[k] for m, v in table.items() for k in INVALID if v.get(k)}
        check(not bad, f"lagd{s}: no invalid-frame MACsec counter moved {bad or ''}")
        dropped = {f"{m}.{k}": v[k] for m, v in table.items() for k in ("InLate", "InNoSA", "OutNoSA", "OutPNex")
                   if v.get(k)}
        print(f"soak: lagd{s} MACsec drops that are not invalid frames (whole run): {dropped or 'none'}")
        no_sa = {k: v for k, v in dropped.items() if k.endswith(".InNoSA")}
        check(not no_sa, f"lagd{s}: no frame without its receive SA (InPktsNotUsingSA) {no_sa or ''}")
        ok_in = sum(v.get("InOK", 0) for v in table.values())
        check(s == "a" or ok_in >= total_sent - lost, f"lagd{s}: the stream was verified by MACsec (InOK {ok_in})")
        final = outs[s].split("stopping (signal)")[-1]  # the counters printed at exit
        illegal = [int(x) for x in re.findall(r"^lacp m\d+ .* illegal (\d+)$", final, re.M)]
        check(len(illegal) == members and not any(illegal),
              f"lagd{s}: LACP counters printed for every member, no illegal LACPDU ({illegal})")
        m = re.search(r"mbufs in use at exit: (\d+) of \d+", outs[s])
        check(m is not None and m.group(1) == "0", f"lagd{s}: every mbuf back in the pool at exit "
              f"({m.group(0) if m else 'not printed'})")
        check("stopping (signal)" in outs[s], f"lagd{s}: stopped cleanly on SIGTERM")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    lagd, minutes = sys.argv[1], float(sys.argv[2])
    work = Path(tempfile.mkdtemp(prefix=f"lagd-soak-{os.getpid()}-"))
    try:
        run(lagd, minutes, work)
    except Exception as e:  # a fixture failure is a failure with its reason
        FAILS.append(repr(e))
        print("FAIL", e)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if FAILS:
        print(f"soak: {len(FAILS)} check(s) failed")
        sys.exit(1)
    print("soak: all checks passed")


if __name__ == "__main__":
    main()
