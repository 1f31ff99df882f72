#!/usr/bin/python3
"""dpdk-lagd as a process under faults, each with a clear error and nothing
corrupted: a MACsec key file that is missing, a directory or readable by
others; a second daemon on the same devices (its own socket) while the
first runs, and again after the first was SIGKILLed; SIGTERM while the
workers forward at full speed on their own lcore (clean exit, counters
printed, every mbuf back in the pool, the config file as last saved).
Uses test_lagd_ctl's start/stop/ctl/check (same arguments: dpdk-lagd lagctl)."""
import atexit
import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_lagd_ctl import CONFIG, LAGD, check, ctl, start, stop  # noqa: E402
from lagd_env import TOKEN as TOK, finish  # noqa: E402

VETH = ("rf%sa" % TOK, "rf%sb" % TOK)  # <= 15 characters

MACSEC = """[lag.macsec]
mode = "static"
cipher = "gcm-aes-256"
key_file = "%s"
[[lag.macsec.member]]
port = "m0"
sci = "020000000a00-0001"
tx_key = "m0-tx"
peer_sci = "020000000b00-0001"
rx_key = "m0-rx"
[[lag.macsec.member]]
port = "m1"
sci = "020000000a01-0001"
tx_key = "m1-tx"
peer_sci = "020000000b01-0001"
rx_key = "m1-rx"
"""


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def refused(prefix, config, sock):
    return subprocess.run([LAGD, "--no-huge", "--no-pci", "-m", "512", "--no-shconf", "--file-prefix", prefix,
                           "-l", "0", "--log-level", "*:warning", "--", "--socket", sock, "--config", config],
                          capture_output=True, text=True, timeout=60)


def key_files(tmp):
    keys = os.path.join(tmp, "keys")
    with open(keys, "w") as f:
        for name in ("m0-tx", "m0-rx", "m1-tx", "m1-rx"):
            f.write("%s = %s\n" % (name, os.urandom(32).hex()))
    os.chmod(keys, 0o600)
    cases = {
        "missing": (os.path.join(tmp, "nokeys"), None),
        "a directory": (os.path.join(tmp, "keydir"), "dir"),
        "readable by others": (os.path.join(tmp, "keys644"), 0o644),
    }
    os.mkdir(cases["a directory"][0])
    with open(keys) as f, open(cases["readable by others"][0], "w") as g:
        g.write(f.read())
    os.chmod(cases["readable by others"][0], 0o644)
    secret = open(keys).read().split()[2]
    for what, (path, _) in cases.items():
        cfg = os.path.join(tmp, "macsec-%s.toml" % what.replace(" ", "_"))
        with open(cfg, "w") as f:
            f.write(CONFIG + MACSEC % path)
        before = sha(cfg)
        sock = os.path.join(tmp, "k.sock")
        r = refused("lagdkf" + TOK, cfg, sock)
        check(r.returncode == 2 and "config refused" in r.stderr and os.path.basename(path) in r.stderr,
              "key file %s: exit 2 naming the file (got %d: %s)" % (what, r.returncode, r.stderr.strip()))
        check(secret not in r.stdout + r.stderr, "key file %s: no key material in the output" % what)
        check(not os.path.exists(sock), "key file %s: refused before the socket" % what)
        check(sha(cfg) == before, "key file %s: config file untouched" % what)
    # The good key file starts (the cases above fail for their reason only).
    cfg = os.path.join(tmp, "macsec-good.toml")
    with open(cfg, "w") as f:
        f.write(CONFIG + MACSEC % keys)
    sock = os.path.join(tmp, "good.sock")
    p = start("lagdkg" + TOK, sock, cfg)
    rc, out = stop(p)
    check(rc == 0 and secret not in out, "the same config with a good key file runs and stops cleanly")


def veth_up():
    subprocess.run(["ip", "link", "add", VETH[0], "type", "veth", "peer", "name", VETH[1]], check=True)
    for v in VETH:
        subprocess.run(["ip", "link", "set", v, "up"], check=True)


