#!/usr/bin/python3
"""MACsec through dpdk-lagd's real data path, scapy as the oracle.

dpdk-lagd runs one LAG (IEEE profile) whose member m0 is a net_pcap port with
static MACsec keys from a 0600 key file ([lag.macsec] mode = "static"):
  * frames the access port reads (rx_pcap) leave m0 protected (tx_pcap):
    scapy's MACsec layer verifies and decrypts every one to the original;
    tshark decodes them as MACsec with no malformed field;
  * frames scapy protects, read by m0 (rx_pcap), come out of the access port
    (tx_pcap) identical to the originals;
  * replayed, late, tampered and truncated frames in the same stream are
    dropped, and dpdk-lagd's exit counters say why (InPktsLate,
    InPktsNotValid, bad tag);
for GCM-AES-128/256 and GCM-AES-XPN-128/256, with and without SCI, at
confidentiality offsets 0 and 30. Also: the provider profile refuses
GCM-AES-128 with the config's line, and a key file group or others can read is
refused.

usage: test_lagd_scapy.py PATH/TO/dpdk-lagd
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

try:
    from scapy.all import Ether, IP, UDP, Raw, wrpcap, rdpcap, raw
    from scapy.contrib.macsec import MACsecSA
except ImportError as e:  # a missing oracle is a failure, never a skip
    print(f"FAIL: scapy with MACsec support is required: {e}")
    sys.exit(1)

LAGD = sys.argv[1]
SUITES = {"gcm-aes-128": (16, False), "gcm-aes-256": (32, False),
          "gcm-aes-xpn-128": (16, True), "gcm-aes-xpn-256": (32, True)}
OUR_SCI = 0x0200000000010001
PEER_SCI = 0x0200000000020001
OUR_SSCI, PEER_SSCI = 1, 2
SALT = bytes.fromhex("e630e81a48de86a21c66fa6d")
TX_AN, RX_AN = 0, 1
TX_PN, RX_PN = 1, 100
FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def key(suite, fill):
    return bytes((fill + 7 * i) & 0xFF for i in range(SUITES[suite][0]))


def sa(suite, sci, fill, ssci, pn, an, with_sci):
    xpn = SUITES[suite][1]
    return MACsecSA(sci=sci, an=an, pn=pn, key=key(suite, fill), icvlen=16, encrypt=True,
                    send_sci=with_sci, xpn_en=xpn, ssci=ssci if xpn else None, salt=SALT if xpn else None)


def plain_frames(min_secure, src, dst):
    out = []
    for i, size in enumerate([60, 64, 100, 128, 512, 1514]):
        p = Ether(src=src, dst=dst) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1000 + i, dport=2000)
        out.append(raw(p / Raw(bytes((i + j) & 0xFF for j in range(size - len(p))))))
    out.append(raw(Ether(src=src, dst=dst, type=0x88B5) / Raw(b"short-frame-payload")))  # SL set
    return [f for f in out if len(f) - 12 >= min_secure]


def eal(prefix):
    return [LAGD, "--no-huge", "--no-pci", "-m", "1024", "--no-shconf", "--file-prefix", prefix,
            "-l", "0-1", "--log-level", "*:warning", "--"]


def config(tmp, suite, with_sci, offset, profile="ieee", key_file="keys"):
    p = lambda n: os.path.join(tmp, n)  # noqa: E731
    xpn = SUITES[suite][1]
    x_tx = f'tx_ssci = {OUR_SSCI}\ntx_salt = "{SALT.hex()}"\n' if xpn else ""
    x_rx = f'rx_ssci = {PEER_SSCI}\nrx_salt = "{SALT.hex()}"\n' if xpn else ""
    return f"""profile = "{profile}"
