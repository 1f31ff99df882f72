#!/usr/bin/python3
"""dpdk-lagd at run time, end to end against running daemons on net_null
ports: the project's rte_log types (--log-level lag.lacp:debug), xstats
(show stats ... xstats, telemetry /lag/xstats,PORT), show macsec (static
keys, never a key byte), and run-time membership: add member / remove
member through the LAG model (every refusal one line naming its rule,
nothing half-applied), with LACP and with static MACsec, set lacp rate,
autosave and a restart that brings the new membership back; create lag /
delete lag on a daemon started with ports only (several LAGs: test_lagd_multi.py)."""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lagd_env  # noqa: E402
from lagd_env import TOKEN, check, ctl, ctl_json, eal_args, finish, init, start, stop, telemetry  # noqa: E402

init(sys.argv[1], sys.argv[2])

PORTS = """
[[port]]
name = "access0"
device = "net_null{b}0"
[[port]]
name = "m0"
device = "net_null{b}1"
[[port]]
name = "m1"
device = "net_null{b}2"
[[port]]
name = "m2"
device = "net_null{b}3"
[[port]]
name = "big"
device = "net_null{b}4"
speed = "100G"
"""


def config(members, extra="", daemon=""):
    return ("profile = \"provider\"\n[daemon]\nburst = 32\n" + daemon + PORTS.format(b=TOKEN) +
            "[[lag]]\nname = \"lag0\"\naccess = \"access0\"\nmembers = [%s]\nmin_links = 0\n" %
            ", ".join('"%s"' % m for m in members) + extra)


def members_of(sock):
    return [m["port"] for m in ctl_json(sock, "show lag lag0").get("members", [])]


def rx_of(sock, port):
    return ctl_json(sock, "show stats", port, "xstats").get(port, {}).get("rx_good_packets", -1)


