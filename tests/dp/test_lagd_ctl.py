#!/usr/bin/python3
"""dpdk-lagd's control socket and lagctl, end to end against a running daemon
on virtual devices (net_null): every command the daemon serves, its error
paths, JSON that parses, the socket's permissions, concurrent clients, a
client that disconnects midway, a second daemon on the same socket, and save
config + restart bringing the same LAG back. Then [lag.macsec] mode "mka":
the CAK file refused before the EAL when others may read it, when it is
malformed or when the profile refuses its length; a daemon with MKA shows
each member's session (show lag json, telemetry, the stats print) and refuses
`set lag lag0 macsec rekey` while no MKA peer answers (net_null members)."""
import json
import re
import os
import resource
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lagd_env import TOKEN, check, ctl, finish, init, start, stop, telemetry  # noqa: E402

LAGD, LAGCTL = sys.argv[1], sys.argv[2]
init(LAGD, LAGCTL)

CONFIG = """# test config
profile = "provider"
[daemon]
burst = 32
[[port]]
name = "access0"
device = "net_null0"
[[port]]
name = "m0"
device = "net_null1"
speed = "10G"
[[port]]
name = "m1"
device = "net_null2"
speed = "10G"
[[lag]]
name = "lag0"
access = "access0"
members = ["m0", "m1"]
min_links = 0
hash = "l34"
"""


def show_json(sock):
    rc, out, err = ctl(sock, "show lag lag0 json")
    return json.loads(out) if rc == 0 else {"error": err}


def core_limit(pid):
    """The soft "Max core file size" of a process, as /proc shows it."""
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max core file size"):
                return line.split()[4]
    return None


