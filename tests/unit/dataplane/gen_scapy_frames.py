#!/usr/bin/python3
"""Writes data/scapy_frames.txt: frames encoded by scapy (an encoder
independent of ours) with the flow fields they were built from, for
test_flow_scapy.cpp. Run with Debian's python (it has scapy):
    /usr/bin/python3 tests/unit/dataplane/gen_scapy_frames.py
Deterministic (seeded); the output is committed."""
import os
import random
import sys

from scapy.all import (ARP, Dot1AD, Dot1Q, Ether, ICMP, IP, IPOption_NOP,
                       IPOption_RR, Raw, TCP, UDP, conf)
from scapy.layers.inet6 import (ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt,
                                IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                IPv6ExtHdrRouting)
from scapy.layers.ipsec import AH
from scapy.layers.sctp import SCTP, SCTPChunkData

conf.verb = 0
rng = random.Random(20261124)


def rmac():
    return "%02x:%02x:%02x:%02x:%02x:%02x" % (
        rng.randrange(256) & 0xFE, *[rng.randrange(256) for _ in range(5)])


def rip4():
    return ".".join(str(rng.randrange(256)) for _ in range(4))


def rip6():
    return ":".join("%x" % rng.randrange(65536) for _ in range(8))


def ip_bytes(s, v6):
    import ipaddress
    b = ipaddress.ip_address(s).packed
    return (b + bytes(16 - len(b))).hex()


def l4_layer(proto, sport, dport):
    if proto == 6:
        opts = [("MSS", 1460), ("NOP", None), ("WScale", 7)] if rng.random() < 0.5 else []
        return TCP(sport=sport, dport=dport, options=opts)
    if proto == 17:
        return UDP(sport=sport, dport=dport)
    return SCTP(sport=sport, dport=dport) / SCTPChunkData(data=b"x" * rng.randrange(1, 20))


def one():
    exp = dict(status="ok", vlan=0, l3=0, proto=0, frag=0, sip="0" * 32,
               dip="0" * 32, sport=0, dport=0)
    dst, src = rmac(), rmac()
    exp["dst"], exp["src"] = dst.replace(":", ""), src.replace(":", "")
    pkt = Ether(dst=dst, src=src)
    tags = rng.choice(["none", "none", "q", "qinq"])
    if tags == "q":
        vid = rng.randrange(1, 4095)
        pkt = pkt / Dot1Q(vlan=vid, prio=rng.randrange(8))
        exp["vlan"] = vid
    elif tags == "qinq":
        vid = rng.randrange(1, 4095)
        pkt = pkt / Dot1AD(vlan=vid) / Dot1Q(vlan=rng.randrange(1, 4095))
        exp["vlan"] = vid

    kind = rng.choice(["v4"] * 5 + ["v6"] * 5 + ["arp"])
    sport, dport = rng.randrange(65536), rng.randrange(65536)
    proto = rng.choice([6, 17, 132, 6, 17, 1])
    if kind == "arp":
        pkt = pkt / ARP(psrc=rip4(), pdst=rip4())
        exp.update(status="unsupported_l3", et=0x0806)
    elif kind == "v4":
        s, d = rip4(), rip4()
        opts = rng.choice([[], [], [IPOption_NOP()] * 4, [IPOption_RR(routers=["1.2.3.4"])]])
        frag = rng.choice(["none", "none", "df", "first", "later"])
        flags, off = {"none": (0, 0), "df": ("DF", 0), "first": ("MF", 0),
                      "later": (rng.choice([0, "MF"]), rng.randrange(1, 8000))}[frag]
        if proto == 1:
            l4 = ICMP()
        elif frag == "later":
            l4 = Raw(bytes(rng.randrange(256) for _ in range(rng.randrange(8, 64))))
        else:
            l4 = l4_layer(proto, sport, dport)
        pkt = pkt / IP(src=s, dst=d, proto=proto, options=opts, flags=flags, frag=off) / l4
        exp.update(et=0x0800, l3=4, proto=proto, sip=ip_bytes(s, False), dip=ip_bytes(d, False))
        if frag in ("first", "later"):
            exp["frag"] = 1
        elif proto != 1:
            exp.update(sport=sport, dport=dport)
    else:
        s, d = rip6(), rip6()
        ip = IPv6(src=s, dst=d)
        chain = []
        for _ in range(rng.randrange(0, 4)):
            chain.append(rng.choice(["hbh", "rt", "dst", "ah"]))
        if "hbh" in chain:
            chain.remove("hbh")
            chain.insert(0, "hbh")
        fragk = rng.choice(["none", "none", "first", "later", "atomic"])
        if proto == 1:
            proto = 58
        layers = []
        nhs = {"hbh": 0, "rt": 43, "dst": 60, "ah": 51, "frag": 44}
        names = chain + (["frag"] if fragk != "none" else [])
        for i, name in enumerate(names):
            nxt = nhs[names[i + 1]] if i + 1 < len(names) else proto
            if name == "hbh":
                layers.append(IPv6ExtHdrHopByHop(nh=nxt))
            elif name == "rt":
                layers.append(IPv6ExtHdrRouting(nh=nxt, addresses=[rip6()] * rng.randrange(0, 3)))
            elif name == "dst":
                layers.append(IPv6ExtHdrDestOpt(nh=nxt))
            elif name == "ah":
                layers.append(AH(nh=nxt, payloadlen=4, spi=rng.randrange(1, 1 << 32), seq=1,
                                 icv=bytes(12)))
            else:
                off = 0 if fragk in ("first", "atomic") else rng.randrange(1, 8000)
                m = 1 if fragk == "first" else (0 if fragk == "atomic" else rng.randrange(2))
                layers.append(IPv6ExtHdrFragment(nh=nxt, offset=off, m=m, id=rng.randrange(1 << 32)))
        if proto == 58:
            l4 = ICMPv6EchoRequest()
        elif fragk == "later":
            l4 = Raw(bytes(rng.randrange(256) for _ in range(rng.randrange(8, 64))))
        else:
            l4 = l4_layer(proto, sport, dport)
        ip.nh = nhs[names[0]] if names else proto
        p = ip
        for layer in layers:
            p = p / layer
        pkt = pkt / p / l4
        exp.update(et=0x86DD, l3=6, proto=proto, sip=ip_bytes(s, True), dip=ip_bytes(d, True))
        if fragk in ("first", "later"):
            exp["frag"] = 1
        elif proto != 58:
            exp.update(sport=sport, dport=dport)
    raw = bytes(pkt)
    if len(raw) < 60 and rng.random() < 0.5:
        raw = raw + bytes(60 - len(raw))  # Ethernet minimum-size padding
    return raw, exp


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "scapy_frames.txt")
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    with open(out, "w") as f:
        f.write("# frame status dst src outer_vlan ether_type l3 l4_proto fragment "
                "src_ip dst_ip src_port dst_port (generated by gen_scapy_frames.py)\n")
        for _ in range(n):
            raw, e = one()
            f.write("%s %s %s %s %d %04x %d %d %d %s %s %d %d\n" % (
                raw.hex(), e["status"], e["dst"], e["src"], e["vlan"], e["et"], e["l3"],
                e["proto"], e["frag"], e["sip"], e["dip"], e["sport"], e["dport"]))
    print("wrote", n, "frames to", out)


if __name__ == "__main__":
    main()
