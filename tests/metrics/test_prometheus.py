#!/usr/bin/env python3
"""Prometheus metrics from a running dpdk-lagd: `lagctl show stats
prometheus` and the --metrics-file it rewrites both pass `promtool check
metrics`, hold the documented families with their lag/port labels (LAG and
member state, LACP, MKA, static MACsec SAs, per-port counters) and never a
key. One daemon on net_null ports: an LACP + MKA LAG (no partner, so
unsecured and not distributing) and a static-keys LAG (forwarding)."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dp"))
import lagd_env as env  # noqa: E402

CONFIG = """
[[port]]
name = "access0"
device = "net_null0"
[[port]]
name = "m0"
device = "net_null1"
[[port]]
name = "m1"
device = "net_null2"
[[port]]
name = "access1"
device = "net_null3"
[[port]]
name = "s0"
device = "net_null4"
[[lag]]
name = "lag0"
access = "access0"
members = ["m0", "m1"]
[lag.lacp]
mode = "active"
[lag.macsec]
mode = "mka"
ckn = "6578616d706c652d636b6e2d30303031"
cak_file = "example-cak.hex"
cipher = "gcm-aes-xpn-256"
[[lag]]
name = "lag1"
access = "access1"
members = ["s0"]
[lag.macsec]
mode = "static"
cipher = "gcm-aes-xpn-256"
key_file = "example-keys.txt"
[[lag.macsec.member]]
port = "s0"
sci = "020000000101-0001"
tx_key = "m0-tx"
tx_ssci = 1
tx_salt = "000000000000000000000001"
peer_sci = "020000000201-0001"
rx_key = "m0-rx"
rx_ssci = 2
rx_salt = "000000000000000000000002"
"""

# Sample prefixes that must be there (name and the labels a dashboard keys on).
WANT = [
    'dpdk_lag_up{lag="lag0"} 0',
    'dpdk_lag_up{lag="lag1"} 1',
    'dpdk_lag_state{lag="lag1",state="available"} 1',
    'dpdk_lag_members{lag="lag0"} 2',
    'dpdk_lag_operational_members{lag="lag1"} 1',
    'dpdk_lag_member_link_up{lag="lag0",port="m0"} 1',
    'dpdk_lag_member_operational{lag="lag1",port="s0"} 1',
    'dpdk_lag_member_status{lag="lag0",port="m1",status="not-distributing"} 1',
    'dpdk_lag_lacp_mux_state{lag="lag0",port="m0",state=',
    'dpdk_lag_lacp_collecting_distributing{lag="lag0",port="m0"} 0',
    'dpdk_lag_mka_secured{lag="lag0",port="m0"} 0',
    'dpdk_lag_mka_live_peers{lag="lag0",port="m1"} 0',
    'dpdk_lag_mka_key_server{lag="lag0",port="m0"}',
    'dpdk_lag_macsec_state{lag="lag1",port="s0",state=',
    'dpdk_lag_macsec_secy_info{lag="lag1",port="s0",sci="0200000001010001",suite="gcm-aes-xpn-256"',
    'dpdk_lag_macsec_tx_sa_in_use{lag="lag1",port="s0",an="0"} 1',
    'dpdk_lag_macsec_tx_sa_next_pn{lag="lag1",port="s0",an="0"}',
    'dpdk_lag_macsec_tx_sa_encrypted_packets_total{lag="lag1",port="s0",an="0"}',
    'dpdk_lag_macsec_rx_sa_lowest_acceptable_pn{lag="lag1",port="s0",sci="0200000002010001",an="0"} 1',
    'dpdk_lag_macsec_rx_sa_late_packets_total{lag="lag1",port="s0",sci="0200000002010001",an="0"}',
    'dpdk_lag_port_rx_good_packets_total{lag="lag1",port="access1",role="access"}',
    'dpdk_lag_port_tx_good_bytes_total{lag="lag1",port="s0",role="member"}',
    'dpdk_lag_port_tx_macsec_protected_total{lag="lag1",port="s0",role="member"}',
    'dpdk_lag_port_rx_drop_not_collecting_total{lag="lag0",port="m0",role="member"}',
    'dpdk_lag_port_tx_control_packets_total{lag="lag0",port="m1",role="member"}',
]


def value(text, prefix):
    for line in text.splitlines():
        if line.startswith(prefix):
            return int(line.rsplit(" ", 1)[1])
    return None


def promtool(text, what):
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    env.check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
              "promtool check metrics passes %s%s" % (what, "" if r.returncode == 0 else ": " + r.stdout + r.stderr))


def main():
    lagd, lagctl, examples = sys.argv[1:4]
    env.init(lagd, lagctl)
    tmp = tempfile.mkdtemp(prefix="lagd-prom-")
    p = None
    try:
        for f in ("example-cak.hex", "example-keys.txt"):
            shutil.copy(os.path.join(examples, f), tmp)
            os.chmod(os.path.join(tmp, f), 0o600)
        keys = [open(os.path.join(tmp, f)).read() for f in ("example-cak.hex", "example-keys.txt")]
        secrets = [w.strip() for k in keys for line in k.splitlines() if not line.startswith("#")
                   for w in line.split("=")[-1:] if len(w.strip()) >= 32]
        cfg = os.path.join(tmp, "lagd.toml")
        open(cfg, "w").write(CONFIG)
        sock = os.path.join(tmp, "lagd.sock")
        mfile = os.path.join(tmp, "dpdk-lag.prom")
        p = env.start("prom" + env.TOKEN, sock, cfg,
                      extra=["--idle-sleep", "200", "--metrics-file", mfile, "--metrics-interval", "0.5"])
        rc, out, err = env.ctl(sock, "show stats prometheus")
        env.check(rc == 0, "show stats prometheus answers (%s)" % err.strip())
        promtool(out, "on lagctl's output")
        for w in WANT:
            env.check(any(line.startswith(w) for line in out.splitlines()), "has " + w)
        env.check(not any(s in out for s in secrets) and len(secrets) == 5, "no key in the metrics")
        # Counters move: s0's transmit SA encrypts what lag1 forwards.
        first = value(out, 'dpdk_lag_macsec_tx_sa_encrypted_packets_total{lag="lag1",port="s0",an="0"}')
        time.sleep(0.5)
        out2 = env.ctl(sock, "show stats prometheus")[1]
        second = value(out2, 'dpdk_lag_macsec_tx_sa_encrypted_packets_total{lag="lag1",port="s0",an="0"}')
        env.check(first is not None and second is not None and second > first,
                  "the encrypted-packets counter grows (%s then %s)" % (first, second))
        # The other words of `show stats` do not change the reply's form.
        rc, out3, _ = env.ctl(sock, "show stats s0 prometheus")
        env.check(rc == 0 and out3.startswith("# HELP dpdk_lag_up"), "show stats PORT prometheus: the same form")
        deadline = time.monotonic() + 20
        while not os.path.exists(mfile) and time.monotonic() < deadline:
            time.sleep(0.2)
        env.check(os.path.exists(mfile), "--metrics-file written")
        if os.path.exists(mfile):
            text = open(mfile).read()
            env.check(oct(os.stat(mfile).st_mode & 0o777) == "0o644", "metrics file mode 0644")
            promtool(text, "on the metrics file")
            env.check('dpdk_lag_up{lag="lag1"} 1' in text, "the metrics file holds the LAG state")
            env.check(not [f for f in os.listdir(tmp) if ".tmp." in f], "no temporary file left beside it")
    finally:
        if p is not None:
            rc, out = env.stop(p)
            env.check(rc == 0, "dpdk-lagd stops cleanly (exit %d)" % rc)
        shutil.rmtree(tmp, ignore_errors=True)
    env.finish()


main()