def run(tmp):
    sock = os.path.join(tmp, "run", "lagd.sock")
    cfg = os.path.join(tmp, "lag.toml")
    with open(cfg, "w") as f:
        f.write(CONFIG)
    # What the daemons inherit: core files of up to 4 MiB allowed.
    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    if hard != resource.RLIM_INFINITY and hard < 4 << 20:
        hard = 4 << 20  # root may raise it
    resource.setrlimit(resource.RLIMIT_CORE, (4 << 20, hard))
    p = start("lagdctl1" + TOKEN, sock, cfg)
    try:
        check(core_limit(p.pid) == "0", "core dumps off by default (its memory holds keys): core size limit 0")
        st = os.stat(sock)
        check(stat.S_ISSOCK(st.st_mode) and (st.st_mode & 0o777) == 0o600, "socket is mode 0600")
        check((os.stat(os.path.dirname(sock)).st_mode & 0o777) == 0o700, "socket folder is mode 0700")

        rc, out, _ = ctl(sock, "show lag")
        check(rc == 0 and "lag lag0:" in out and "m0" in out and "m1" in out, "show lag (text)")
        j = show_json(sock)
        check(j.get("name") == "lag0" and j.get("state") in ("available", "down", "pending")
              and j.get("speed") == "10G" and j.get("min_links") == 0, "show lag json: name/state/speed/min_links")
        members = j.get("members", [])
        check(len(members) == 2 and all(set(m) >= {"port", "link", "lacp_mux", "partner_system",
                                                    "partner_key", "macsec"} for m in members),
              "show lag json: per member port, link, LACP mux, partner, MACsec")
        check(j.get("state") == "available", "net_null members are up: LAG available")

        rc, out, err = ctl(sock, "set lag lag0 min-links 3")
        check(rc == 1 and "min-links" in err and "[rule: min-links]" in err, "min-links above members refused, naming the rule")
        check(show_json(sock).get("min_links") == 0, "refused change left min-links as it was")
        # MTU: the pool was sized at start for 1500; 9000 does not fit an
        # mbuf (frames are not chained): refused naming the port and both
        # numbers, nothing changed. Below the range: refused by the CLI.
        check(show_json(sock).get("mtu") == 1500, "show lag json: mtu 1500 (the default)")
        rc, out, err = ctl(sock, "set lag lag0 mtu 9000")
        check(rc == 1 and "[rule: mtu]" in err and "9000" in err and "9026" in err and
              re.search(r"port '\w+'", err) is not None, f"set lag mtu 9000 refused, port and numbers named: {err.strip()}")
        check(show_json(sock).get("mtu") == 1500, "refused MTU change left the MTU as it was")
        rc, out, err = ctl(sock, "set lag lag0 mtu 67")
        check(rc == 1 and "[rule: mtu]" in err, "set lag mtu 67 refused (68 to 9216)")
        rc, out, err = ctl(sock, "set lag lag0 mtu 1400")
        check(rc == 0 and show_json(sock).get("mtu") == 1400, f"set lag mtu 1400: {err.strip()}")
        rc, out, _ = ctl(sock, "show lag lag0")
        check(rc == 0 and "mtu 1400" in out, "show lag (text): mtu 1400")
        rc, _, _ = ctl(sock, "set lag lag0 min-links 2")
        check(rc == 0 and show_json(sock).get("min_links") == 2, "set min-links 2")
        rc, _, _ = ctl(sock, "set lag lag0 hash sym-l34")
        check(rc == 0 and show_json(sock).get("hash") == "sym-l34", "set hash sym-l34")
        rc, _, err = ctl(sock, "set lag nope min-links 1")
        check(rc == 1 and "no-such-lag" in err, "unknown LAG refused")
        rc, _, err = ctl(sock, "shwo lag")
        check(rc == 1 and "did you mean 'show'" in err, "typo gets the nearest command")
        rc, _, err = ctl(sock, "set lag lag0 min-links")
        check(rc == 1 and "usage:" in err, "missing value gets the usage")
        rc, _, err = ctl(sock, "create lag x speed 10G members m0 access m1")
        check(rc == 1 and "[rule: access-port]" in err, "a second LAG on lag0's member as access port is refused")
        rc, _, err = ctl(sock, "unset lag lag0 macsec")
        check(rc == 1 and "[rule: no-mka]" in err, "unset macsec on a LAG without MACsec refused: " + err.strip())
        rc, _, err = ctl(sock, "set lag lag0 macsec rekey")
        check(rc == 1 and "[rule: no-mka]" in err, "macsec rekey without MKA refused")
        rc, _, err = ctl(sock, "set lag lag0 macsec ckn 01 cak-file /nonexistent")
        check(rc == 1 and "/nonexistent" in err and show_json(sock).get("operational_members") == 2,
              "set macsec on a clear LAG with a missing CAK file refused, nothing changed: " + err.strip())

        rc, out, _ = ctl(sock, "show stats json")
        stats = json.loads(out) if rc == 0 else {}
        check(set(stats) == {"access0", "m0", "m1"} and stats["access0"]["rx_packets"] > 0,
              "show stats json: every port, traffic counted")
        rc, _, _ = ctl(sock, "clear stats")
        rc2, out, _ = ctl(sock, "show stats access0 json")
        after = json.loads(out)["access0"]["rx_packets"] if rc2 == 0 else -1
        check(rc == 0 and 0 <= after < stats.get("access0", {}).get("rx_packets", 0),
              "clear stats resets the counters")
        rc, out, _ = ctl(sock, "show lacp")
        check(rc == 0 and "m0" in out and "static" in out, "show lacp (static LAG)")
        rc, out, _ = ctl(sock, "help")
        check(rc == 0 and "create lag" in out, "help")

        # DPDK telemetry, as dpdk-telemetry.py reads it.
        tel = telemetry("lagdctl1" + TOKEN)
        telq = tel.query
        time.sleep(0.4)  # published every 250 ms
        check(telq("/lag/list") == {"/lag/list": ["lag0"]}, "telemetry /lag/list")
        info = telq("/lag/info,lag0")["/lag/info"]
        check(info["name"] == "lag0" and info["min_links"] == 2 and info["members"] == ["m0", "m1"]
              and info["m0/lacp_mux"] == "static", "telemetry /lag/info,lag0")
        check(telq("/lag/info,nope")["/lag/info"] is None, "telemetry /lag/info of an unknown LAG")
        lacp = telq("/lag/lacp,m1")["/lag/lacp"]
        check(lacp["port"] == "m1" and "lacp_mux" in lacp, "telemetry /lag/lacp,m1")
        st = telq("/lag/stats")["/lag/stats"]
        check(st["access0/rx_packets"] > 0 and "m0/drops/tx_full" in st, "telemetry /lag/stats")
        tel.close()

        # Concurrent clients.
        results = []
        def one():
            results.append(ctl(sock, "show lag lag0 json")[0])
        ts = [threading.Thread(target=one) for _ in range(12)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        check(results == [0] * 12, "12 concurrent clients all answered")

        # A client that disconnects midway: its half line never runs.
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        s.sendall(b"set lag lag0 min-links 1")  # no newline
        s.close()
        time.sleep(0.3)
        check(show_json(sock).get("min_links") == 2, "half a line from a vanished client did not run")
        # Raw protocol: framed reply.
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        s.sendall(b"show lag lag0 json\n")
        buf = b""
        while b"\n" not in buf:
            buf += s.recv(4096)
        head = buf.split(b"\n")[0].split()
        check(len(head) == 2 and head[0] == b"0" and int(head[1]) > 0, "reply framed as '<status> <length>'")
        s.close()

        # A second daemon on the same socket: a clear error, the first untouched.
        r = subprocess.run([LAGD, "--no-huge", "--no-pci", "-m", "512", "--no-shconf", "--file-prefix",
                            "lagdctl2" + TOKEN, "-l", "0", "--", "--socket", sock, "--config", cfg],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode != 0 and "socket-in-use" in r.stderr, "second daemon on the socket refused")
        check(ctl(sock, "show lag")[0] == 0, "first daemon still answers")

        rc, out, _ = ctl(sock, "show config")
        check(rc == 0 and "min_links = 2" in out and "sym-l34" in out, "show config has run-time changes")
        check(re.search(r"^mtu = 1400$", out, re.M) is not None, "show config writes the run-time MTU (mtu = 1400)")
        rc, out, _ = ctl(sock, "save config")
        check(rc == 0 and "saved" in out, "save config")
        check(not [f for f in os.listdir(tmp) if ".tmp." in f], "no temporary file left behind")
    finally:
        rc, out = stop(p)
    check(rc == 0, "SIGTERM: clean exit")
    check(not os.path.exists(sock), "socket removed at exit")

    # Restart from the saved file: the same LAG comes back with the change.
    p = start("lagdctl3" + TOKEN, sock, cfg, extra=["--core-dumps"])
    try:
        check(core_limit(p.pid) == str(4 << 20), "--core-dumps leaves the inherited core size limit")
        j = show_json(sock)
        check(j.get("min_links") == 2 and j.get("hash") == "sym-l34", "after restart: saved min-links and hash")
        check(j.get("mtu") == 1400, f"after restart: saved mtu 1400 ({j.get('mtu')})")
        # An unsaved change, then SIGKILL: the next start comes up from the
        # last saved config, and the stale socket file is taken over.
        check(ctl(sock, "set lag lag0 min-links 1")[0] == 0, "unsaved change before SIGKILL")
        p.kill()
        p.wait()
        check(os.path.exists(sock), "SIGKILL leaves the socket file behind")
    finally:
        if p.poll() is None:
            stop(p)
    p = start("lagdctl4" + TOKEN, sock, cfg)
    try:
        j = show_json(sock)
        check(j.get("min_links") == 2, "after SIGKILL: the last saved config (min-links 2), stale socket replaced")
    finally:
        stop(p)


MKA_CONFIG = CONFIG.replace('profile = "provider"', 'profile = "ieee"') + """[lag.macsec]
mode = "mka"
ckn = "96437a93ccf10d9dfe347846cce52c7d"
cak_file = "cak.hex"
cipher = "gcm-aes-xpn-128"
key_server_priority = 1
lacp = "clear"
"""
CAK = "135bd758b0ee5c11c55ff6ab19fdb199"
LACP_CLEAR = re.compile(r"""^\s*lacp = ["']clear["']$""", re.M)  # toml++ may write either quote


def refused(tmp, cfg, what, rule):
    r = subprocess.run([LAGD, "--no-huge", "--no-pci", "-m", "512", "--no-shconf", "--file-prefix",
                        "lagdmka%d" % os.getpid(), "-l", "0", "--", "--socket", "none", "--config", cfg],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "[rule: %s]" % rule in r.stderr and CAK not in r.stderr + r.stdout
          and "EAL" not in r.stdout + r.stderr, what + " (before the EAL, key not quoted)")


def run_mka(tmp):
    sock = os.path.join(tmp, "run", "mka.sock")
    cfg = os.path.join(tmp, "mka.toml")
    cak = os.path.join(tmp, "cak.hex")
    with open(cfg, "w") as f:
        f.write(MKA_CONFIG)
    with open(cak, "w") as f:
        f.write("# the LAG's CAK\n" + CAK + "\n")
    os.chmod(cak, 0o644)
    refused(tmp, cfg, "CAK file readable by others refused", "key-file-mode")
    with open(cak, "w") as f:
        f.write(CAK[:-2] + "\n")
    os.chmod(cak, 0o600)
    refused(tmp, cfg, "malformed CAK file refused", "key-file")
    with open(cfg, "w") as f:
        f.write(MKA_CONFIG.replace('profile = "ieee"', 'profile = "provider"')
                .replace("gcm-aes-xpn-128", "gcm-aes-xpn-256"))
    with open(cak, "w") as f:
        f.write(CAK + "\n")
    refused(tmp, cfg, "128-bit CAK under the provider profile refused", "cak-length")
    chained = os.path.join(tmp, "cak-chain.hex")
    with open(chained, "w") as f:
        f.write(CAK + "\n")
    os.chmod(chained, 0o644)
    with open(cfg, "w") as f:
        f.write(MKA_CONFIG + '[[lag.macsec.key]]\nckn = "0102"\ncak_file = "cak-chain.hex"\n')
    refused(tmp, cfg, "a chain key's CAK file readable by others refused", "key-file-mode")
    os.chmod(chained, 0o600)
    with open(chained, "w") as f:
        f.write(CAK[:-1] + "\n")
    refused(tmp, cfg, "a chain key's malformed CAK file refused", "key-file")
    os.remove(chained)
    with open(cfg, "w") as f:
        f.write(MKA_CONFIG + 'fallback_ckn = "ff"\nfallback_cak_file = "cak-chain.hex"\n')
    refused(tmp, cfg, "a missing fallback CAK file refused", "key-file")
    with open(cfg, "w") as f:
        f.write(MKA_CONFIG)
    p = start("lagdmka%d" % os.getpid(), sock, cfg)
    try:
        j = show_json(sock)
        ms = j.get("members", [])
        check(len(ms) == 2 and all(m.get("mka_secured") is False and m.get("mka_live_peers") == 0
                                   and m.get("mka_an") == -1 and m.get("macsec", "").startswith("mka unsecured")
                                   for m in ms), "show lag json: MKA per member, unsecured, no peer")
        check(j.get("operational_members") == 0, "must_encrypt: no member distributes unsecured")
        rc, out, _ = ctl(sock, "show lag")
        check(rc == 0 and "mka unsecured" in out, "show lag (text) has the MKA session")
        rc, _, err = ctl(sock, "set lag lag0 macsec rekey")
        check(rc == 1 and "[rule: mka-no-peer]" in err, "macsec rekey without a live MKA peer refused: " + err.strip())
        rc, out, err = ctl(sock, "set lag lag0 macsec rekey-interval 30")
        j = show_json(sock)
        ms = j.get("members", [])
        check(rc == 0 and "every 30 s" in out and len(ms) == 2
              and all(m.get("mka_rekey_interval") == 30 and m.get("mka_since_rekey") == -1
                      and isinstance(m.get("mka_key_server_priority"), int) for m in ms),
              "set macsec rekey-interval 30: show lag json has the interval, no SAK yet: " + (out + err).strip())
        rc, out, _ = ctl(sock, "show config")
        check(rc == 0 and re.search(r"^\s*rekey_interval = 30\s*$", out, re.M), "show config keeps rekey_interval = 30")
        rc, out, _ = ctl(sock, "show lag")
        check(rc == 0 and "rekey interval 30 s, no SAK yet" in out, "show lag (text) has the rekey interval")
        rc, _, err = ctl(sock, "set lag lag0 macsec rekey-interval 40000000")
        check(rc == 1 and "[rule: value]" in err, "rekey-interval above a year refused: " + err.strip())
        rc, _, _ = ctl(sock, "set lag lag0 macsec rekey-interval 0")
        rc2, out, _ = ctl(sock, "show config")
        check(rc == 0 and rc2 == 0 and "rekey_interval" not in out
              and all(m.get("mka_rekey_interval") == 0 for m in show_json(sock).get("members", [])),
              "rekey-interval 0: off, and gone from the config")
        tel = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        tel.connect("/var/run/dpdk/lagdmka%d/dpdk_telemetry.v2" % os.getpid())
        json.loads(tel.recv(4096))
        tel.send(b"/lag/macsec,m0")
        m0 = json.loads(tel.recv(65536))["/lag/macsec"]
        tel.close()
        check(m0.get("mka_secured") == 0 and m0.get("mka_live_peers") == 0 and "mka_an" in m0,
              "telemetry /lag/macsec,m0 has the MKA session")

        # The LAG's key chain at run time: more keys, their states, the fallback.
        cak3 = os.path.join(tmp, "cak3.hex")
        with open(cak3, "w") as f:
            f.write(CAK[1:] + CAK[0] + "\n")
        os.chmod(cak3, 0o600)
        rc, out, err = ctl(sock, "add lag lag0 macsec key ckn 0d0e cak-file cak3.hex start 2030-01-01T00:00:00Z")
        check(rc == 0 and "starts at 2030-01-01T00:00:00Z" in out, "add macsec key with a start: " + (out + err).strip())
        rc, _, err = ctl(sock, "add lag lag0 macsec key ckn 0d0e cak-file cak3.hex")
        check(rc == 1 and "[rule: duplicate-ckn]" in err, "a CKN already in the chain refused: " + err.strip())
        rc, _, err = ctl(sock, "add lag lag0 macsec key ckn 0d0f cak-file cak3.hex start tomorrow")
        check(rc == 1 and "[rule: value]" in err, "a start that is not RFC 3339 refused: " + err.strip())
        rc, out, err = ctl(sock, "add lag lag0 macsec key ckn 0f cak-file cak3.hex")
        check(rc == 0 and "associating" in out, "add macsec key now: " + (out + err).strip())
        ms = show_json(sock).get("members", [])

        def keys_of(m):
            return {k["ckn"]: k for k in m.get("mka_keys", [])}
        check(len(ms) == 2 and all(keys_of(m).get("0d0e", {}).get("state") == "disassociated"
                                   and keys_of(m)["0d0e"].get("start") == "2030-01-01T00:00:00Z"
                                   and keys_of(m).get("0f", {}).get("state") == "associating"
                                   and keys_of(m).get("96437a93ccf10d9dfe347846cce52c7d", {}).get("state")
                                   == "associating"
                                   and "must_encrypt" in m.get("mka_reason", "") and m.get("mka_fallback") is False
                                   for m in ms),
              "show lag json: per member the chain's keys with their states, and why it does not distribute: "
              + json.dumps(ms[:1]))
        rc, out, _ = ctl(sock, "show lag")
        check(rc == 0 and "mka keys:" in out and "0f associating" in out and "no live MKA peer (must_encrypt)" in out,
              "show lag (text): the keys and the reason")
        tel = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        tel.connect("/var/run/dpdk/lagdmka%d/dpdk_telemetry.v2" % os.getpid())
        json.loads(tel.recv(4096))
        for _ in range(30):  # telemetry serves the views the main loop published last
            tel.send(b"/lag/macsec,m0")
            m0 = json.loads(tel.recv(65536))["/lag/macsec"]
            if "0f:" in m0.get("mka_keys_flat", ""):
                break
            time.sleep(0.1)
        tel.close()
        check("0f:associating" in m0.get("mka_keys_flat", "") and "0d0e:disassociated" in m0.get("mka_keys_flat", ""),
              "telemetry /lag/macsec,m0 lists the keys with their states: " + str(m0.get("mka_keys_flat")))
        rc, out, _ = ctl(sock, "show config")
        check(rc == 0 and "[[lag.macsec.key]]" in out and "0d0e" in out and "2030-01-01T00:00:00Z" in out
              and "cak3.hex" in out and CAK[1:] not in out, "show config has the chain's keys, not a CAK")
        rc, out, err = ctl(sock, "remove lag lag0 macsec key ckn 0f")
        check(rc == 0 and all("0f" not in keys_of(m) for m in show_json(sock).get("members", [])),
              "remove macsec key: gone from every member: " + (out + err).strip())
        rc, _, err = ctl(sock, "remove lag lag0 macsec key ckn 99")
        check(rc == 1 and "[rule: no-such-key]" in err, "removing a key not in the chain refused: " + err.strip())
        rc, out, err = ctl(sock, "set lag lag0 macsec fallback ckn ff01 cak-file cak3.hex")
        j = show_json(sock)
        check(rc == 0 and j.get("key", {}).get("fallback_ckn") == "ff01"
              and all(keys_of(m).get("ff01", {}).get("fallback") is True for m in j.get("members", [])),
              "set macsec fallback: the LAG's key and every member have it: " + (out + err).strip())
        rc, out, _ = ctl(sock, "show config")
        check(rc == 0 and re.search(r"^\s*fallback_ckn = [\"']ff01[\"']$", out, re.M), "show config has fallback_ckn")
        rc, _, _ = ctl(sock, "unset lag lag0 macsec fallback")
        rc2, _, err = ctl(sock, "unset lag lag0 macsec fallback")
        check(rc == 0 and rc2 == 1 and "[rule: no-fallback]" in err
              and "fallback_ckn" not in show_json(sock).get("key", {}), "unset macsec fallback, once")

        # The LAG's key at run time.
        new_cak = os.path.join(tmp, "cak2.hex")
        with open(new_cak, "w") as f:
            f.write(CAK[::-1] + "\n")
        os.chmod(new_cak, 0o644)
        rc, _, err = ctl(sock, "set lag lag0 macsec ckn 0a0b cak-file " + new_cak)
        check(rc == 1 and "[rule: key-file-mode]" in err, "set macsec: a CAK file others may read refused")
        os.chmod(new_cak, 0o600)
        rc, out, err = ctl(sock, "set lag lag0 macsec ckn 0a0b cak-file cak2.hex encryption should_encrypt")
        j = show_json(sock)
        check(rc == 0 and "should_encrypt (was must_encrypt)" in out and j.get("operational_members") == 2,
              "set macsec encryption should_encrypt at run time: both members distribute unsecured: "
              + (out + err).strip())
        rc, _, err = ctl(sock, "set lag lag0 macsec ckn 0a0b cak-file cak2.hex cipher gcm-aes-256")
        check(rc == 0, "set macsec ckn/cak-file (relative to the config) and cipher: " + (err.strip() or "ok"))
        rc, out, _ = ctl(sock, "show config")
        check(rc == 0 and "0a0b" in out and "cak2.hex" in out and "gcm-aes-256" in out and LACP_CLEAR.search(out)
              and CAK[::-1] not in out, "show config has the new CKN, CAK file and cipher (and lacp), not the CAK")
        check("0d0e" not in out and "lag.macsec.key" not in out, "set macsec ckn: the new key replaces the chain")
        rc, _, _ = ctl(sock, "unset lag lag0 macsec")
        j = show_json(sock)
        check(rc == 0 and all(m.get("macsec") == "off" for m in j.get("members", []))
              and j.get("operational_members") == 2, "unset macsec: MACsec off, both members distribute")
        rc, out, _ = ctl(sock, "show config")
        check(rc == 0 and "[lag.macsec]" not in out and "lag.macsec" not in out, "show config without [lag.macsec]")
        rc, _, err = ctl(sock, "set lag lag0 macsec rekey")
        check(rc == 1 and "[rule: no-mka]" in err, "rekey after unset refused")
        rc, out, _ = ctl(sock, "set lag lag0 macsec ckn 0c cak-file cak2.hex encryption must_encrypt")
        j = show_json(sock)
        check(rc == 0 and "started" in out and all(m.get("macsec", "").startswith("mka unsecured")
                                                 for m in j.get("members", []))
              and j.get("operational_members") == 0, "set macsec after unset: MKA again, must_encrypt gates closed")
        rc, out, _ = ctl(sock, "show config")
        check(rc == 0 and LACP_CLEAR.search(out) and "[lag.macsec]" in out,
              "show config after unset and set: [lag.macsec] keeps lacp = \"clear\"")
        rc, out, _ = ctl(sock, "save config")
        with open(cfg) as f:
            saved = f.read()
        check(rc == 0 and LACP_CLEAR.search(saved), "save config writes lacp = \"clear\" (and reads it back)")
    finally:
        rc, out = stop(p)
    check(rc == 0, "MKA daemon: SIGTERM, clean exit")
    check("mka m0" in out and "unsecured" in out and "MKPDUs" in out, "stats print has the MKA lines")
    check(CAK not in out, "the CAK never printed")


def main():
    tmp = tempfile.mkdtemp(prefix="lagd-ctl-")
    try:
        run(tmp)
        run_mka(tmp)
    finally:
        subprocess.run(["rm", "-rf", tmp])
    finish()


if __name__ == "__main__":
    main()
