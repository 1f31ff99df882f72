#!/usr/bin/python3
"""dpdk-lagd as a process: net_pcap ports read frames from pcap files and
write what they send to pcap files. Checks that the daemon refuses a bad
config with the line and rule, forwards every frame both ways (each flow on
one member), punts LACP frames instead of forwarding them, and exits 0 with
its counters on SIGTERM."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from scapy.all import IP, IPv6, TCP, UDP, Ether, Raw, rdpcap, wrpcap  # noqa: E402

LAGD = sys.argv[1]
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def eal(prefix):
    return [LAGD, "--no-huge", "--no-pci", "-m", "1024", "--no-shconf", "--file-prefix", prefix,
            "-l", "0-1", "--log-level", "*:warning", "--"]


def egress_frames(n_flows, per_flow):
    out = []
    for s in range(per_flow):
        for f in range(n_flows):
            eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
            if f % 2:
                l3 = IPv6(src="2001:db8::%x" % (f + 1), dst="2001:db8:1::1")
            else:
                l3 = IP(src="10.0.%d.%d" % (f // 250, f % 250 + 1), dst="10.1.0.1")
            l4 = TCP(sport=1024 + f, dport=443) if f % 3 else UDP(sport=1024 + f, dport=4789)
            out.append(eth / l3 / l4 / Raw(b"F%05dS%05d" % (f, s) + b"x" * (f % 200)))
    return out


def flow_of(pkt):
    m = re.search(rb"F(\d{5})S(\d{5})", bytes(pkt))
    return (int(m.group(1)), int(m.group(2))) if m else None


def main():
    tmp = tempfile.mkdtemp(prefix="lagd-test-")
    try:
        run(tmp)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        sys.exit(1)
    print("all checks passed")


def run(tmp):
    p = lambda name: os.path.join(tmp, name)  # noqa: E731
    # 1. A bad file is refused with its line and rule, before the EAL starts.
    with open(p("bad.toml"), "w") as f:
        f.write('[[port]]\nname = "a"\ndevice = "net_null0"\n[[port]]\nname = "m0"\ndevice = "net_null1"\n'
                '[[lag]]\nname = "lag0"\naccess = "a"\nmembers = ["m0"]\nmin_links = 3\n')
    r = subprocess.run(eal("lagdbad") + ["--config", p("bad.toml")], capture_output=True, text=True, timeout=60)
    check(r.returncode == 2, "bad config exits 2 (got %d)" % r.returncode)
    check("bad.toml:11" in r.stderr and "min-links" in r.stderr, "bad config names line 11 and min-links: " + r.stderr)
    with open(p("typo.toml"), "w") as f:
        f.write('[[port]]\nname = "a"\ndevcie = "net_null0"\n')
    r = subprocess.run(eal("lagdbad2") + ["--config", p("typo.toml")], capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "typo.toml:3" in r.stderr and "unknown-key" in r.stderr,
          "unknown key refused with its line: " + r.stderr)

    # 2. Forwarding both ways through net_pcap ports.
    flows, per_flow = 200, 5
    egress = egress_frames(flows, per_flow)
    wrpcap(p("access_in.pcap"), egress)
    ingress = {}
    for m in ("m0", "m1"):
        frames = [Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / IP(src="10.1.0.1", dst="10.0.0.%d" % i)
                  / UDP(sport=4789, dport=2000 + i) / Raw(b"%s-%04d" % (m.encode(), i)) for i in range(100)]
        # A LACPDU-sized slow-protocol frame: punted to control, never forwarded.
        frames.append(Ether(src="02:00:00:00:00:09", dst="01:80:c2:00:00:02", type=0x8809) / Raw(b"\x01\x01" + b"\x00" * 108))
        wrpcap(p(m + "_in.pcap"), frames)
        ingress[m] = frames
    cfg = f"""
[daemon]
stats_interval = 0
[[port]]
name = "access0"
device = "net_pcap_acc,rx_pcap={p('access_in.pcap')},tx_pcap={p('access_out.pcap')}"
[[port]]
name = "m0"
device = "net_pcap_m0,rx_pcap={p('m0_in.pcap')},tx_pcap={p('m0_out.pcap')}"
[[port]]
name = "m1"
device = "net_pcap_m1,rx_pcap={p('m1_in.pcap')},tx_pcap={p('m1_out.pcap')}"
[[lag]]
name = "lag0"
access = "access0"
members = ["m0", "m1"]
hash = "l34"
"""
    with open(p("lag.toml"), "w") as f:
        f.write(cfg)
    proc = subprocess.Popen(eal("lagdpcap") + ["--config", p("lag.toml"), "--stats", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = []
    want_access_rx = len(egress)
    deadline = time.monotonic() + 60  # a hang guard, not a timing assertion
    seen_all = False
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        out.append(line)
        f = line.split()
        if len(f) > 4 and f[0] == "access0" and f[1] == "access" and int(f[3]) == want_access_rx:
            seen_all = True
        if seen_all and line.startswith("control:"):
            break
    check(seen_all, "daemon read every egress frame")
    proc.send_signal(signal.SIGTERM)
    try:
        rest, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, _ = proc.communicate()
        check(False, "daemon did not exit within 30 s of SIGTERM")
    out.append(rest)
    text = "".join(out)
    print(text)
    check(proc.returncode == 0, "exit status 0 after SIGTERM (got %s)" % proc.returncode)
    check("stopping (signal)" in text, "stopped by the signal")

    # Egress: every frame on exactly one member, each flow on one member, in order.
    member_of, next_seq, total = {}, {}, 0
    counts = {}
    for m in ("m0", "m1"):
        pkts = rdpcap(p(m + "_out.pcap"))
        counts[m] = len(pkts)
        for pkt in pkts:
            fs = flow_of(pkt)
            check(fs is not None, "frame on %s is one of ours" % m)
            if fs is None:
                continue
            fl, s = fs
            total += 1
            check(member_of.setdefault(fl, m) == m, "flow %d on one member" % fl)
            check(next_seq.get(fl, 0) == s, "flow %d in order" % fl)
            next_seq[fl] = s + 1
    check(total == len(egress), "all %d egress frames sent on members (got %d)" % (len(egress), total))
    check(min(counts.values()) > len(egress) // 5, "both members carry traffic: %s" % counts)
    # Ingress: the data frames of both members reach the access port; LACP frames do not.
    back = rdpcap(p("access_out.pcap"))
    check(len(back) == 200, "200 ingress data frames on the access port (got %d)" % len(back))
    check(all(bytes(x)[12:14] != b"\x88\x09" for x in back), "no slow-protocol frame forwarded")
    m = re.search(r"(\d+) punted frames handled", text)
    check(m is not None and int(m.group(1)) == 2, "control handled the 2 punted LACP frames")


if __name__ == "__main__":
    main()
