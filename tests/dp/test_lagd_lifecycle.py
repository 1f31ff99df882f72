#!/usr/bin/python3
"""The provider's lifecycle on one dpdk-lagd with MKA-keyed LAGs (issue 16).

One daemon runs four LAGs whose members are the two ends of veth pairs
(net_pcap ports), so that its own LAGs are each other's MKA peers:
lagA {a0, a1} and lagX {x0, x1} under CKN K1 (a0-x0, a1-x1 wired), lagB {b0}
and lagY {y0} under CKN K2 (b0-y0 wired); access ports are net_null (they
send one flow without end). Through lagctl:

- show lag / show macsec (JSON and text) name each LAG's key by its CKN and
  per member the CKN its session runs with; never the CAK;
- the min-links guard: a move that takes lagA below min-links is refused
  [rule: min-links] and changes nothing;
- a1 moves to lagB and x1 to lagY in one step each (K1 to K2): their
  sessions restart under K2 and secure; with b0 and y0 removed, lagB's
  traffic leaves on a1 only and lagY's access port sends what x1 decrypted;
- the last member goes (remove member) and moves away (add member to another
  LAG): the LAGs stay, empty and pending, and add member brings them back,
  secured under K1 again;
- create lag with members of other LAGs, all or none (a refusal moves
  nothing), then moving one;
- delete lag of a keyed LAG: its members' SecYs go;
- autosave wrote every state, the empty LAG with its key too, and a restart
  brings them back.
Needs root (veths). About 25 s.
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lagd_env import TOKEN, check, ctl, ctl_json, finish, init, start, stop  # noqa: E402

init(sys.argv[1], sys.argv[2])

K1 = "6c6966656379636c6531"  # "lifecycle1"
K2 = "6c6966656379636c6532"
CAK1 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
CAK2 = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
WIRES = [("a0", "x0"), ("a1", "x1"), ("b0", "y0")]
T = TOKEN[-6:]


def veth(port):
    return "lc%s%s" % (T, port)


def sh(*args):
    subprocess.run(args, check=True, capture_output=True, timeout=30)


def config(tmp):
    text = 'profile = "provider"\n[daemon]\nautosave = true\n'
    for i, acc in enumerate(("accA", "accB", "accX", "accY", "accC")):
        text += '[[port]]\nname = "%s"\ndevice = "net_null%s%d"\n' % (acc, TOKEN, i)
    text += '[[port]]\nname = "big"\ndevice = "net_null%s9"\nspeed = "100G"\n' % TOKEN
    for i, (l, r) in enumerate(WIRES):
        for j, p in enumerate((l, r)):
            text += ('[[port]]\nname = "%s"\ndevice = "net_pcap%d,rx_iface_in=%s,tx_iface=%s,tx_iface=%s"\n'
                     'mac = "02:00:00:16:%02x:%02x"\n' % (p, 2 * i + j, veth(p), veth(p), veth(p), i, j))
    for name, acc, members, ckn, cak in (("lagA", "accA", "a0\", \"a1", K1, "k1"), ("lagX", "accX", "x0\", \"x1", K1, "k1"),
                                         ("lagB", "accB", "b0", K2, "k2"), ("lagY", "accY", "y0", K2, "k2")):
        text += ('[[lag]]\nname = "%s"\naccess = "%s"\nmembers = ["%s"]\n[lag.macsec]\nmode = "mka"\n'
                 'ckn = "%s"\ncak_file = "%s"\ncipher = "gcm-aes-256"\nencryption = "must_encrypt"\n'
                 % (name, acc, members, ckn, os.path.join(tmp, cak)))
    return text


def lags(sock):
    return {n: [m["port"] for m in j["members"]] for n, j in ctl_json(sock, "show lag").items()}


def member(sock, lag, port):
    for m in ctl_json(sock, "show lag " + lag).get("members", []):
        if m["port"] == port:
            return m
    return {}


def wait_secured(sock, pairs, timeout=30):
    """Every (lag, port) secured and operational within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(member(sock, l, p).get("mka_secured") and member(sock, l, p).get("status") == "operational"
               for l, p in pairs):
            return True
        time.sleep(0.3)
    for l, p in pairs:  # what the failure looked like
        print("  %s in %s: %s" % (p, l, member(sock, l, p)))
    return False


