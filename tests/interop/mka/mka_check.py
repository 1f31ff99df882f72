#!/usr/bin/python3
"""Independent check of dpdk-lag's MKPDUs with python3-cryptography and tshark.

For each cipher suite: run the capture fixture, then, with no code shared with
lib/mka, recompute ICK and KEK from CAK/CKN (IEEE 802.1X-2020 6.2.1, 9.3),
verify the ICV of every captured MKPDU (AES-CMAC over DA..last octet before
the ICV), unwrap every Distributed SAK with the KEK (RFC 3394) and compare it
with the SAK the participants installed; then have tshark decode every frame
as EAPOL-MKA with no malformed field.

usage: mka_check.py MKA_CAPTURE_BINARY

tests/interop/mka_lagd imports read_frames(), verify_mkpdus() and
tshark_mka() to check what two dpdk-lagd daemons sent each other on a veth.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, InvalidUnwrap

SUITES = {
    0x0080C20001000001: ("gcm-aes-128", 16),
    0x0080C20001000002: ("gcm-aes-256", 32),
    0x0080C20001000003: ("gcm-aes-xpn-128", 16),
    0x0080C20001000004: ("gcm-aes-xpn-256", 32),
}


def cmac(key, msg):
    c = CMAC(algorithms.AES(key))
    c.update(msg)
    return c.finalize()


def kdf(key, label, context, nbytes):
    out = b""
    for i in range(1, (nbytes + 15) // 16 + 1):
        out += cmac(key, bytes([i]) + label + b"\0" + context + (nbytes * 8).to_bytes(2, "big"))
    return out[:nbytes]


def derive(cak, ckn):
    ctx = (ckn + bytes(16))[:16]
    return kdf(cak, b"IEEE8021 ICK", ctx, len(cak)), kdf(cak, b"IEEE8021 KEK", ctx, len(cak))


def read_frames(path):
    """Every frame of a pcap (read here) or pcapng (dumpcap's format, read by scapy)."""
    data = open(path, "rb").read()
    magic, = struct.unpack("<I", data[:4])
    if magic == 0x0A0D0D0A:
        from scapy.utils import rdpcap
        return [bytes(p) for p in rdpcap(path)]
    assert magic == 0xA1B2C3D4, "pcap magic"
    off, frames = 24, []
    while off < len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


def parse(frame):
    """Returns (ckn, covered, icv, distributed_saks) of one MKPDU frame."""
    assert frame[0:6] == bytes.fromhex("0180c2000003"), "destination"
    assert frame[12:14] == b"\x88\x8e", "ethertype"
    assert frame[14] == 3 and frame[15] == 5, "EAPOL v3 EAPOL-MKA"
    blen = int.from_bytes(frame[16:18], "big")
    body = frame[18:18 + blen]
    assert len(body) == blen and blen % 4 == 0
    set_len = lambda o: ((body[o + 2] & 0x0F) << 8) | body[o + 3]
    bl = set_len(0)
    ckn = body[32:4 + bl]
    off = 4 + (bl + 3) // 4 * 4
    saks = []
    while off < blen - 16:
        t, n = body[off], set_len(off)
        if t == 255:
            assert n == 16 and off + 4 == blen - 16, "ICV indicator"
            break
        if t == 4 and n:
            an = body[off + 1] >> 6
            kn = int.from_bytes(body[off + 4:off + 8], "big")
            if n == 28:
                suite, wrapped = 0x0080C20001000001, body[off + 8:off + 32]
            else:
                suite = int.from_bytes(body[off + 8:off + 16], "big")
                wrapped = body[off + 16:off + 4 + n]
            saks.append((kn, an, suite, wrapped))
        off += 4 + (n + 3) // 4 * 4
    covered = frame[:18 + blen - 16]
    return ckn, covered, frame[18 + blen - 16:18 + blen], saks


def verify_mkpdus(frames, cak, ckn):
    """Checks every MKPDU's CKN and ICV with an ICK derived here from the CAK and
    CKN, and unwraps every Distributed SAK with the KEK; returns {(KS MI, KN):
    (AN, suite name, SAK)}. Raises AssertionError on the first failure."""
    ick, kek = derive(cak, ckn)
    unwrapped = {}
    for i, f in enumerate(frames):
        fckn, covered, icv, saks = parse(f)
        assert fckn == ckn, "CKN"
        assert cmac(ick, covered) == icv, f"ICV of frame {i}"
        # the check can fail: a flipped bit, or the wrong key
        bad = bytearray(covered)
        bad[24] ^= 1
        assert cmac(ick, bytes(bad)) != icv
        assert cmac(bytes(len(ick)), covered) != icv
        for kn, an, suite, wrapped in saks:
            sak = aes_key_unwrap(kek, wrapped)
            assert len(sak) == SUITES[suite][1]
            try:
                aes_key_unwrap(bytes(len(kek)), wrapped)
                raise AssertionError("unwrap with a wrong KEK succeeded")
            except InvalidUnwrap:
                pass
            unwrapped[(f[18 + 12:18 + 24], kn)] = (an, SUITES[suite][0], sak)
    return unwrapped


LIVE_SESSION_SETS = ("Basic Parameter set", "Live Peer List Parameter set", "MACsec SAK Use parameter set",
                     "Distributed SAK parameter set", "Announcement parameter set", "Integrity Check Value")


def tshark_mka(pcap, count, xpn=False, bpf_filter="eapol", sets=LIVE_SESSION_SETS):
    """tshark decodes `count` frames of `pcap` (those its display filter
    `bpf_filter` keeps) as EAPOL-MKA with no malformed field and every parameter
    set of `sets` somewhere (by default every set a live session of ours uses);
    returns the number of expert warnings."""
    # (tshark 4.0 leaves mka out of frame.protocols; its display filter finds it)
    mka = subprocess.run(["tshark", "-r", pcap, "-Y", "mka", "-T", "fields", "-e", "frame.number"],
                         check=True, capture_output=True, text=True).stdout.split()
    assert len(mka) == count, (len(mka), count)
    verbose = subprocess.run(["tshark", "-r", pcap, "-V", "-Y", bpf_filter], check=True, capture_output=True,
                             text=True).stdout
    assert "Malformed" not in verbose and "Expert Info (Error" not in verbose
    assert verbose.count("MACsec Key Agreement") == count
    for needle in sets:
        assert needle.lower() in verbose.lower(), needle
    if xpn:
        assert "Extended Packet Numbering set" in verbose
        assert "GCM-AES-XPN" in verbose
    return verbose.count("Expert Info (Warning")


def check(tool, cak_hex, ckn, suites, tmp):
    pcap, js = os.path.join(tmp, "mka.pcap"), os.path.join(tmp, "mka.json")
    subprocess.run([tool, pcap, js, cak_hex, ckn, suites], check=True)
    expect = json.load(open(js))
    frames = read_frames(pcap)
    assert len(frames) == expect["frames"] and len(frames) > 4
    unwrapped = {kn: v for (_, kn), v in verify_mkpdus(frames, bytes.fromhex(cak_hex), ckn.encode()).items()}
    assert len(unwrapped) == len(expect["saks"]) == 2, (unwrapped.keys(), expect)
    for s in expect["saks"]:
        an, suite, sak = unwrapped[s["kn"]]
        assert an == s["an"] and suite == s["suite"], (an, suite, s)
        assert sak.hex() == s["sak"], f"SAK of KN {s['kn']}"
    # tshark: every frame is EAPOL-MKA, no malformed field
    warnings = tshark_mka(pcap, len(frames), xpn="xpn" in suites.split(",")[0])
    print(f"{suites}: {len(frames)} MKPDUs, ICV ok, {len(unwrapped)} SAKs unwrapped and equal, "
          f"tshark: all mka, 0 malformed, {warnings} expert warnings")
    return warnings


def main():
    tool = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        check(tool, "00112233445566778899aabbccddeeff", "ckn-128", "gcm-aes-128", tmp)
        check(tool, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
              "a-long-cak-name-of-thirty-two-o!", "gcm-aes-256", tmp)
        w = check(tool, "f0e0d0c0b0a090807060504030201000f0e0d0c0b0a090807060504030201000",
                  "xpn", "gcm-aes-xpn-256,gcm-aes-256", tmp)
        assert w == 0, "tshark warns on XPN-256 MKPDUs"
    print("mka interop: ok")


if __name__ == "__main__":
    main()
