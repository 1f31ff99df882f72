#!/usr/bin/python3
"""Several LAGs in one dpdk-lagd (issue 7), end to end on net_null ports.

One daemon with one worker lcore (the lcores' slot loop) starts two LAGs from
one config, each forwarding on its own members; the LAG model's refusals
(a port in two LAGs, a speed mismatch, another LAG's access port) reach
lagctl as one-line errors naming the rule with nothing changed; a member
moves from one LAG to the other (its counters then grow for the new one); a
third LAG is created at run time; the first is deleted while the second keeps
forwarding with no frame dropped; telemetry lists every LAG; autosave writes
them all and a restart (main lcore only: it polls both LAGs' workers) brings
them back, where a member moves once more."""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lagd_env import TOKEN, check, ctl, ctl_json, finish, init, start, stop, telemetry  # noqa: E402

init(sys.argv[1], sys.argv[2])

PORTS = ["accA", "a0", "a1", "accB", "b0", "accC", "c0"]
CONFIG = "profile = \"provider\"\n[daemon]\nautosave = true\n" + "".join(
    "[[port]]\nname = \"%s\"\ndevice = \"net_null%s%d\"\n" % (n, TOKEN, i) for i, n in enumerate(PORTS)) + """
[[port]]
name = "big"
device = "net_null{t}9"
speed = "100G"
[[lag]]
name = "lagA"
access = "accA"
members = ["a0", "a1"]
min_links = 1
[[lag]]
name = "lagB"
access = "accB"
members = ["b0"]
""".format(t=TOKEN)


def lags(sock):
    """{LAG: [members]} from `show lag json`."""
    return {n: [m["port"] for m in j["members"]] for n, j in ctl_json(sock, "show lag").items()}


def stats(sock):
    return ctl_json(sock, "show stats")


def forwards(sock, lag, access, members):
    """Within 0.3 s, counted by `lag`: every member receives more (its
    workers poll it) and the access port sends more; the access port
    receives more and the members send more (net_null's frames are one
    flow: one member carries all of it)."""
    a = stats(sock)
    time.sleep(0.3)
    b = stats(sock)

    def grew(port, what):
        return b.get(port, {}).get("lag") == lag and b[port][what] > a.get(port, {}).get(what, -1) >= 0

    return (all(grew(m, "rx_packets") for m in members) and grew(access, "tx_packets") and grew(access, "rx_packets")
            and sum(b[m]["tx_packets"] for m in members) > sum(a.get(m, {}).get("tx_packets", 0) for m in members))


def exit_table(out, lag):
    """The exit print's rows of one LAG: {port: {column: value}}."""
    rows, cols, inside = {}, None, False
    for line in out.splitlines():
        if line.startswith("lag %s:" % lag):
            inside = True
        elif inside and line.startswith("port "):
            cols = line.split()
        elif inside and cols and len(line.split()) == len(cols):
            f = line.split()
            rows[f[0]] = dict(zip(cols[1:], f[1:]))
        elif inside and cols:
            break
    return rows


