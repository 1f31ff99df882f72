#!/usr/bin/python3
"""Static MACsec keys across restarts: dpdk-lagd (GCM-AES-256, net_pcap
ports) forwards numbered frames, is stopped and started twice more, and the
PNs captured on the member (read from the SecTAGs in the pcap) never repeat
under the key. A small pn_chunk makes each run cross several reservations
while it runs. Also: the PN state file is mode 0600 and holds no key; a PN
state that cannot be written refuses the start, naming the path and why; a
key whose PN space the state says is used up is refused, naming the SA.
Arguments: dpdk-lagd."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from scapy.all import IP, UDP, Ether, Raw, rdpcap, wrpcap  # noqa: E402

LAGD = sys.argv[1]
TOK = str(os.getpid())
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def eal(prefix):
    return [LAGD, "--no-huge", "--no-pci", "-m", "512", "--no-shconf", "--file-prefix", prefix + TOK,
            "-l", "0-1", "--log-level", "*:warning", "--", "--socket", "none"]


def config(p, pn_state=None):
    extra = 'pn_state = "%s"\n' % pn_state if pn_state else ""
    return f"""
[daemon]
stats_interval = 0
[[port]]
name = "access0"
device = "net_pcap_acc{TOK},rx_pcap={p('access_in.pcap')},tx_pcap={p('access_out.pcap')}"
[[port]]
name = "m0"
device = "net_pcap_m0{TOK},rx_pcap={p('m0_in.pcap')},tx_pcap={p('m0_out.pcap')}"
[[lag]]
name = "lag0"
access = "access0"
members = ["m0"]
[lag.macsec]
mode = "static"
cipher = "gcm-aes-256"
key_file = "keys"
pn_chunk = 64
{extra}[[lag.macsec.member]]
port = "m0"
sci = "020000000a00-0001"
tx_key = "m0-tx"
peer_sci = "020000000b00-0001"
rx_key = "m0-rx"
"""


def run_once(p, n, prefix):
    """One daemon run: reads n frames on the access port, then SIGTERM.
    Returns (exit status, output)."""
    proc = subprocess.Popen(eal(prefix) + ["--config", p("lag.toml"), "--stats", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = []
    deadline = time.monotonic() + 60  # a hang guard, not a timing assertion
    seen = False
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        out.append(line)
        f = line.split()
        if len(f) > 4 and f[0] == "access0" and f[1] == "access" and int(f[3]) == n:
            seen = True
        if seen and line.startswith("control:"):
            break
    proc.send_signal(signal.SIGTERM)
    try:
        rest, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, _ = proc.communicate()
    out.append(rest)
    return proc.returncode, "".join(out), seen


def pns(path):
    """(AN, PN) of every MACsec frame in a pcap (SecTAG after the MACs)."""
    got = []
    for pkt in rdpcap(path):
        b = bytes(pkt)
        if b[12:14] == b"\x88\xe5":
            got.append((b[14] & 3, int.from_bytes(b[16:20], "big")))
    return got


def main():
    tmp = tempfile.mkdtemp(prefix="lagd-pn-")
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
    keys = {"m0-tx": os.urandom(32).hex(), "m0-rx": os.urandom(32).hex()}
    with open(p("keys"), "w") as f:
        for k, v in keys.items():
            f.write("%s = %s\n" % (k, v))
    os.chmod(p("keys"), 0o600)
    n = 300
    wrpcap(p("access_in.pcap"), [Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(dst="10.1.0.%d" % (i % 200 + 1))
                                 / UDP(sport=1000 + i, dport=4789) / Raw(b"N%05d" % i) for i in range(n)])
    wrpcap(p("m0_in.pcap"), [Ether(src="02:00:00:00:00:09", dst="02:00:00:00:00:08") / Raw(b"x" * 50)])
    with open(p("lag.toml"), "w") as f:
        f.write(config(p))
    state = p("lag.toml.lag0.pn")  # the default: beside the config, CONFIG.LAG.pn

    seen_pns = {}
    for run_no in range(3):
        rc, out, seen = run_once(p, n, "lagdpn%d" % run_no)
        check(rc == 0 and seen, "run %d: read all %d frames and exited 0 (rc %s)" % (run_no, n, rc))
        if rc != 0:
            print(out)
        got = pns(p("m0_out.pcap"))
        check(len(got) > 0, "run %d: %d protected frames captured" % (run_no, len(got)))
        m = re.search(r"PN state (\S+): (\d+) chunks reserved while running", out)
        check(m is not None and m.group(1) == state and int(m.group(2)) >= 1,
              "run %d: PN chunks reserved while running (%s)" % (run_no, m.group(0) if m else out[-400:]))
        # Every frame protected, or dropped and counted at the PN limit
        # (the worker ran ahead of the reservation): none lost unseen.
        lines = out.splitlines()
        hdr = [i for i, l in enumerate(lines) if l.split()[:2] == ["macsec", "OutProtect"]]
        row = lines[hdr[-1] + 1].split() if hdr else []
        cols = dict(zip(lines[hdr[-1]].split()[1:], row[1:])) if hdr else {}
        sent = int(cols["OutProtect"]) + int(cols["OutEncrypt"]) if cols else -1
        check(sent == len(got) and sent + int(cols["OutPNres"]) == n,
              "run %d: %d protected + %s held at the PN limit = %d" % (run_no, sent, cols.get("OutPNres"), n))
        dup = [x for x in got if x in seen_pns]
        check(not dup, "run %d: no PN sent before under the key (%d repeats, first %s, from run %s)"
              % (run_no, len(dup), dup[:3], [seen_pns[x] for x in dup[:3]]))
        check(len(set(got)) == len(got), "run %d: no PN twice within the run" % run_no)
        if run_no > 0 and got and seen_pns:
            check(min(pn for _, pn in got) > max(pn for _, pn in seen_pns),
                  "run %d: PNs start above every PN sent before (%d > %d)"
                  % (run_no, min(pn for _, pn in got), max(pn for _, pn in seen_pns)))
        for x in got:
            seen_pns[x] = run_no
        os.rename(p("m0_out.pcap"), p("m0_out_%d.pcap" % run_no))

    st = os.stat(state)
    check(st.st_mode & 0o777 == 0o600, "PN state mode 0600 (got %o)" % (st.st_mode & 0o777))
    text = open(state).read()
    check(all(v not in text and v[:16] not in text for v in keys.values()), "no key in the PN state")
    check(re.search(r"^020000000a00-0001 0 [0-9a-f]{16} \d+$", text, re.M) is not None,
          "the PN state names the SA by SCI, AN, fingerprint: " + text)

    # A PN state that cannot be written: refused at start, path and reason named.
    with open(p("lag.toml"), "w") as f:
        f.write(config(p, pn_state=p("no/such/dir/lag0.pn")))
    rc, out, _ = run_once(p, n, "lagdpnbad")
    check(rc != 0 and p("no/such/dir/lag0.pn") in out and "No such file or directory" in out,
          "an unwritable PN state refuses the start, naming the path and why (rc %s): %s" % (rc, out.strip()[-300:]))

    # The state says the key's PN space is used up: refused, naming the SA.
    with open(state, "w") as f:
        f.write(re.sub(r" \d+$", " 4294967296", text.strip()) + "\n")
    with open(p("lag.toml"), "w") as f:
        f.write(config(p))
    rc, out, _ = run_once(p, n, "lagdpnfull")
    check(rc != 0 and "pn-exhausted" in out and "SCI 020000000a00-0001 AN 0" in out,
          "a used-up PN space is refused naming the SA (rc %s): %s" % (rc, out.strip()[-300:]))
    check(all(v not in out for v in keys.values()), "no key in the output")


if __name__ == "__main__":
    main()
