#!/usr/bin/python3
"""MACsec interop: lib/macsec against independent implementations.

  * scapy's MACsec layer (scapy.contrib.macsec, Debian's python3-scapy 2.5,
    GCM through python3-cryptography) as the oracle: frames lib/macsec
    protects are verified and decrypted by scapy to the identical original,
    and frames scapy protects are verified and decrypted by lib/macsec to the
    identical original; for GCM-AES-128/256 and GCM-AES-XPN-128/256 (scapy
    2.5 has XPN: SSCI and salt), with and without SCI, confidentiality offset
    0 and 30, and integrity only.
  * Replayed, late, tampered and truncated frames are dropped with the right
    802.1AE counter.
  * tshark's MACsec dissector decodes every protected frame with no
    malformed or expert-error field, and reads back the SecTAG we wrote.

Limits of the oracle (said here and in the report): scapy has no notion of a
confidentiality offset beyond passing `assoclen`, and with an offset larger
than a short frame's secure data it would take part of the ICV as AAD; so the
offset cases use frames whose secure data is at least the offset. scapy never
sets the ES or SCB bits.

usage: test_scapy_interop.py PATH/TO/macsec-pcap-tool
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    from scapy.all import Ether, IP, UDP, Raw, wrpcap, rdpcap, raw
    from scapy.contrib.macsec import MACsecSA
except ImportError as e:  # a missing oracle is a failure, never a skip
    print(f"FAIL: scapy with MACsec support is required: {e}")
    sys.exit(1)

TOOL = sys.argv[1]
SUITES = {
    "gcm-aes-128": (16, False),
    "gcm-aes-256": (32, False),
    "gcm-aes-xpn-128": (16, True),
    "gcm-aes-xpn-256": (32, True),
}
SCI = 0x5254001234560001  # 52:54:00:12:34:56, port 1
SSCI = 0x7A30C118
SALT = bytes.fromhex("e630e81a48de86a21c66fa6d")
AN = 1
failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def plain_frames(min_secure=0):
    out = []
    for i, size in enumerate([60, 61, 64, 100, 128, 512, 1514]):
        p = Ether(src="52:54:00:12:34:56", dst="02:00:00:00:00:02") / IP(
            src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1000 + i, dport=2000)
        p = p / Raw(bytes((i + j) & 0xFF for j in range(size - len(p))))
        out.append(raw(p))
    # A short frame: 21 octets of secure data, so the SecTAG carries SL.
    out.append(raw(Ether(src="52:54:00:12:34:56", dst="02:00:00:00:00:02", type=0x88B5)
                   / Raw(b"short-frame-payload")))
    return [f for f in out if len(f) - 12 >= min_secure]


def key_for(suite):
    n, _ = SUITES[suite]
    return bytes((0x40 + 3 * i) & 0xFF for i in range(n))


def first_pn(suite):
    # XPN: start just below a 2^32 boundary so the PN's high half changes
    # inside the run; otherwise a large 32-bit PN.
    return 0x00000005FFFFFFFC if SUITES[suite][1] else 0xFFFF0000


def scapy_sa(suite, pn, with_sci, conf):
    _, xpn = SUITES[suite]
    return MACsecSA(sci=SCI, an=AN, pn=pn, key=key_for(suite), icvlen=16,
                    encrypt=conf, send_sci=with_sci, xpn_en=xpn,
                    ssci=SSCI if xpn else None, salt=SALT if xpn else None)


def tool(mode, suite, with_sci, conf, offset, inp, outp, tmp, extra=()):
    kf = os.path.join(tmp, "key")
    with open(kf, "w") as f:
        f.write(key_for(suite).hex())
    os.chmod(kf, 0o600)
    args = [TOOL, mode, "--suite", suite, "--key-file", kf, "--sci", f"{SCI:x}",
            "--an", str(AN), "--pn", str(first_pn(suite)),
            "--ssci", f"{SSCI:x}", "--salt", SALT.hex(), "--offset", str(offset)]
    if not with_sci:
        args.append("--no-sci")
    if not conf:
        args.append("--integrity")
    args += list(extra) + [inp, outp]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{mode} failed: {r.stderr.strip()}")
    return json.loads(r.stdout) if mode == "verify" else None


def tshark_check(pcap, n, with_sci, conf, name):
    r = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-E", "separator=,",
                        "-e", "macsec.TCI.SC", "-e", "macsec.TCI.E", "-e", "macsec.TCI.C",
                        "-e", "macsec.AN", "-e", "macsec.PN", "-e", "_ws.malformed",
                        "-e", "_ws.expert.severity"],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"{name}: tshark ran ({r.stderr.strip()[-200:]})")
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    check(len(lines) == n, f"{name}: tshark read {len(lines)} of {n} frames")
    for i, l in enumerate(lines):
        sc, e, c, an, pn, malformed, severity = l.split(",")[:7]
        check(malformed == "", f"{name}: tshark says frame {i + 1} is malformed")
        # Wireshark's expert severities: 0x00400000 warning, 0x00800000 error.
        sev = int(severity, 0) if severity else 0
        check(sev < 0x00800000, f"{name}: tshark expert error on frame {i + 1}: {severity}")
        truth = lambda v: v in ("1", "True", "true")
        check(truth(sc) == with_sci, f"{name}: frame {i + 1} SC bit {sc}")
        check(truth(e) == conf and truth(c) == conf, f"{name}: frame {i + 1} E/C bits {e}/{c}")
        check(an != "" and int(an, 0) == AN, f"{name}: frame {i + 1} AN {an}")
        expect_pn = (first_pn_cache + i) & 0xFFFFFFFF
        check(pn != "" and int(pn) == expect_pn, f"{name}: frame {i + 1} PN {pn} != {expect_pn}")


first_pn_cache = 0
modes = [(True, 0), (True, 30), (False, 0)]  # (confidentiality, offset)
with tempfile.TemporaryDirectory() as tmp:
    for suite in SUITES:
        for with_sci in (True, False):
            for conf, offset in modes:
                name = f"{suite} {'sci' if with_sci else 'no-sci'} " + \
                       (f"offset {offset}" if conf else "integrity")
                frames = plain_frames(min_secure=offset)
                pin = os.path.join(tmp, "plain.pcap")
                wrpcap(pin, [Ether(f) for f in frames])
                hdrlen = 20 + (8 if with_sci else 0)
                assoclen = hdrlen + offset if (conf and offset) else None

                # 1. lib/macsec protects, scapy verifies and decrypts.
                prot = os.path.join(tmp, "ours.pcap")
                tool("protect", suite, with_sci, conf, offset, pin, prot, tmp)
                ours = [raw(p) for p in rdpcap(prot)]
                check(len(ours) == len(frames), f"{name}: protected count")
                for i, (plain, sec) in enumerate(zip(frames, ours)):
                    sa = scapy_sa(suite, first_pn(suite) + i, with_sci, conf)
                    try:
                        dec = sa.decap(sa.decrypt(Ether(sec), assoclen=assoclen))
                        check(raw(dec) == plain, f"{name}: scapy decrypted frame {i} differs")
                    except Exception as ex:  # InvalidTag: scapy rejects our ICV
                        check(False, f"{name}: scapy rejects frame {i}: {type(ex).__name__} {ex}")
                first_pn_cache = first_pn(suite)
                tshark_check(prot, len(frames), with_sci, conf, name)

                # 2. scapy protects, lib/macsec verifies and decrypts.
                theirs = []
                for i, plain in enumerate(frames):
                    sa = scapy_sa(suite, first_pn(suite) + i, with_sci, conf)
                    theirs.append(sa.encrypt(sa.encap(Ether(plain)), assoclen=assoclen))
                sin = os.path.join(tmp, "theirs.pcap")
                wrpcap(sin, theirs)
                sout = os.path.join(tmp, "theirs-out.pcap")
                res = tool("verify", suite, with_sci, conf, offset, sin, sout, tmp)
                check(res["status"] == ["ok"] * len(frames), f"{name}: verify statuses {res['status']}")
                check(res["sc"]["InPktsOK"] == len(frames), f"{name}: InPktsOK {res['sc']}")
                back = [raw(p) for p in rdpcap(sout)] if os.path.getsize(sout) > 24 else []
                check(back == frames, f"{name}: frames scapy protected do not come back identical")

    # 3. Drops, on frames scapy protected (GCM-AES-XPN-256 and GCM-AES-128, SCI,
    #    offset 0, replay window 0).
    for suite in ("gcm-aes-128", "gcm-aes-xpn-256"):
        frames = plain_frames()
        sec = []
        for i, plain in enumerate(frames):
            sa = scapy_sa(suite, first_pn(suite) + i, True, True)
            sec.append(raw(sa.encrypt(sa.encap(Ether(plain)))))
        tampered = bytearray(sec[3])
        tampered[40] ^= 0x01
        sequence = [sec[0], sec[1],
                    sec[0],                # replayed
                    bytes(tampered),       # tampered
                    sec[4][:-5],           # truncated: ICV cut
                    sec[5][:18],           # truncated inside the SecTAG
                    sec[6],
                    sec[5]]                # late: PN below the next expected
        want = ["ok", "ok", "drop_late", "drop_not_valid", "drop_not_valid",
                "drop_bad_tag", "ok", "drop_late"]
        sin = os.path.join(tmp, "drops.pcap")
        wrpcap(sin, [Ether(f) for f in sequence])
        res = tool("verify", suite, True, True, 0, sin, os.path.join(tmp, "drops-out.pcap"), tmp,
                   extra=["--window", "0"])
        name = f"{suite} drops"
        check(res["status"] == want, f"{name}: statuses {res['status']} != {want}")
        check(res["sc"]["InPktsOK"] == 3, f"{name}: InPktsOK {res['sc']}")
        check(res["sc"]["InPktsLate"] == 2, f"{name}: InPktsLate {res['sc']}")
        check(res["sc"]["InPktsNotValid"] == 2, f"{name}: InPktsNotValid {res['sc']}")
        check(res["sa"]["InPktsNotValid"] == 2, f"{name}: SA InPktsNotValid {res['sa']}")
        check(res["secy"]["InPktsBadTag"] == 1, f"{name}: InPktsBadTag {res['secy']}")
        out = [raw(p) for p in rdpcap(os.path.join(tmp, "drops-out.pcap"))]
        check(out == [frames[0], frames[1], frames[6]], f"{name}: delivered frames differ")

print(f"{checks} checks, {len(failures)} failed")
sys.exit(1 if failures else 0)
