#!/usr/bin/python3
"""Numbered UDP frames for the soak: `send` paces FLOWS flows (one source
port each) at RATE frames per second in all for SECONDS, each datagram
carrying (flow, seq), and records when it sent each one (CLOCK_MONOTONIC,
which every network namespace shares); `recv` records every (flow, seq)
that arrives and, once STOPFILE exists, writes per flow what arrived, which
frames arrived out of order or twice, and when. Both write JSON to OUT.

    udp_stream.py send DST PORT FLOWS RATE SECONDS SIZE OUT
    udp_stream.py recv PORT OUT STOPFILE
"""
import json
import os
import socket
import struct
import sys
import time

MAGIC = 0x50414B53  # "SKAP"
HDR = struct.Struct("!III")


def send(dst, port, flows, rate, seconds, size, out):
    socks = []
    for f in range(flows):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 20000 + f))
        socks.append(s)
    pad = b"x" * max(0, size - HDR.size)
    seq = [0] * flows
    times = [[] for _ in range(flows)]  # times[f][seq]: when (flow f, seq) was sent
    errors = 0
    interval = 1.0 / rate
    t0 = time.monotonic()
    n = 0
    while True:
        now = time.monotonic()
        if now - t0 >= seconds:
            break
        due = int((now - t0) / interval) + 1
        while n < due:
            f = n % flows
            try:
                socks[f].sendto(HDR.pack(MAGIC, f, seq[f]) + pad, (dst, port))
                times[f].append(round(time.monotonic(), 4))
                seq[f] += 1
            except OSError:
                errors += 1  # not sent: not counted as sent
            n += 1
        time.sleep(min(interval * 8, 0.005))
    with open(out, "w") as fh:
        json.dump({"sent": seq, "send_errors": errors, "seconds": time.monotonic() - t0, "t0": t0,
                   "times": times}, fh)


def recv(port, out, stopfile):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("0.0.0.0", port))
    s.settimeout(0.2)
    flows = {}
    foreign = 0
    while True:
        try:
            data = s.recv(65536)
        except socket.timeout:
            if os.path.exists(stopfile):
                break
            continue
        if len(data) < HDR.size:
            foreign += 1
            continue
        magic, f, q = HDR.unpack_from(data)
        if magic != MAGIC:
            foreign += 1
            continue
        st = flows.setdefault(f, {"seen": set(), "last": -1, "out_of_order": 0, "duplicates": 0,
                                  "reordered": [], "duplicated": []})
        if q in st["seen"]:
            st["duplicates"] += 1
            st["duplicated"].append([q, round(time.monotonic(), 4)])
        elif q < st["last"]:
            st["out_of_order"] += 1
            st["reordered"].append([q, st["last"], round(time.monotonic(), 4)])
        st["seen"].add(q)
        st["last"] = max(st["last"], q)
    res = {"foreign": foreign, "flows": {}}
    for f, st in flows.items():
        res["flows"][str(f)] = {"received": len(st["seen"]), "out_of_order": st["out_of_order"],
                                "duplicates": st["duplicates"], "max_seq": st["last"],
                                "reordered": st["reordered"], "duplicated": st["duplicated"],
                                "seen": sorted(st["seen"])}
    with open(out, "w") as fh:
        json.dump(res, fh)


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]),
             int(sys.argv[7]), sys.argv[8])
    elif sys.argv[1] == "recv":
        recv(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