def static_lag(tmp):
    """Static LAG: xstats, show macsec (off), add/remove member, autosave, restart."""
    sock = os.path.join(tmp, "s.sock")
    cfg = os.path.join(tmp, "static.toml")
    with open(cfg, "w") as f:
        f.write(config(["m0", "m1"], daemon="autosave = true\n"))
    prefix = "lagdrt" + TOKEN + "a"
    p = start(prefix, sock, cfg, log_level="lag.cli:info")
    try:
        # xstats
        x = ctl_json(sock, "show stats xstats")
        check(set(x) == {"access0", "m0", "m1"}, "show stats xstats json: every open port")
        names = set(x.get("m0", {}))
        check({"rx_good_packets", "tx_good_bytes", "tx_drop_lag_down", "rx_drop_not_collecting",
               "tx_macsec_protected", "rx_macsec_drop_replay"} <= names, "xstats names (ethdev style)")
        check(all(re.match(r"^(rx|tx)_[a-z0-9_]+$", n) for n in names), "every xstats name is rx_/tx_")
        check(x["access0"]["rx_good_packets"] > 0, "access0 rx_good_packets counts traffic")
        rc, out, _ = ctl(sock, "show stats m0 xstats")
        check(rc == 0 and re.search(r"rx_good_packets\s+\d+", out) is not None, "show stats m0 xstats (text)")
        tel = telemetry(prefix)
        time.sleep(1.1)  # xstats and MACsec views published every second
        tx = tel.query("/lag/xstats,access0")["/lag/xstats"]
        check(isinstance(tx, dict) and tx.get("rx_good_packets", 0) > 0 and "tx_drop_lag_down" in tx,
              "telemetry /lag/xstats,access0")
        check(tel.query("/lag/xstats,nope")["/lag/xstats"] is None, "telemetry /lag/xstats of an unknown port")
        ms = tel.query("/lag/macsec,m0")["/lag/macsec"]
        check(ms.get("port") == "m0" and ms.get("macsec") == "off", "telemetry /lag/macsec,m0 (off)")
        tel.close()
        # show macsec without MACsec
        j = ctl_json(sock, "show macsec")
        check([m["port"] for m in j] == ["m0", "m1"] and all(m["macsec"] == "off" for m in j),
              "show macsec json: every member, off")
        rc, _, err = ctl(sock, "show macsec nope")
        check(rc == 1 and "[rule: no-such-port]" in err, "show macsec of a non-member refused")

        # add member: every refusal names its rule and changes nothing
        for words, rule in (("add member nope lag lag0", "no-such-port"),
                            ("add member access0 lag lag0", "access-port"),
                            ("add member m0 lag lag0", "already-member"),
                            ("add member m2 lag other", "no-such-lag"),
                            ("add member big lag lag0", "uniform-speed"),
                            ("remove member m2 lag lag0", "not-member"),
                            ("set lacp lag lag0 rate slow", "lacp-off")):
            rc, _, err = ctl(sock, words)
            check(rc == 1 and ("[rule: %s]" % rule) in err and err.count("\n") == 1,
                  "'%s' refused in one line naming %s" % (words, rule))
        check(members_of(sock) == ["m0", "m1"], "refusals changed nothing")
        check(ctl(sock, "show stats big")[0] == 1, "a refused port was never opened")

        rc, out, err = ctl(sock, "add member m2 lag lag0")
        check(rc == 0, "add member m2 (%s)" % err.strip())
        check(members_of(sock) == ["m0", "m1", "m2"], "show lag lists m2")
        m2 = ctl_json(sock, "show lag lag0")["members"][2]
        check(m2["link"] == "up" and m2["status"] == "operational", "m2 is up and operational")
        first = rx_of(sock, "m2")
        time.sleep(0.3)
        check(rx_of(sock, "m2") > first >= 0, "the workers poll m2 (its rx counter grows)")
        with open(cfg) as f:
            check('"m0", "m1", "m2"' in f.read().replace("'", '"'), "autosave wrote the new membership")

        rc, _, err = ctl(sock, "remove member m0 lag lag0")
        check(rc == 0, "remove member m0 (%s)" % err.strip())
        check(members_of(sock) == ["m1", "m2"], "show lag no longer lists m0")
        time.sleep(0.2)
        a = rx_of(sock, "m0")
        time.sleep(0.3)
        check(rx_of(sock, "m0") == a, "m0 is stopped: its counters stand still")
        st = ctl_json(sock, "show stats")
        check(st.get("m0", {}).get("role") == "standalone", "show stats: m0 is a standalone port now")

        check(ctl(sock, "set lag lag0 min-links 2")[0] == 0, "min-links 2")
        rc, _, err = ctl(sock, "remove member m1 lag lag0")
        check(rc == 1 and "[rule: min-links]" in err, "remove below min-links refused, naming the rule")
        check(members_of(sock) == ["m1", "m2"], "the refused remove changed nothing")
        rc, _, err = ctl(sock, "add member m0 lag lag0")
        check(rc == 0, "m0 comes back (%s)" % err.strip())
        a = rx_of(sock, "m0")
        time.sleep(0.3)
        check(rx_of(sock, "m0") > a, "m0 started again")
        with open(cfg) as f:
            saved = f.read().replace("'", '"')
        check('"m1", "m2", "m0"' in saved and "min_links = 2" in saved, "autosave after each change")
    finally:
        rc, out = stop(p)
    check(rc == 0, "SIGTERM: clean exit")
    check("lag.cli: 'add member m2 lag lag0': ok" in out, "lag.cli logs commands at info")
    check(not [l for l in out.splitlines() if l.startswith("lag.lacp")], "no LACP log lines from a static LAG")

    p = start("lagdrt" + TOKEN + "b", sock, cfg)
    try:
        j = ctl_json(sock, "show lag lag0")
        check([m["port"] for m in j.get("members", [])] == ["m1", "m2", "m0"] and j.get("min_links") == 2,
              "restart: the saved membership comes back")
    finally:
        stop(p)