def main():
    tmp = tempfile.mkdtemp(prefix="lagdlife%s." % TOKEN)
    for name, cak in (("k1", CAK1), ("k2", CAK2)):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(cak + "\n")
        os.chmod(path, 0o600)
    cfg = os.path.join(tmp, "life.toml")
    sock = os.path.join(tmp, "l.sock")
    with open(cfg, "w") as f:
        f.write(config(tmp))
    made = []
    seen = []  # every reply, searched for a CAK at the end

    def run(*words):
        rc, out, err = ctl(sock, *words)
        seen.append(out + err)
        return rc, out, err

    def j(*words):
        r = ctl_json(sock, *words)
        seen.append(str(r))
        return r

    p = None
    try:
        for l, r in WIRES:
            sh("ip", "link", "add", veth(l), "type", "veth", "peer", "name", veth(r))
            made.append(veth(l))
            for v in (veth(l), veth(r)):
                sh("ip", "link", "set", v, "up")
        prefix = "lagdlife" + TOKEN
        p = start(prefix, sock, cfg)
        everyone = [("lagA", "a0"), ("lagA", "a1"), ("lagX", "x0"), ("lagX", "x1"), ("lagB", "b0"), ("lagY", "y0")]
        check(wait_secured(sock, everyone), "every member secured by its twin in the other LAG of its key")

        # Keys shown by CKN.
        a = j("show lag lagA")
        check(a.get("key") == {"mode": "mka", "ckn": K1, "keys": []} and all(m.get("mka_ckn") == K1 for m in a["members"]),
              "show lag lagA json: key CKN K1, each member's session under K1")
        check(j("show lag").get("lagB", {}).get("key", {}).get("ckn") == K2, "show lag json: lagB's key is K2")
        ms = j("show macsec a1")
        check(len(ms) == 1 and ms[0].get("ckn") == K1, "show macsec a1 json: CKN K1")
        rc, text, _ = run("show lag lagA")
        check(rc == 0 and ("key: mka ckn " + K1) in text and text.count("ckn " + K1) == 3,
              "show lag lagA (text): the LAG's CKN and each member's")
        rc, text, _ = run("show macsec a1")
        check(rc == 0 and ("ckn " + K1) in text, "show macsec a1 (text): its CKN")

        # The min-links guard.
        check(run("set lag lagA min-links 2")[0] == 0, "set lag lagA min-links 2")
        before = (lags(sock), open(cfg).read())
        rc, _, err = run("add member a1 lag lagB")
        check(rc == 1 and "[rule: min-links]" in err and len(err.strip().splitlines()) == 1,
              "move below lagA's min-links refused naming min-links: " + err.strip())
        check((lags(sock), open(cfg).read()) == before and member(sock, "lagA", "a1").get("mka_ckn") == K1,
              "the refusal changed nothing (a1 still in lagA under K1, the file as it was)")
        check(run("set lag lagA min-links 1")[0] == 0, "set lag lagA min-links 1")

        # Moves between keyed LAGs, in one step each.
        for port, lag in (("a1", "lagB"), ("x1", "lagY")):
            rc, _, err = run("add member %s lag %s" % (port, lag))
            check(rc == 0, "add member %s lag %s moves it from a K1 LAG to a K2 LAG (%s)" % (port, lag, err.strip()))
        check(lags(sock) == {"lagA": ["a0"], "lagX": ["x0"], "lagB": ["b0", "a1"], "lagY": ["y0", "x1"]},
              "a1 in lagB, x1 in lagY")
        for port, lag in (("b0", "lagB"), ("y0", "lagY")):
            check(run("remove member %s lag %s" % (port, lag))[0] == 0, "remove member %s lag %s" % (port, lag))
        check(wait_secured(sock, [("lagB", "a1"), ("lagY", "x1")]), "a1 and x1 secured in their new LAGs")
        check(member(sock, "lagB", "a1").get("mka_ckn") == K2 and j("show macsec a1")[0].get("ckn") == K2,
              "a1's session runs under lagB's CKN K2 (show lag, show macsec)")
        s0 = j("show stats")
        time.sleep(0.5)
        s1 = j("show stats")
        grew = {k: s1[k]["tx_packets"] - s0[k]["tx_packets"] for k in ("a1", "accY")}
        check(s1["a1"]["lag"] == "lagB" and s1["x1"]["lag"] == "lagY" and grew["a1"] > 0 and grew["accY"] > 0
              and s1["x1"]["rx_packets"] > s0["x1"]["rx_packets"],
              "traffic on the moved members: lagB sends on a1, lagY receives it on x1 and its access port "
              "sends what x1 decrypted (%s)" % grew)

        # The last member: removed, or moved away. The LAGs stay, pending.
        check(run("set lag lagA min-links 0")[0] == 0, "set lag lagA min-links 0")
        rc, _, err = run("remove member a0 lag lagA")
        check(rc == 0, "remove member of lagA's last member (%s)" % err.strip())
        rc, _, err = run("add member x0 lag lagY")
        check(rc == 0, "lagX's last member moves to lagY (%s)" % err.strip())
        la, lx = j("show lag lagA"), j("show lag lagX")
        check(la.get("state") == "pending" and la.get("members") == [] and lx.get("state") == "pending"
              and lx.get("members") == [] and la.get("key", {}).get("ckn") == K1,
              "lagA and lagX stay, empty and pending, lagA's key kept")
        rc, text, _ = run("show lag lagA")
        check(rc == 0 and "pending" in text, "show lag lagA (text): pending")
        # add member brings them back, secured under K1 again.
        for port, lag in (("a0", "lagA"), ("x0", "lagX")):
            rc, _, err = run("add member %s lag %s" % (port, lag))
            check(rc == 0, "add member %s lag %s brings it back (%s)" % (port, lag, err.strip()))
        check(wait_secured(sock, [("lagA", "a0"), ("lagX", "x0")]) and j("show lag lagA").get("state") == "available",
              "lagA and lagX available again, a0 and x0 secured under K1")

        # create lag with members of other LAGs: all or none.
        before = (lags(sock), open(cfg).read())
        for words, rule in (("create lag lagC speed 10G members a1,big access accC", "uniform-speed"),
                            ("create lag lagC speed 10G members a0,x1 access accC", "min-links")):
            if rule == "min-links":
                run("set lag lagA min-links 1")
            rc, _, err = run(words)
            check(rc == 1 and ("[rule: %s]" % rule) in err, "'%s' refused naming %s" % (words, rule))
        check(lags(sock) == before[0], "the refusals moved nothing")
        rc, _, err = run("create lag lagC speed 10G members a1,b0 access accC")
        check(rc == 0, "create lag lagC with a1 of lagB and the free b0 (%s)" % err.strip())
        check(lags(sock).get("lagC") == ["b0", "a1"] and lags(sock).get("lagB") == [],
              "a1 moved into lagC, lagB empty")

        # delete lag of a keyed LAG: its members' sessions and SecYs go.
        rc, _, err = run("delete lag lagY")
        check(rc == 0, "delete lag lagY (%s)" % err.strip())
        ports = [m["port"] for m in j("show macsec")]
        check(not any(x in ports for x in ("x1", "y0")) and "x0" in ports, "lagY's members have no SecY any more: %s" % ports)
    finally:
        out = ""
        if p is not None:
            rc, out = stop(p)
            check(rc == 0 and "mbufs in use at exit: 0 of" in out, "clean exit, no mbuf leaked")
        for v in made:
            subprocess.run(["ip", "link", "del", v], capture_output=True)
    seen.append(out)

    # Autosave wrote every state; a restart brings it back.
    saved = open(cfg).read()
    check("lagY" not in saved and saved.count("[[lag]]") == 4, "autosave: lagA, lagX, lagB (empty), lagC")
    check(all(c not in s for c in (CAK1, CAK2) for s in seen + [saved]), "no CAK in any reply, log or file")
    for l, r in WIRES:
        sh("ip", "link", "add", veth(l), "type", "veth", "peer", "name", veth(r))
        for v in (veth(l), veth(r)):
            sh("ip", "link", "set", v, "up")
    try:
        p = start("lagdlife" + TOKEN + "r", sock, cfg)
        got = lags(sock)
        check(got == {"lagA": ["a0"], "lagX": ["x0"], "lagB": [], "lagC": ["b0", "a1"]} and j("show lag lagB").get("state") == "pending"
              and j("show lag lagB").get("key", {}).get("ckn") == K2,
              "restart: the LAGs as saved, lagB empty and pending with its key (%s)" % got)
        rc, _, err = run("add member b0 lag lagB")
        check(rc == 0 and lags(sock).get("lagB") == ["b0"], "restarted: add member into the empty LAG (%s)"
              % err.strip())
        rc, out = stop(p)
        check(rc == 0, "restarted daemon: clean exit")
    finally:
        for l, _ in WIRES:
            subprocess.run(["ip", "link", "del", veth(l)], capture_output=True)

    # An empty LAG with LACP from a config file (no member to take the
    # system id from: its access port's MAC), then a member added.
    cfg2 = os.path.join(tmp, "lacp.toml")
    with open(cfg2, "w") as f:
        f.write('[[port]]\nname = "acc"\ndevice = "net_null%s20"\n[[port]]\nname = "m0"\ndevice = "net_null%s21"\n'
                '[[lag]]\nname = "lagL"\naccess = "acc"\nmembers = []\nspeed = "10G"\n[lag.lacp]\nmode = "active"\n'
                % (TOKEN, TOKEN))
    p = start("lagdlife" + TOKEN + "l", sock, cfg2)
    try:
        check(j("show lag lagL").get("state") == "pending", "an empty LACP LAG starts from the file, pending")
        rc, _, err = run("add member m0 lag lagL")
        m = member(sock, "lagL", "m0")
        check(rc == 0 and m.get("lacp_mux", "static") != "static",
              "add member into the empty LACP LAG: m0 runs LACP (mux %s) %s" % (m.get("lacp_mux"), err.strip()))
    finally:
        rc, out = stop(p)
    check(rc == 0, "the LACP daemon: clean exit")
    finish()


if __name__ == "__main__":
    main()
