#!/usr/bin/python3
"""Two dpdk-lagd daemons back to back (tests/interop/lagd_pair.py) with LACP
fast and MKA must_encrypt on three members, the key checked independently:

- A (key server priority 1) and B (2) share a CKN/CAK and run members m0, m1;
  B's namespace also holds a third daemon C with the same LACP identity as B
  on member m2 but a wrong CAK. Every MKA session A-B secures (show lag json),
  m2 never does, and A never lets m2 distribute;
- LACP runs inside MACsec ([lag.macsec] lacp = "protected", the default): it
  converges on m0 and m1, A and C never hear each other's LACPDUs on m2 (no
  SA: each one is refused and counted, tx_macsec_drop_no_sa), the captures
  on m0 and m1 carry no clear 0x8809 frame at all, scapy decrypts captured
  MACsec frames to LACPDUs, and LACP stays collecting and distributing
  across the rekey and the key change;
- pings cross; `set lag lag0 macsec rekey` on A (the key server) in the
  middle of a steady ping stream and a UDP stream loses no frame, and every
  session moves to the next AN; B is refused the rekey (not the key server);
- `set lag lag0 macsec ckn NEW cak-file NEW` on A, then on B, in the middle
  of a ping stream: no ping lost, every session secured again on the new CA;
  `unset lag lag0 macsec` on both: pings cross in the clear;
- captures on members 0 and 1: mka_check.py (python3-cryptography, no code
  shared with lib/mka) recomputes ICK/KEK from the CKN/CAK, verifies the ICV
  of every captured MKPDU and unwraps each distributed SAK; scapy decrypts
  the captured MACsec data frames with those SAKs; tshark decodes the MKPDUs
  as EAPOL-MKA with no malformed field.

usage: test_mka_lagd.py DPDK_LAGD    (MKA_LAGD_KEEP=1 keeps the work folder: logs, captures)
Needs root; fails, never skips, with the reason when something is missing.
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "mka"))
from lagd_pair import Lagd, LagdPair, run_test  # noqa: E402
import mka_check  # noqa: E402

try:
    from scapy.layers.l2 import Ether
    from scapy.contrib.macsec import MACsec, MACsecSA
    from scapy.packet import raw
except ImportError as e:  # a missing oracle is a failure, never a skip
    print(f"FAIL: scapy with MACsec support is required: {e}")
    sys.exit(1)

FAILS = []
CKN = "6d6b612d6c6167642d70616972"  # "mka-lagd-pair"
CAK = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
WRONG_CAK = "f00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
NEW_CKN = "6e6577"  # "new"
NEW_CAK = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
SUITE = "gcm-aes-256"  # the provider profile (lagd_pair's default) takes 256-bit suites


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def key_file(work, name, hexkey):
    p = Path(work) / name
    p.write_text(f"# {name}\n{hexkey}\n")
    p.chmod(0o600)
    return p


def mka_table(cak_file, prio):
    return (f'[lag.macsec]\nmode = "mka"\nckn = "{CKN}"\ncak_file = "{cak_file}"\ncipher = "{SUITE}"\n'
            f'encryption = "must_encrypt"\nkey_server_priority = {prio}\n')


def third_daemon_config(pair, cak_file):
    """C: one member (B's end of veth 2), LACP as B (same system and key), a wrong CAK."""
    dev = pair.veth["b"][2]
    return (f'[[port]]\nname = "access0"\ndevice = "net_null0"\n\n'
            f'[[port]]\nname = "m2"\ndevice = "net_pcap0,rx_iface_in={dev},tx_iface={dev},tx_iface={dev}"\n'
            f'speed = "{pair.speed}"\nmac = "{pair.member_mac("b", 2)}"\n\n'
            f'[[lag]]\nname = "lag0"\naccess = "access0"\nmembers = ["m2"]\n\n'
            f'[lag.lacp]\nmode = "active"\nrate = "fast"\nsystem_priority = 200\nsystem_id = "02:00:00:00:0b:00"\n\n'
            + mka_table(cak_file, 2))


CD = "COLLECTING_DISTRIBUTING"  # lacp::to_string(mux_state)


def xstats(d, port):
    return d.show(f"stats {port} xstats")[port]


def members(lag):
    return {m["port"]: m for m in lag["members"]}


def secured(d, ports):
    ms = members(d.show("lag lag0"))
    return all(ms[p].get("mka_secured") and ms[p]["status"] == "operational" for p in ports)


def decrypt_data(frames, saks):
    """Decrypts every MACsec frame with the SAK of its AN from the captured
    MKPDUs (trying each SAK distributed for that AN); returns (decrypted, failed,
    IPv4 frames between the two access addresses, LACPDUs among the decrypted)."""
    by_an = {}
    for (_, _), (an, _, sak) in saks.items():
        by_an.setdefault(an, []).append(sak)
    ok = bad = ip = lacpdus = 0
    for f in frames:
        if f[12:14] != b"\x88\xe5":
            continue
        p = Ether(f)
        tag = p[MACsec]
        assert tag.SC == 1, "SecTAG without SCI"  # the SCI is then f[20:28]
        done = False
        for sak in by_an.get(tag.AN, []):
            sa = MACsecSA(sci=f[20:28], an=tag.AN, pn=tag.PN, key=sak, icvlen=16, encrypt=True, send_sci=True)
            try:
                plain = sa.decap(sa.decrypt(p))
            except Exception:  # InvalidTag: not this SAK
                continue
            done = True
            b = raw(plain)
            ip += b[12:14] == b"\x08\x00" and {b[26:30], b[30:34]} == {bytes([10, 77, 0, 1]), bytes([10, 77, 0, 2])}
            # Slow protocols subtype 1, version 1, Actor Information TLV.
            lacpdus += b[12:14] == b"\x88\x09" and b[14:17] == b"\x01\x01\x01" and len(b) >= 124
            break
        ok += done
        bad += not done
    return ok, bad, ip, lacpdus


def run(work, lagd):
    cak = key_file(work, "cak.hex", CAK)
    wrong = key_file(work, "wrong-cak.hex", WRONG_CAK)
    with LagdPair(work, lagd, members=3, members_b=2, lacp="fast", lag_extra_a=mka_table(cak, 1),
                  lag_extra_b=mka_table(cak, 2)) as pair:
        pcaps = [Path(work) / f"m{i}.pcapng" for i in (0, 1)]  # one of them carries each flow
        caps = [pair.capture(i, p) for i, p in enumerate(pcaps)]
        pair.start()
        cfg_c = Path(work) / "lagd-c.toml"
        cfg_c.write_text(third_daemon_config(pair, wrong))
        c = Lagd(lagd, cfg_c, work, "lagdc", netns=pair.ns_b, lcores="1" if (os.cpu_count() or 1) > 1 else "0")
        try:
            c.wait_ready(60)
            pair.a.wait_for(lambda: secured(pair.a, ("m0", "m1")), 40, "MKA secured on m0 and m1")
            pair.b.wait_for(lambda: secured(pair.b, ("m0", "m1")), 40, "MKA secured on m0 and m1")
            time.sleep(3)  # more than an MKA hello: C has been heard and refused
            la, lb, lc = pair.a.show("lag lag0"), pair.b.show("lag lag0"), c.show("lag lag0")
            ma = members(la)
            # LACP inside MACsec: it converged where MKA secured; on m2 no SA
            # ever protected a LACPDU, so neither end heard the other's.
            check(all(ma[p]["lacp_mux"] == CD for p in ("m0", "m1")) and
                  all(m["lacp_mux"] == CD for m in lb["members"]), f"LACP {CD} on m0 and m1, both ends")
            check(ma["m2"]["partner_system"] == "" and members(lc)["m2"]["partner_system"] == "",
                  "m2: A and C never heard a LACPDU from each other (no SA, nothing sent)")
            xa, xc = xstats(pair.a, "m2"), xstats(c, "m2")
            check(xa["tx_macsec_drop_no_sa"] > 0 and xa["tx_drop_macsec"] == xa["tx_macsec_drop_no_sa"] and
                  xc["tx_macsec_drop_no_sa"] > 0,
                  f"m2: LACPDUs refused for want of an SA, counted (A {xa['tx_macsec_drop_no_sa']}, "
                  f"C {xc['tx_macsec_drop_no_sa']})")
            sl = {m["port"]: m for m in pair.a.show("lacp")}
            check(all(sl[p]["macsec"] == "protected" for p in ("m0", "m1", "m2")) and sl["m2"]["macsec_tx_drops"] > 0,
                  f"show lacp: LACP protected on every member, m2 {sl['m2']['macsec_tx_drops']} LACPDUs refused "
                  f"(m0 {sl['m0']['macsec_tx_drops']}: before MKA secured)")
            check(all(ma[p]["mka_secured"] and ma[p]["status"] == "operational" and ma[p]["mka_live_peers"] == 1
                      for p in ("m0", "m1")), "A: m0, m1 MKA secured with one live peer, operational")
            check(ma["m0"]["mka_key_server"] and ma["m1"]["mka_key_server"], "A (priority 1) is the key server")
            check(all(m["mka_secured"] and m["status"] == "operational" and not m["mka_key_server"]
                      for m in lb["members"]), "B: every member MKA secured, operational, not key server")
            check(all(m["mka_cipher"] == SUITE for m in lb["members"] + [ma["m0"], ma["m1"]]),
                  f"every session uses {SUITE}")
            check(not ma["m2"]["mka_secured"] and ma["m2"]["mka_live_peers"] == 0 and ma["m2"]["status"] != "operational",
                  f"A: m2 (wrong CAK at the far end) not secured, no live peer, {ma['m2']['status']}")
            mc = members(lc)["m2"]
            check(not mc["mka_secured"] and mc["mka_live_peers"] == 0, "C (wrong CAK): m2 never secured")
            check(la["operational_members"] == 2 and la["state"] == "available", "A: LAG available on 2 of 3")
            tx_m2 = pair.a.show("stats")["m2"]["tx_packets"]

            sent, got = pair.ping(count=40, interval=0.02)
            check(sent == 40 and got == 40, f"40 pings A -> B: {got}/{sent}")

            # A rekey in the middle of a steady ping stream and a UDP stream.
            an_before = {p: ma[p]["mka_an"] for p in ("m0", "m1")}
            ping = pair.ping_start(count=250, interval=0.02)
            replies = {}

            def rekey():
                time.sleep(1.5)
                replies["b"] = pair.b.ctl("set lag lag0 macsec rekey")
                replies["a"] = pair.a.ctl("set lag lag0 macsec rekey")
            t = threading.Thread(target=rekey)
            t.start()
            udp = pair.iperf(seconds=4, udp_rate="2M")
            t.join()
            sent, got = pair.ping_result(ping)
            check(sent == 250 and got == 250, f"ping stream across the rekey: {got}/{sent}, none lost")
            lost, total = udp["sum"]["lost_packets"], udp["sum"]["packets"]
            check(total > 0 and lost == 0, f"UDP stream across the rekey: {total - lost}/{total}, none lost")
            st, body = replies.get("a", (1, "none"))
            check(st == 0 and "rekeying m0,m1" in body and "m2" in body, "rekey on A: " + body.strip())
            st, body = replies.get("b", (0, ""))
            check(st == 1 and "mka-not-key-server" in body, "rekey on B refused: " + body.strip())
            pair.a.wait_for(lambda: all(members(pair.a.show("lag lag0"))[p]["mka_an"] == (an_before[p] + 1) % 4
                                        for p in ("m0", "m1")), 10, "the next AN on m0 and m1")
            la, lb = pair.a.show("lag lag0"), pair.b.show("lag lag0")
            check(all(members(lb)[p]["mka_an"] == members(la)[p]["mka_an"] and members(lb)[p]["mka_secured"]
                      for p in ("m0", "m1")), "B follows to the same AN, still secured")
            # More than the 3 s short timeout after the rekey: LACPDUs kept
            # crossing under the new SAK.
            check(all(members(d)[p]["lacp_mux"] == CD for d in (la, lb) for p in ("m0", "m1")),
                  f"LACP still {CD} on m0 and m1 after the rekey, both ends")
            check(pair.a.show("stats")["m2"]["tx_packets"] == tx_m2, "A sent no data on m2")

            # A new CKN/CAK at run time, A first, B a second later, pings flowing.
            new = key_file(work, "new-cak.hex", NEW_CAK)
            ping = pair.ping_start(count=150, interval=0.02)
            time.sleep(0.5)
            ra = pair.a.ctl(f"set lag lag0 macsec ckn {NEW_CKN} cak-file {new}")
            time.sleep(1.0)
            rb = pair.b.ctl(f"set lag lag0 macsec ckn {NEW_CKN} cak-file {new}")
            sent, got = pair.ping_result(ping)
            check(ra[0] == 0 and rb[0] == 0, f"set macsec ckn/cak-file on A and B: {ra[1].strip()} / {rb[1].strip()}")
            check(sent == 150 and got == 150, f"ping stream across the key change: {got}/{sent}, none lost")
            for d in (pair.a, pair.b):
                d.wait_for(lambda d=d: secured(d, ("m0", "m1")) and all(
                    members(d.show("lag lag0"))[p]["mka_an"] == (an_before[p] + 2) % 4 for p in ("m0", "m1")),
                    20, "m0 and m1 secured on the new CA")
            check(True, "every session secured again on the new CA (the next AN)")
            la, lb = pair.a.show("lag lag0"), pair.b.show("lag lag0")
            check(all(members(d)[p]["lacp_mux"] == CD for d in (la, lb) for p in ("m0", "m1")),
                  f"LACP still {CD} on m0 and m1 after the key change, both ends")
            check(all(xstats(d, p)["rx_macsec_drop_no_tag"] == 0 for d in (pair.a, pair.b) for p in ("m0", "m1")),
                  "m0, m1: no clear frame reached either SecY (rx_macsec_drop_no_tag 0)")
            time.sleep(0.5)  # MKPDUs after the key change reach the capture
        finally:
            for cap in caps:
                LagdPair.stop_capture(cap)
            out_c = c.stop()
        ra, rb = pair.a.ctl("unset lag lag0 macsec"), pair.b.ctl("unset lag lag0 macsec")
        sent, got = pair.ping(count=20, interval=0.02)
        check(ra[0] == 0 and rb[0] == 0 and got == sent == 20, f"unset macsec on both: {got}/{sent} pings in the clear")
        out_a = pair.a.stop()
        out_b = pair.b.stop()
        for name, out in (("A", out_a), ("B", out_b), ("C", out_c)):
            check(CAK not in out and WRONG_CAK not in out and NEW_CAK not in out, f"{name}: no CAK in the output")
        check("mka m2" in out_c and "own_sci" not in out_c, "C printed its MKA line")

    frames = [f for p in pcaps for f in mka_check.read_frames(str(p))]
    eapol = [f for f in frames if f[12:14] == b"\x88\x8e"]
    data = [f for f in frames if f[12:14] == b"\x88\xe5"]
    clear_slow = [f for f in frames if f[12:14] == b"\x88\x09"]
    check(not clear_slow, f"captures on m0 and m1: {len(clear_slow)} clear slow-protocol (0x8809) frames")
    check(len(eapol) >= 8, f"captures on m0 and m1: {len(eapol)} MKPDUs, {len(data)} MACsec data frames")
    saks = {}
    for ckn, cak in ((CKN, CAK), (NEW_CKN, NEW_CAK)):
        of_ca = [f for f in eapol if mka_check.parse(f)[0] == bytes.fromhex(ckn)]
        try:
            got = mka_check.verify_mkpdus(of_ca, bytes.fromhex(cak), bytes.fromhex(ckn))
            check(len(of_ca) > 0 and len(got) >= 2, f"CKN {ckn}: {len(of_ca)} MKPDUs, every ICV verified; "
                  f"{len(got)} distributed SAKs unwrapped with the KEK")
            saks.update(got)
        except AssertionError as e:
            check(False, f"MKPDU check (CKN {ckn}): {e}")
    check(len(eapol) == sum(1 for f in eapol if mka_check.parse(f)[0] in (bytes.fromhex(CKN), bytes.fromhex(NEW_CKN))),
          "every captured MKPDU belongs to one of the two CAs")
    ok, bad, ip, lacpdus = decrypt_data(data, saks)
    check(ok > 0 and bad == 0 and ip + lacpdus == ok,
          f"scapy decrypted {ok} captured MACsec frames ({ip} IPv4 10.77.0.1 <-> 10.77.0.2, {lacpdus} LACPDUs) "
          f"with the SAKs, {bad} failed")
    check(lacpdus >= 4, f"{lacpdus} LACPDUs inside MACsec (decrypted by scapy)")
    check(len({an for an, _, _ in saks.values()}) >= 3, "SAKs of three ANs (first, rekeyed, new CA) captured")
    for p in pcaps:
        n = sum(1 for f in mka_check.read_frames(str(p)) if f[12:14] == b"\x88\x8e")
        try:
            w = mka_check.tshark_mka(str(p), n)
            check(True, f"tshark {p.name}: {n} MKPDUs decoded as EAPOL-MKA, none malformed ({w} expert warnings)")
        except (AssertionError, OSError, subprocess.CalledProcessError) as e:
            check(False, f"tshark {p.name}: {e!r}")


def main():
    return run_test(run, "mka-lagd-", FAILS, check, "MKA_LAGD_KEEP")

if __name__ == "__main__":
    sys.exit(main())