def lacp_lag(tmp):
    """LACP: --log-level lag.lacp:debug, add/remove a member under LACP, set lacp rate."""
    sock = os.path.join(tmp, "l.sock")
    cfg = os.path.join(tmp, "lacp.toml")
    with open(cfg, "w") as f:
        f.write(config(["m0"], extra="[lag.lacp]\nmode = \"active\"\nrate = \"fast\"\n"))
    p = start("lagdrt" + TOKEN + "c", sock, cfg, log_level="lag.lacp:debug")
    try:
        rc, _, err = ctl(sock, "add member m1 lag lag0")
        check(rc == 0, "LACP: add member m1 (%s)" % err.strip())
        lacp = {m["port"]: m for m in ctl_json(sock, "show lacp")}
        check(set(lacp) == {"m0", "m1"} and lacp["m1"]["mux"] != "static", "LACP: show lacp has m1 with a mux state")
        rc, _, err = ctl(sock, "set lacp lag lag0 rate slow")
        check(rc == 0, "set lacp lag lag0 rate slow (%s)" % err.strip())
        rc, out, _ = ctl(sock, "show config")
        check(rc == 0 and re.search(r"rate\s*=\s*[\"']slow[\"']", out) is not None and '"m0", "m1"' in out.replace("'", '"'),
              "show config: rate slow and the new member")
        rc, _, err = ctl(sock, "set lacp lag lag0 rate fast")
        check(rc == 0, "and back to fast")
        time.sleep(1.2)  # LACPDUs every second while defaulted
        rc, _, err = ctl(sock, "remove member m1 lag lag0")
        check(rc == 0, "LACP: remove member m1 (%s)" % err.strip())
        check([m["port"] for m in ctl_json(sock, "show lacp")] == ["m0"], "LACP: show lacp without m1")
    finally:
        rc, out = stop(p)
    check(rc == 0, "LACP daemon: clean exit")
    debug = [l for l in out.splitlines() if l.startswith("lag.lacp: ")]
    check(any("transmit" in l for l in debug), "--log-level lag.lacp:debug: LACPDU debug lines")
    check(any("m1 joined the LACP group" in l for l in debug) and any("m1 left the LACP group" in l for l in debug),
          "lag.lacp logs the member joining and leaving")
    check(any("rate slow" in l for l in debug), "lag.lacp logs the rate change")

    # Without the option: no LACP debug lines.
    p = start("lagdrt" + TOKEN + "d", sock, cfg, log_level=None)
    try:
        time.sleep(1.2)
    finally:
        rc, out = stop(p)
    check(rc == 0 and not [l for l in out.splitlines() if "lag.lacp" in l and "transmit" in l],
          "default log level: no LACP debug lines")