[[port]]
name = "access0"
device = "net_pcap_acc,rx_pcap={p('access_in.pcap')},tx_pcap={p('access_out.pcap')}"
[[port]]
name = "m0"
device = "net_pcap_m0,rx_pcap={p('m0_in.pcap')},tx_pcap={p('m0_out.pcap')}"
[[lag]]
name = "lag0"
access = "access0"
members = ["m0"]
[lag.macsec]
mode = "static"
cipher = "{suite}"
include_sci = {"true" if with_sci else "false"}
confidentiality_offset = {offset}
replay_window = 0
validate = "strict"
key_file = "{key_file}"
[[lag.macsec.member]]
port = "m0"
sci = "{OUR_SCI:016x}"
tx_key = "m0-tx"
tx_an = {TX_AN}
tx_pn = {TX_PN}
{x_tx}peer_sci = "{PEER_SCI:016x}"
rx_key = "m0-rx"
rx_an = {RX_AN}
rx_pn = {RX_PN}
{x_rx}"""


def write_keys(tmp, suite, mode=0o600):
    kf = os.path.join(tmp, "keys")
    if os.path.exists(kf):
        os.unlink(kf)
    fd = os.open(kf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w") as f:
        f.write(f"# static SAKs\nm0-tx = {key(suite, 0x10).hex()}\nm0-rx = {key(suite, 0x80).hex()}\n")
    os.chmod(kf, mode)


def macsec_row(text, port):
    lines = text.splitlines()
    for i, l in enumerate(lines):
        if l.startswith("macsec ") and "OutProtect" in l:
            names = l.split()[1:]
            for r in lines[i + 1:]:
                f = r.split()
                if f and f[0] == port and len(f) == len(names) + 1:
                    return dict(zip(names, map(int, f[1:])))
    return None


def run_lagd(tmp, prefix, want_access_rx, want_m0_rx):
    proc = subprocess.Popen(eal(prefix) + ["--config", os.path.join(tmp, "lag.toml"), "--stats", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, acc, mem = [], False, False
    deadline = time.monotonic() + 60  # a hang guard, not a timing assertion
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        out.append(line)
        f = line.split()
        if len(f) > 4 and f[1] in ("access", "member") and f[3].isdigit():
            if f[0] == "access0" and int(f[3]) >= want_access_rx:
                acc = True
            if f[0] == "m0" and int(f[3]) >= want_m0_rx:
                mem = True
        if acc and mem and line.startswith("control:"):
            break
    proc.send_signal(signal.SIGTERM)
    try:
        rest, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, _ = proc.communicate()
    out.append(rest)
    return proc.returncode, "".join(out), acc and mem


def one(tmp, suite, with_sci, offset, n):
    name = f"{suite} {'sci' if with_sci else 'no-sci'} offset {offset}"
    p = lambda f: os.path.join(tmp, f)  # noqa: E731
    # Each configuration starts afresh with the same keys: its PN state goes
    # too (else the SA rightly starts above the PNs the last one sent).
    for f in ("access_out.pcap", "m0_out.pcap", "lag.toml.lag0.pn"):
        if os.path.exists(p(f)):
            os.unlink(p(f))
    egress = plain_frames(offset, "02:00:00:00:00:01", "02:00:00:00:00:02")
    ingress = plain_frames(offset, "02:00:00:00:00:02", "02:00:00:00:00:01")
    wrpcap(p("access_in.pcap"), [Ether(f) for f in egress])
    hdr = 20 + (8 if with_sci else 0)
    assoclen = hdr + offset if offset else None
    sec = []
    for i, f in enumerate(ingress):
        s = sa(suite, PEER_SCI, 0x80, PEER_SSCI, RX_PN + i, RX_AN, with_sci)
        sec.append(raw(s.encrypt(s.encap(Ether(f)), assoclen=assoclen)))
    tampered = bytearray(sec[2])
    tampered[-20] ^= 0x01
    # ok 0, ok 1, replay 0, tampered 2, ICV cut 3, inside SecTAG 3, ok 4, ok 5.., late 3
    stream = [sec[0], sec[1], sec[0], bytes(tampered), sec[3][:-5], sec[3][:18]] + sec[4:] + [sec[3]]
    wrpcap(p("m0_in.pcap"), [Ether(f) for f in stream])
    with open(p("lag.toml"), "w") as f:
        f.write(config(tmp, suite, with_sci, offset))
    rc, text, seen = run_lagd(tmp, f"lagdms{n}", len(egress), len(stream))
    check(rc == 0, f"{name}: dpdk-lagd exit {rc}:\n{text[-2000:]}")
    check(seen, f"{name}: dpdk-lagd read every frame")
    for k in (key(suite, 0x10).hex(), key(suite, 0x80).hex()):
        check(k not in text, f"{name}: a key appears in dpdk-lagd's output")

    # Egress: scapy verifies and decrypts every protected frame to the original.
    ours = [raw(x) for x in rdpcap(p("m0_out.pcap"))] if os.path.getsize(p("m0_out.pcap")) > 24 else []
    check(len(ours) == len(egress), f"{name}: {len(ours)} of {len(egress)} protected frames on m0")
    for i, (plain, s) in enumerate(zip(egress, ours)):
        check(s[12:14] == b"\x88\xe5", f"{name}: frame {i} is not MACsec")
        v = sa(suite, OUR_SCI, 0x10, OUR_SSCI, TX_PN + i, TX_AN, with_sci)
        try:
            dec = v.decap(v.decrypt(Ether(s), assoclen=assoclen))
            check(raw(dec) == plain, f"{name}: scapy decrypted egress frame {i} differs")
        except Exception as ex:  # InvalidTag: scapy rejects our ICV
            check(False, f"{name}: scapy rejects egress frame {i}: {type(ex).__name__} {ex}")
    r = subprocess.run(["tshark", "-r", p("m0_out.pcap"), "-T", "fields", "-E", "separator=,",
                        "-e", "macsec.TCI.SC", "-e", "macsec.AN", "-e", "macsec.PN", "-e", "_ws.malformed"],
                       capture_output=True, text=True)
    lines = [x for x in r.stdout.splitlines() if x.strip()]
    check(r.returncode == 0 and len(lines) == len(egress), f"{name}: tshark read {len(lines)} frames")
    for i, x in enumerate(lines):
        sc, an, pn, malformed = (x.split(",") + ["", "", "", ""])[:4]
        check(malformed == "", f"{name}: tshark: frame {i + 1} malformed")
        check(pn != "" and int(pn) == TX_PN + i, f"{name}: tshark: frame {i + 1} PN {pn}")
        check(an != "" and int(an, 0) == TX_AN, f"{name}: tshark: frame {i + 1} AN {an}")

    # Ingress: the good frames come out of the access port identical, in order.
    back = [raw(x) for x in rdpcap(p("access_out.pcap"))] if os.path.getsize(p("access_out.pcap")) > 24 else []
    want = ingress[:2] + ingress[4:]  # 2 tampered and 3 cut never arrive intact
    check(back == want, f"{name}: {len(back)} frames on the access port, want the {len(want)} originals")
    c = macsec_row(text, "m0")
    check(c is not None, f"{name}: MACsec counters printed")
    if c:
        check(c["InOK"] == len(want), f"{name}: InOK {c['InOK']}")
        check(c["InLate"] == 2, f"{name}: InLate {c['InLate']} (replayed + late)")
        check(c["InNotValid"] == 2, f"{name}: InNotValid {c['InNotValid']} (tampered + ICV cut)")
        check(c["InBadTag"] == 1, f"{name}: InBadTag {c['InBadTag']} (cut inside the SecTAG)")
        check(c["OutEncrypt"] == len(egress), f"{name}: OutEncrypt {c['OutEncrypt']}")


def refusals(tmp):
    write_keys(tmp, "gcm-aes-128")
    with open(os.path.join(tmp, "lag.toml"), "w") as f:
        f.write(config(tmp, "gcm-aes-128", True, 0, profile="provider"))
    r = subprocess.run(eal("lagdmsbad") + ["--config", os.path.join(tmp, "lag.toml")],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and ("cipher-suite" in r.stderr or "cak-length" in r.stderr),
          f"provider profile refuses gcm-aes-128: {r.stderr}")
    check("lag.toml:" in r.stderr, f"the refusal names the config line: {r.stderr}")
    write_keys(tmp, "gcm-aes-256", mode=0o644)
    with open(os.path.join(tmp, "lag.toml"), "w") as f:
        f.write(config(tmp, "gcm-aes-256", True, 0, profile="provider"))
    r = subprocess.run(eal("lagdmsbad2") + ["--config", os.path.join(tmp, "lag.toml")],
                       capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    check(r.returncode == 2 and "key-file-mode" in out, f"a 0644 key file is refused: {out[-500:]}")
    check(key("gcm-aes-256", 0x10).hex() not in out, "no key in the refusal")


def main():
    tmp = tempfile.mkdtemp(prefix="lagd-macsec-")
    try:
        refusals(tmp)
        n = 0
        for suite in SUITES:
            write_keys(tmp, suite)
            for with_sci in (True, False):
                for offset in (0, 30):
                    one(tmp, suite, with_sci, offset, n)
                    n += 1
    finally:
        subprocess.run(["rm", "-rf", tmp])
    if FAILS:
        print(f"{len(FAILS)} check(s) failed")
        sys.exit(1)
    print(f"all checks passed ({n} configurations)")


if __name__ == "__main__":
    main()