def main():
    tmp = tempfile.mkdtemp(prefix="lagdmulti%s." % TOKEN)
    cfg = os.path.join(tmp, "multi.toml")
    sock = os.path.join(tmp, "m.sock")
    with open(cfg, "w") as f:
        f.write(CONFIG)
    prefix = "lagdmulti" + TOKEN
    p = start(prefix, sock, cfg, lcores="0-1")
    out = ""
    try:
        check(lags(sock) == {"lagA": ["a0", "a1"], "lagB": ["b0"]}, "two [[lag]] tables: show lag json lists both")
        rc, text, _ = ctl(sock, "show lag")
        check(rc == 0 and "lag lagA:" in text and "lag lagB:" in text, "show lag (text) lists both")
        j = ctl_json(sock, "show lag lagB")
        check(j.get("name") == "lagB" and j.get("access") == "accB" and j.get("state") == "available",
              "show lag lagB json: one LAG, available")
        check(forwards(sock, "lagA", "accA", ["a0", "a1"]) and forwards(sock, "lagB", "accB", ["b0"]),
              "both LAGs forward, each on its own members (counted by its own LAG)")
        s = stats(sock)
        check(s["accA"]["lag"] == "lagA" and s["accB"]["lag"] == "lagB", "each access port belongs to its LAG")
        tel = telemetry(prefix)
        time.sleep(0.4)
        check(tel.query("/lag/list")["/lag/list"] == ["lagA", "lagB"], "telemetry /lag/list: both LAGs")
        info = tel.query("/lag/info,lagB")["/lag/info"]
        check(isinstance(info, dict) and info.get("name") == "lagB" and info.get("b0/port") == "b0",
              "telemetry /lag/info,lagB")
        info = tel.query("/lag/info,lagA")["/lag/info"]
        check(isinstance(info, dict) and info.get("name") == "lagA" and info.get("a1/port") == "a1",
              "telemetry /lag/info,lagA")
        check(tel.query("/lag/lacp,b0")["/lag/lacp"].get("lacp_mux") == "static",
              "telemetry /lag/lacp,b0 (a member of the second LAG)")

        # The model's refusals: one line, the rule, nothing changed.
        before = (lags(sock), open(cfg).read())
        for words, rule in (("create lag lagC speed 10G members a0,a1 access accC", "min-links"),
                            ("create lag lagC speed 10G members c0 access accA", "access-port"),
                            ("create lag lagC speed 10G members big access accC", "uniform-speed"),
                            ("add member big lag lagA", "uniform-speed"),
                            ("add member accB lag lagA", "access-port"),
                            ("add member a0 lag lagA", "already-member")):
            rc, _, err = ctl(sock, words)
            check(rc == 1 and ("[rule: %s]" % rule) in err and len(err.strip().splitlines()) == 1,
                  "'%s' refused in one line naming %s" % (words, rule))
        check((lags(sock), open(cfg).read()) == before, "the refusals changed no LAG and not the file")
        drops_b = stats(sock)["accB"]["drops"]

        # Move a1 from lagA to lagB: it forwards for lagB from then on.
        rc, _, err = ctl(sock, "add member a1 lag lagB")
        check(rc == 0, "add member a1 lag lagB moves it (%s)" % err.strip())
        check(lags(sock) == {"lagA": ["a0"], "lagB": ["b0", "a1"]}, "a1 left lagA and joined lagB")
        check(forwards(sock, "lagB", "accB", ["b0", "a1"]) and forwards(sock, "lagA", "accA", ["a0"]),
              "a1 forwards for lagB, a0 still for lagA")

        # A third LAG at run time.
        rc, _, err = ctl(sock, "create lag lagC speed 10G members c0 access accC")
        check(rc == 0, "create lag lagC while two run (%s)" % err.strip())
        check(forwards(sock, "lagC", "accC", ["c0"]), "lagC forwards on c0")

        # Delete lagA: lagB and lagC keep forwarding, nothing dropped on lagB.
        rc, _, err = ctl(sock, "delete lag lagA")
        check(rc == 0, "delete lag lagA (%s)" % err.strip())
        check(lags(sock) == {"lagB": ["b0", "a1"], "lagC": ["c0"]}, "lagA gone, lagB and lagC as they were")
        s = stats(sock)
        check(not any(p in s for p in ("accA", "a0")), "lagA's ports are closed")
        check(forwards(sock, "lagB", "accB", ["b0", "a1"]) and forwards(sock, "lagC", "accC", ["c0"]),
              "lagB and lagC keep forwarding after the delete")
        check(stats(sock)["accB"]["drops"] == drops_b, "lagB dropped no frame across the move, create and delete")
        time.sleep(0.4)
        check(tel.query("/lag/list")["/lag/list"] == ["lagB", "lagC"], "telemetry /lag/list after the delete")
        tel.close()
    finally:
        rc, out = stop(p)
    check(rc == 0, "clean exit")
    b = exit_table(out, "lagB")
    egress = sum(int(b[m]["tx_packets"]) for m in ("b0", "a1")) if {"accB", "b0", "a1"} <= set(b) else -1
    check(egress > 0 and int(b["accB"]["rx_packets"]) == egress + int(b["accB"]["lag_down"]),
          "lagB at exit: every frame in on accB left on b0 or a1 (or was counted lag_down at start)")
    check("mbufs in use at exit: 0 of" in out, "no mbuf leaked")

    # Restart on what autosave wrote, the main lcore polling both LAGs' workers.
    saved = open(cfg).read()
    check(saved.count("[[lag]]") == 2 and "lagA" not in saved, "autosave wrote lagB and lagC, not lagA")
    p = start(prefix + "r", sock, cfg)
    try:
        check(lags(sock) == {"lagB": ["b0", "a1"], "lagC": ["c0"]}, "restart brings lagB and lagC back")
        check(forwards(sock, "lagB", "accB", ["b0", "a1"]) and forwards(sock, "lagC", "accC", ["c0"]),
              "main lcore only: both LAGs forward")
        rc, _, err = ctl(sock, "add member a1 lag lagC")
        check(rc == 0 and lags(sock) == {"lagB": ["b0"], "lagC": ["c0", "a1"]},
              "main lcore only: a1 moves to lagC (%s)" % err.strip())
        check(forwards(sock, "lagC", "accC", ["c0", "a1"]) and forwards(sock, "lagB", "accB", ["b0"]),
              "a1 forwards for lagC, b0 still for lagB")
    finally:
        rc, out = stop(p)
    check(rc == 0 and "mbufs in use at exit: 0 of" in out, "restarted daemon: clean exit, no mbuf leaked")
    finish()


if __name__ == "__main__":
    main()