def macsec_lag(tmp):
    """Static MACsec: show macsec (SecY, AN, next PN; never a key); add member with its SAs."""
    sock = os.path.join(tmp, "m.sock")
    cfg = os.path.join(tmp, "macsec.toml")
    keys = {n: os.urandom(32).hex() for n in ("m0-tx", "m0-rx", "m1-tx", "m1-rx")}
    kf = os.path.join(tmp, "keys")
    fd = os.open(kf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join("%s = %s\n" % kv for kv in keys.items()))
    sas = ""
    for i, m in enumerate(("m0", "m1")):
        sas += ('[[lag.macsec.member]]\nport = "%s"\nsci = "02000000000%d-0001"\ntx_key = "%s-tx"\ntx_an = 1\n'
                'tx_pn = 100\npeer_sci = "02000000010%d-0001"\nrx_key = "%s-rx"\n') % (m, i, m, i, m)
    with open(cfg, "w") as f:
        f.write(config(["m0"], extra='[lag.macsec]\nmode = "static"\ncipher = "gcm-aes-256"\nkey_file = "%s"\n%s'
                       % (kf, sas)))
    prefix = "lagdrt" + TOKEN + "e"
    p = start(prefix, sock, cfg, log_level="lag.macsec:info")
    outputs = []
    try:
        j = ctl_json(sock, "show macsec m0")
        m0 = j[0] if j and isinstance(j, list) else {}
        check(m0.get("suite") == "gcm-aes-256" and m0.get("encoding_an") == 1 and m0.get("sci") == "0200000000000001",
              "show macsec m0 json: suite, SCI, encoding AN")
        sa = (m0.get("tx_sa") or [{}])[0]
        check(sa.get("an") == 1 and sa.get("in_use") and sa.get("next_pn", 0) >= 100, "tx SA: AN 1 in use, next PN")
        check(m0.get("rx_sc") == [{"sci": "0200000001000001", "an": [0],
                                   "sa": [{"an": 0, "lowest_acceptable_pn": 1, "late": 0}]}],
              "rx SC: peer SCI, AN 0, its SA's lowest acceptable PN (nothing received) and late drops")
        rc, out, _ = ctl(sock, "show macsec")
        outputs.append(out)
        check(rc == 0 and "tx SA AN 1 (in use): next PN" in out
              and "rx SA AN 0: lowest acceptable PN 1, late 0" in out, "show macsec (text)")
        rc, _, err = ctl(sock, "add member m2 lag lag0")
        check(rc == 1 and "[rule: macsec-member]" in err, "a member without SAs is refused under MACsec")
        rc, _, err = ctl(sock, "add member m1 lag lag0")
        check(rc == 0, "add member m1 with its static SAs (%s)" % err.strip())
        j = ctl_json(sock, "show macsec m1")
        check(j and j[0].get("encoding_an") == 1 and j[0].get("suite") == "gcm-aes-256", "m1 has its SecY and SAs")
        outputs.append(ctl(sock, "show macsec json")[1])
        outputs.append(ctl(sock, "show config")[1])
        # clear stats resets every counter, MACsec's too, and they count on.
        check(ctl(sock, "clear stats")[0] == 0, "clear stats")
        time.sleep(0.3)
        x = ctl_json(sock, "show stats m0 xstats").get("m0", {})
        check(x.get("tx_good_packets", 0) > 0 and x.get("tx_macsec_protected", 0) > 0
              and x["tx_macsec_protected"] >= x["tx_good_packets"] // 2,
              "after clear stats, m0's MACsec xstats count on with its data (%s protected of %s)"
              % (x.get("tx_macsec_protected"), x.get("tx_good_packets")))
        tel = telemetry(prefix)
        time.sleep(1.1)
        t = tel.query("/lag/macsec,m1")["/lag/macsec"]
        check(t.get("suite") == "gcm-aes-256" and "tx_sa/an1/next_pn" in t
              and t.get("rx_sa/0200000001010001/an0/lowest_acceptable_pn") == 1
              and t.get("rx_sa/0200000001010001/an0/late") == 0, "telemetry /lag/macsec,m1: its SAs' PNs")
        outputs.append(str(t))
        tel.close()
    finally:
        rc, out = stop(p)
        outputs.append(out)
    check(rc == 0, "MACsec daemon: clean exit")
    check("lag.macsec: " in out, "lag.macsec logs SAs installed")
    everything = "\n".join(outputs).lower()
    check(not any(k in everything for k in keys.values()), "no key byte in any output, log or config")


