#!/usr/bin/python3
"""A CAK rollover on two dpdk-lagd back to back (tests/interop/lagd_pair.py,
no LACP, two member veths, must_encrypt MKA started at run time):

- in numbered streams (iperf3 UDP, whose datagrams carry a sequence
  number) both ways, A is given a second key (`add lag lag0 macsec key
  ...`), B the same key some seconds later: on both sides every member
  moves its traffic to the new CKN and the old key retires (states
  associated / disassociated); iperf3 counts no datagram lost and none out
  of order, and no member stopped distributing;
- a third key only A takes keeps associating while the second one secures
  the link, pings crossing;
- a fallback key on both, then A's chain replaced by a key B lacks: the
  fallback carries the link (shown, counted); once B takes A's key both
  return to it and the fallback retires;
- no CAK in any output, reply or file but the CAK files.

usage: test_mka_rollover.py DPDK_LAGD    (MKA_LAGD_KEEP=1 keeps the work folder)
Needs root; fails, never skips, with the reason when something is missing.
"""

import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from lagd_pair import LagdPair, run_test  # noqa: E402

FAILS = []
CKN1, CKN2, CKN3, CKN4 = "726f6c6c31", "726f6c6c32", "726f6c6c33", "726f6c6c34"  # "roll1" ...
FB = "6662"  # "fb"
CAKS = {
    CKN4: "909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
    FB: "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
    CKN1: "303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f",
    CKN2: "505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f",
    CKN3: "707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f",
}
SUITE = "gcm-aes-256"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def members(lag):
    return {m["port"]: m for m in lag["members"]}


def on_key(d, ckn, ports=("m0", "m1")):
    """Every member secured, distributing and transmitting with `ckn`."""
    ms = members(d.show("lag lag0"))
    return all(p in ms and ms[p].get("mka_secured") and ms[p]["status"] == "operational"
               and ms[p].get("mka_ckn") == ckn for p in ports)


def states(d, port):
    return {k["ckn"]: k["state"] for k in members(d.show("lag lag0"))[port].get("mka_keys", [])}


def macsec_drops(d):
    """The MACsec drop counters of every member (tx_macsec_drop_*, rx_macsec_drop_*), summed by name."""
    out = {}
    for m in d.show("macsec"):
        for name, v in m.get("counters", {}).items():
            if "macsec_drop" in name:
                out[name] = out.get(name, 0) + v
    return out


def all_drops(d):
    """Every port's named drop counters (show stats), by "port/reason": where a lost datagram went."""
    out = {}
    for port, st in d.show("stats").items():
        if isinstance(st, dict):
            for reason, n in st.get("drops", {}).items():
                if isinstance(n, int):
                    out[f"{port}/{reason}"] = n
    return out


def packets(d):
    """Every port's rx and tx packet counts (show stats), by "port/rx" and "port/tx"."""
    out = {}
    for port, st in d.show("stats").items():
        if isinstance(st, dict) and "rx_packets" in st:
            out[f"{port}/rx"], out[f"{port}/tx"] = st["rx_packets"], st["tx_packets"]
    return out