def veth_down():
    subprocess.run(["ip", "link", "del", VETH[0]], stderr=subprocess.DEVNULL)


def second_daemon(tmp):
    veth_up()
    cfg = os.path.join(tmp, "dev.toml")
    with open(cfg, "w") as f:
        f.write(CONFIG.replace('device = "net_null1"', 'device = "net_pcap_m0,iface=%s"' % VETH[0]))
    before = sha(cfg)
    s1, s2, s3 = (os.path.join(tmp, "d%d.sock" % i) for i in (1, 2, 3))
    p = start("lagdd1" + TOK, s1, cfg)
    try:
        r = refused("lagdd2" + TOK, cfg, s2)
        check(r.returncode == 1 and "device-in-use" in r.stderr and "'m0'" in r.stderr,
              "second daemon on the same device: exit 1, device-in-use naming m0 (got %d: %s)"
              % (r.returncode, r.stderr.strip()))
        check("EAL" not in r.stdout + r.stderr, "second daemon stopped before the EAL started")
        check(not os.path.exists(s2), "second daemon left no socket")
        rc, out, _ = ctl(s1, "show lag lag0")
        check(rc == 0 and "lag0" in out, "first daemon still answers")
        p.kill()  # SIGKILL: the kernel releases its device lock
        p.wait()
        p = start("lagdd3" + TOK, s3, cfg)
        check(ctl(s3, "show lag")[0] == 0, "after SIGKILL of the first, a new daemon takes the device")
    finally:
        rc, out = stop(p)
    check(rc == 0, "it stops cleanly")
    check(sha(cfg) == before, "config file untouched by all three")


def sigterm_under_load(tmp):
    cfg = os.path.join(tmp, "load.toml")
    with open(cfg, "w") as f:
        f.write(CONFIG)
    sock = os.path.join(tmp, "load.sock")
    # net_null on both sides: the worker (lcore 1) forwards as fast as it can.
    p = start("lagdld" + TOK, sock, cfg, lcores="0,1")
    try:
        check(ctl(sock, "set lag lag0 min-links 2")[0] == 0, "a change under load")
        rc, out, _ = ctl(sock, "save config")
        check(rc == 0, "save config under load")
        saved = sha(cfg)
        time.sleep(1.0)
        rc, out, _ = ctl(sock, "show stats json")
        check(rc == 0 and '"rx_packets"' in out, "stats under load")
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            check(False, "no exit within 30 s of SIGTERM")
        _, out = stop(p)  # the output file (lagd_env.start); kills it if still running
    print(out)
    check(p.returncode == 0, "SIGTERM under load: exit 0 (got %s)" % p.returncode)
    check("stopping (signal)" in out, "stopped by the signal")
    m = re.search(r"^access0\s+access\s+\S+\s+(\d+)", out, re.M)
    check(m is not None and int(m.group(1)) > 10000, "counters printed, the access port took traffic")
    m = re.search(r"mbufs in use at exit: (\d+) of (\d+)", out)
    check(m is not None and int(m.group(1)) == 0, "every mbuf back in the pool at exit: %s" % (m and m.group(0)))
    check(sha(cfg) == saved, "config file as last saved")
    check(not [f for f in os.listdir(tmp) if ".tmp." in f], "no temporary config file left")
    p = start("lagdl2" + TOK, sock, cfg)
    rc, out, _ = ctl(sock, "show lag lag0 json")
    check(rc == 0 and '"min_links": 2' in out.replace('"min_links":2', '"min_links": 2'),
          "restart from the saved file brings the change back")
    stop(p)


def main():
    if os.geteuid() != 0:
        print("FAIL: needs root (veth pairs)")
        sys.exit(1)
    tmp = tempfile.mkdtemp(prefix="lagd-faults-%s-" % TOK)
    atexit.register(lambda: (veth_down(), subprocess.run(["rm", "-rf", tmp])))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    key_files(tmp)
    second_daemon(tmp)
    sigterm_under_load(tmp)
    finish()


if __name__ == "__main__":
    main()