def create_delete(tmp):
    """Ports only: create lag, delete lag, create again, restart."""
    sock = os.path.join(tmp, "c.sock")
    cfg = os.path.join(tmp, "ports.toml")
    with open(cfg, "w") as f:
        f.write("profile = \"provider\"\n[daemon]\nautosave = true\n" + PORTS.format(b=TOKEN))
    prefix = "lagdrt" + TOKEN + "f"
    p = start(prefix, sock, cfg)
    try:
        rc, out, _ = ctl(sock, "show lag")
        check(rc == 0 and "no LAG" in out, "ports only: show lag says there is no LAG")
        check(ctl_json(sock, "show lag") == {}, "ports only: show lag json is {}")
        rc, _, err = ctl(sock, "set lag lag1 min-links 1")
        check(rc == 1 and "[rule: no-such-lag]" in err, "ports only: set lag refused (no-such-lag)")
        for words, rule in (("create lag lag1 speed 10G members m0", "access-port"),
                            ("create lag lag1 speed 10G members m0 access nope", "no-such-port"),
                            ("create lag lag1 speed 10G access access0", "membership"),
                            ("create lag lag1 speed 10G members m0,access0 access access0", "access-port"),
                            ("create lag lag1 speed 100G members m0 access access0", "uniform-speed"),
                            ("create lag lag1 speed 10G members m0,m1 min-links 3 access access0", "min-links")):
            rc, _, err = ctl(sock, words)
            check(rc == 1 and ("[rule: %s]" % rule) in err, "'%s' refused naming %s" % (words, rule))
        check(ctl_json(sock, "show lag") == {} and ctl_json(sock, "show stats") == {},
              "refused creates left no LAG and no open port")
        rc, _, err = ctl(sock, "create lag lag1 speed 10G members m0,m1 min-links 1 access access0")
        check(rc == 0, "create lag lag1 (%s)" % err.strip())
        j = ctl_json(sock, "show lag lag1")
        check(j.get("name") == "lag1" and [m["port"] for m in j.get("members", [])] == ["m0", "m1"]
              and j.get("min_links") == 1 and j.get("state") == "available", "show lag lag1: members, min-links, up")
        a = rx_of(sock, "access0")
        time.sleep(0.3)
        check(rx_of(sock, "access0") > a >= 0, "lag1 forwards (access0 rx grows)")
        rc, _, err = ctl(sock, "create lag lag2 speed 10G members m2 access access0")
        check(rc == 1 and "[rule: access-port]" in err, "a second LAG on lag1's access port is refused (access-port)")
        check(ctl(sock, "remove member m1 lag lag1")[0] == 0, "remove member m1 from the created LAG")
        with open(cfg) as f:
            saved = f.read().replace("'", '"')
        check('name = "lag1"' in saved and 'access = "access0"' in saved and '[ "m0" ]' in saved,
              "autosave wrote the created LAG")
        rc, _, err = ctl(sock, "remove member m0 lag lag1")
        check(rc == 1 and "[rule: min-links]" in err, "lag1's last member stays under min-links 1 (min-links)")
        check(ctl(sock, "set lag lag1 min-links 0")[0] == 0, "set lag lag1 min-links 0")
        rc, _, err = ctl(sock, "remove member m0 lag lag1")
        j = ctl_json(sock, "show lag lag1")
        check(rc == 0 and j.get("state") == "pending" and j.get("members") == [],
              "the last member goes: lag1 stays, empty and pending (%s)" % err.strip())
        with open(cfg) as f:
            saved = f.read().replace("'", '"')
        check('name = "lag1"' in saved and "members = []" in saved and 'speed = "10G"' in saved,
              "autosave wrote the empty LAG with its speed")
        check(ctl(sock, "add member m0 lag lag1")[0] == 0 and ctl_json(sock, "show lag lag1").get("state") == "available",
              "add member brings lag1 back")
        tel = telemetry(prefix)
        time.sleep(0.4)
        check(tel.query("/lag/list")["/lag/list"] == ["lag1"], "telemetry /lag/list has lag1")
        rc, _, err = ctl(sock, "delete lag lag1")
        check(rc == 0, "delete lag lag1 (%s)" % err.strip())
        time.sleep(0.4)
        check(tel.query("/lag/list")["/lag/list"] == [], "telemetry /lag/list is empty after delete")
        tel.close()
        check(ctl_json(sock, "show lag") == {} and ctl_json(sock, "show stats") == {},
              "delete lag: no LAG, every port closed")
        with open(cfg) as f:
            check("[[lag]]" not in f.read(), "autosave removed the [[lag]]")
        rc, _, err = ctl(sock, "delete lag lag1")
        check(rc == 1 and "[rule: no-such-lag]" in err, "deleting it again: no-such-lag")
        rc, _, err = ctl(sock, "create lag lag2 speed 10G members m2,m1")
        check(rc == 0, "create again, the access port remembered (%s)" % err.strip())
        a = rx_of(sock, "m2")
        time.sleep(0.3)
        check(rx_of(sock, "m2") > a >= 0, "lag2 forwards (m2 rx grows)")
    finally:
        rc, out = stop(p)
    check(rc == 0, "create/delete daemon: clean exit")
    p = start("lagdrt" + TOKEN + "g", sock, cfg)
    try:
        j = ctl_json(sock, "show lag lag2")
        check([m["port"] for m in j.get("members", [])] == ["m2", "m1"] and j.get("access") == "access0",
              "restart: the created LAG comes back")
    finally:
        stop(p)


