#!/usr/bin/python3
"""Full-size IP packets across a LACP + MKA (must_encrypt) LAG between two
dpdk-lagd (tests/interop/lagd_pair.py), the member veths left at the kernel's
default MTU (1500): issue 17's bug was 0 of 10 answered.

- `[[lag]] mtu` at its default 1500: `show lag` says mtu 1500, each daemon
  raised its member veths' kernel MTU to 1500 + 32 (SecTAG with SCI, ICV);
- 20 pings of 1500-octet IP packets (`ping -M do -s 1472`) cross, every one;
- a 1501-octet one does not leave A's namespace (the TAP's MTU is the LAG's).

usage: test_mtu_lagd.py DPDK_LAGD    (MTU_LAGD_KEEP=1 keeps the work folder)
Needs root; fails, never skips, with the reason when something is missing.
"""

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from lagd_pair import LagdPair, run_test, sh  # noqa: E402

FAILS = []
CKN = "6d74752d6c616764"  # "mtu-lagd"
CAK = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def mka_table(cak_file, prio):
    return (f'[lag.macsec]\nmode = "mka"\nckn = "{CKN}"\ncak_file = "{cak_file}"\ncipher = "gcm-aes-256"\n'
            f'encryption = "must_encrypt"\nkey_server_priority = {prio}\n')


def kernel_mtu(ns, dev):
    return int(Path(f"/sys/class/net/{dev}/mtu").read_text()) if ns is None else \
        int(sh("ip", "netns", "exec", ns, "cat", f"/sys/class/net/{dev}/mtu").strip())


def secured(d):
    ms = d.show("lag lag0")["members"]
    return bool(ms) and all(m.get("mka_secured") and m["status"] == "operational" for m in ms)


def run(work, lagd):
    cak = Path(work) / "cak.hex"
    cak.write_text(f"# cak\n{CAK}\n")
    cak.chmod(0o600)
    with LagdPair(work, lagd, members=2, lacp="fast", lag_extra_a=mka_table(cak, 1),
                  lag_extra_b=mka_table(cak, 2)) as pair:
        before = [kernel_mtu(pair.ns[s], v) for s in "ab" for v in pair.veth[s]]
        check(before == [1500] * 4, f"member veths start at the kernel's default MTU: {before}")
        pair.start()
        for d in (pair.a, pair.b):
            d.wait_for(lambda d=d: secured(d), 40, "MKA secured and every member operational")
        la = pair.a.show("lag lag0")
        check(la.get("mtu") == 1500, f"show lag json: mtu {la.get('mtu')}")
        status, text = pair.a.ctl("show lag lag0")
        check(status == 0 and "mtu 1500" in text, "show lag (text) says mtu 1500")
        after = [kernel_mtu(pair.ns[s], v) for s in "ab" for v in pair.veth[s]]
        check(after == [1532] * 4, f"each daemon raised its member veths to 1500 + 32 (SecTAG+SCI, ICV): {after}")
        time.sleep(0.5)
        sent, got = pair.ping(count=20, interval=0.05, size=1472, dont_fragment=True)
        check(sent == 20 and got == 20, f"ping -M do -s 1472 (1500-octet IP packets) A -> B: {got}/{sent}")
        sent, got = pair.ping(count=20, interval=0.05, size=1472, dont_fragment=True, src="b")
        check(sent == 20 and got == 20, f"ping -M do -s 1472 B -> A: {got}/{sent}")
        sent, got = pair.ping(count=5, interval=0.05, size=1473, dont_fragment=True)
        check(got == 0, f"ping -M do -s 1473 (above the LAG's MTU): {got}/{sent} answered")


def main():
    return run_test(run, "mtu-lagd-", FAILS, check, "MTU_LAGD_KEEP")


if __name__ == "__main__":
    sys.exit(main())