def run(work, lagd):
    files = {}
    for ckn, cak in CAKS.items():
        files[ckn] = Path(work) / f"cak-{ckn}.hex"
        files[ckn].write_text(cak + "\n")
        files[ckn].chmod(0o600)
    seen = []

    def ctl(d, line):
        st, body = d.ctl(line)
        seen.append(body)
        return st, body

    with LagdPair(work, lagd, members=2, in_lag=2, lacp=None) as pair:
        pair.start()
        pair.wait_converged()
        for d in (pair.a, pair.b):
            st, body = ctl(d, f"set lag lag0 macsec ckn {CKN1} cak-file {files[CKN1]} cipher {SUITE}")
            check(st == 0 and "MKA started" in body, f"{d.name}: MKA on with {CKN1}: {body.strip()}")
        for d in (pair.a, pair.b):
            d.wait_for(lambda d=d: on_key(d, CKN1), 30, f"m0 and m1 secured on {CKN1}")
        check(True, f"both sides secured on {CKN1}")

        # Watch both sides' members while the stream runs: none may stop distributing.
        stop = threading.Event()
        dropped_out = []

        def watch():
            while not stop.is_set():
                for d in (pair.a, pair.b):
                    for p, m in members(d.show("lag lag0")).items():
                        if m["status"] != "operational":
                            dropped_out.append((d.name, p, m["status"], m.get("mka_reason", "")))
                time.sleep(0.1)
        watcher = threading.Thread(target=watch)
        drops0 = {d.name: macsec_drops(d) for d in (pair.a, pair.b)}
        all0 = {d.name: all_drops(d) for d in (pair.a, pair.b)}
        pk0 = {d.name: packets(d) for d in (pair.a, pair.b)}
        streams = {src: pair.iperf_start(seconds=24, udp_rate="2M", parallel=2, src=src) for src in ("a", "b")}
        watcher.start()
        try:
            time.sleep(3)
            st, body = ctl(pair.a, f"add lag lag0 macsec key ckn {CKN2} cak-file {files[CKN2]}")
            check(st == 0 and "associating" in body, f"A: add key {CKN2}: {body.strip()}")
            time.sleep(4)
            check(on_key(pair.a, CKN1) and states(pair.a, "m0").get(CKN2) == "associating",
                  f"A, B without {CKN2} yet: still on {CKN1}, {CKN2} associating ({states(pair.a, 'm0')})")
            st, body = ctl(pair.b, f"add lag lag0 macsec key ckn {CKN2} cak-file {files[CKN2]}")
            check(st == 0, f"B: add key {CKN2} 7 s after A: {body.strip()}")
            for d in (pair.a, pair.b):
                d.wait_for(lambda d=d: on_key(d, CKN2), 20, f"every member on {CKN2}")
            for d in (pair.a, pair.b):
                d.wait_for(lambda d=d: all(states(d, p).get(CKN1) == "disassociated" for p in ("m0", "m1")), 20,
                           f"{CKN1} retired")
                check(all(states(d, p).get(CKN2) == "associated" for p in ("m0", "m1")),
                      f"{d.name}: {CKN2} associated, {CKN1} disassociated on both members ({states(d, 'm0')})")
            results = {src: pair.iperf_result(s, 60) for src, s in streams.items()}
        finally:
            stop.set()
            watcher.join()
        moved = {d.name: {k: v - all0[d.name].get(k, 0) for k, v in all_drops(d).items()
                          if v != all0[d.name].get(k, 0)} for d in (pair.a, pair.b)}
        # Per hop, for a loss: frames each port took and sent during the streams (MKPDUs included).
        moved["packets"] = {d.name: {k: v - pk0[d.name].get(k, 0) for k, v in packets(d).items()}
                            for d in (pair.a, pair.b)}
        for src, result in results.items():
            total, lost = result["sum"]["packets"], result["sum"]["lost_packets"]
            ooo = sum(s["udp"].get("out_of_order", 0) for s in result["streams"])
            check(total > 1000 and lost == 0 and ooo == 0,
                  f"numbered stream from {src.upper()} across the rollover: {total} datagrams, {lost} lost, "
                  f"{ooo} out of order" + (f" (dpdk-lagd drops meanwhile: {moved})" if lost else ""))
        check(not dropped_out, f"no member stopped distributing during the rollover: {dropped_out[:3]}")
        for d in (pair.a, pair.b):
            grew = {k: v - drops0[d.name].get(k, 0) for k, v in macsec_drops(d).items()
                    if v != drops0[d.name].get(k, 0)}
            check(not grew, f"{d.name}: no MACsec drop counter moved across the rollover: {grew}")
        rollovers = [m.get("mka_rollovers") for m in pair.a.show("lag lag0")["members"]]
        check(rollovers == [1, 1], f"A counts one rollover per member: {rollovers}")

        # A key the far end never takes: the one in use keeps securing.
        st, body = ctl(pair.a, f"add lag lag0 macsec key ckn {CKN3} cak-file {files[CKN3]}")
        check(st == 0, f"A: add key {CKN3} (B never will): {body.strip()}")
        time.sleep(12)
        sent, got = pair.ping(count=30, interval=0.02)
        check(got == sent == 30 and on_key(pair.a, CKN2) and on_key(pair.b, CKN2)
              and all(states(pair.a, p).get(CKN3) == "associating" for p in ("m0", "m1")),
              f"{CKN3} only on A: still secured on {CKN2}, {CKN3} associating, {got}/{sent} pings")

        # The fallback: set on both; A's chain replaced by a key B lacks, so
        # no primary secures: the fallback carries the link, counted; B then
        # takes A's key and both return to it.
        for d in (pair.a, pair.b):
            st, body = ctl(d, f"set lag lag0 macsec fallback ckn {FB} cak-file {files[FB]}")
            check(st == 0, f"{d.name}: set fallback {FB}: {body.strip()}")
        st, body = ctl(pair.a, f"set lag lag0 macsec ckn {CKN4} cak-file {files[CKN4]}")
        check(st == 0, f"A: a new key B does not have: {body.strip()}")

        def on_fallback(d):
            ms = members(d.show("lag lag0"))
            return all(ms[p].get("mka_fallback") and ms[p].get("mka_secured") and ms[p]["status"] == "operational"
                       for p in ("m0", "m1"))
        for d in (pair.a, pair.b):
            d.wait_for(lambda d=d: on_fallback(d), 40, "the fallback carries every member")
        sent, got = pair.ping(count=20, interval=0.02)
        ms = members(pair.a.show("lag lag0"))
        check(got == sent == 20 and all(ms[p].get("mka_ckn") == FB and ms[p].get("mka_fallback_activations") == 1
                                        and states(pair.a, p).get(FB) == "associated" for p in ("m0", "m1")),
              f"no primary secures: the fallback {FB} carries the link (counted once), {got}/{sent} pings")
        st, body = ctl(pair.b, f"add lag lag0 macsec key ckn {CKN4} cak-file {files[CKN4]}")
        check(st == 0, f"B: add A's key {CKN4}: {body.strip()}")
        for d in (pair.a, pair.b):
            d.wait_for(lambda d=d: on_key(d, CKN4), 30, f"back on the primary {CKN4}")
            d.wait_for(lambda d=d: all(states(d, p).get(FB) == "disassociated" for p in ("m0", "m1")), 20,
                       "the fallback retired")
        sent, got = pair.ping(count=20, interval=0.02)
        check(got == sent == 20, f"both back on {CKN4} as soon as it secured, the fallback retired: {got}/{sent} pings")
        outs = [pair.a.stop(), pair.b.stop()]
    texts = outs + seen + [p.read_text(errors="replace") for p in Path(work).glob("*.toml")]
    texts += [p.read_text(errors="replace") for p in Path(work).glob("*.log")]
    check(all(c not in t and c.upper() not in t for c in CAKS.values() for t in texts),
          f"no CAK in {len(outs)} daemon outputs, {len(seen)} replies, the configs and logs")


def main():
    return run_test(run, "mka-rollover-", FAILS, check, "MKA_LAGD_KEEP")


if __name__ == "__main__":
    sys.exit(main())