def device_speeds(tmp):
    """Member speeds from the device (net_null runs its links at 10G)."""
    sock = os.path.join(tmp, "sp.sock")
    undeclared = ("profile = \"provider\"\n"
                  "[[port]]\nname = \"a\"\ndevice = \"net_null{b}5\"\n"
                  "[[port]]\nname = \"u0\"\ndevice = \"net_null{b}6\"\n"
                  "[[port]]\nname = \"u1\"\ndevice = \"net_null{b}7\"{extra}\n"
                  "[[lag]]\nname = \"lag0\"\naccess = \"a\"\nmembers = [\"u0\", \"u1\"]\n{lag}")
    # No speed anywhere: the LAG runs at what the devices report.
    cfg = os.path.join(tmp, "speed.toml")
    with open(cfg, "w") as f:
        f.write(undeclared.format(b=TOKEN, extra="", lag=""))
    p = start("lagdrt" + TOKEN + "s", sock, cfg)
    try:
        j = ctl_json(sock, "show lag lag0")
        check(j.get("speed") == "10G", "a LAG of ports without speed runs at the devices' 10G")
        check([m["status"] for m in j.get("members", [])] == ["operational"] * 2,
              "members at the device's speed are operational")
        check([m["link_speed"] for m in j["members"]] == [None, None],
              "a vdev's placeholder speed is not checked by default")
    finally:
        stop(p)
    # The LAG says 100G, its ports nothing: the devices say 10G, the start refuses.
    with open(cfg, "w") as f:
        f.write(undeclared.format(b=TOKEN, extra="", lag="speed = \"100G\"\n"))
    r = subprocess.run([lagd_env.LAGD] + eal_args("lagdrt" + TOKEN + "r") + ["--", "--socket", "none", "--config", cfg],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "[rule: uniform-speed]" in r.stderr and "config refused" in r.stderr,
          "ports whose devices run at 10G in a 100G LAG refuse the start: " + r.stderr.strip()[-200:])
    # Declared 100G and checked: each link at 10G is speed-mismatch.
    decl = ("profile = \"provider\"\n"
            "[[port]]\nname = \"a\"\ndevice = \"net_null{b}5\"\n"
            "[[port]]\nname = \"u0\"\ndevice = \"net_null{b}6\"\nspeed = \"100G\"\ncheck_speed = true\n"
            "[[port]]\nname = \"u1\"\ndevice = \"net_null{b}7\"\nspeed = \"100G\"\n"
            "[[lag]]\nname = \"lag0\"\naccess = \"a\"\nmembers = [\"u0\", \"u1\"]\n").format(b=TOKEN)
    with open(cfg, "w") as f:
        f.write(decl)
    p = start("lagdrt" + TOKEN + "m", sock, cfg)
    try:
        j = ctl_json(sock, "show lag lag0")
        st = {m["port"]: m for m in j.get("members", [])}
        check(st.get("u0", {}).get("status") == "speed-mismatch" and st["u0"].get("link_speed") == 10000,
              "a checked 100G member whose link runs at 10G is speed-mismatch: %s" % st.get("u0"))
        check(st.get("u1", {}).get("status") == "operational", "an unchecked one is taken at its word")
        check(j.get("speed_mismatches") == 1 and j.get("operational_members") == 1,
              "speed_mismatches 1, one member operational")
        rc, out, _ = ctl(sock, "show lacp")
        check(rc == 0 and "speed-mismatch: link at 10000 Mb/s, LAG at 100G" in out, "show lacp says speed-mismatch")
        lj = {m["port"]: m for m in ctl_json(sock, "show lacp")}
        check(lj.get("u0", {}).get("status") == "speed-mismatch", "show lacp json: status speed-mismatch")
    finally:
        rc, out = stop(p)
    check(out.count("not aggregated (speed-mismatch)") == 1, "the mismatch is logged once")


def main():
    tmp = tempfile.mkdtemp(prefix="lagd-rt-%s-" % TOKEN)
    t0 = time.monotonic()
    try:
        static_lag(tmp)
        lacp_lag(tmp)
        macsec_lag(tmp)
        create_delete(tmp)
        device_speeds(tmp)
    finally:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    print("took %.1f s" % (time.monotonic() - t0))
    finish()


if __name__ == "__main__":
    main()
