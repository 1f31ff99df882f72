#!/usr/bin/python3
"""Member devices written the usual way, between two dpdk-lagd (issue 17 §2,
tests/interop/lagd_pair.py), LACP fast and MKA must_encrypt:

1. A's members plain `net_af_packet{i},iface=X` (one queue pair: no spare TX
   queue), B's `net_pcap` with one tx stream (one TX queue): both used to be
   refused under LACP or MKA. Now every session secures, every member is
   operational, pings cross both ways, and each member's LACPDUs and MKPDUs
   went through its control-frame ring (`tx_control_ring_enqueued` and
   `tx_control_ring_sent` grow, nothing dropped).
2. Both sides `net_af_packet{i},iface=X,qpairs=2`: the kernel fans frames out
   over two sockets; both RX queues are polled by the one worker, so LACP and
   MKA converge and pings cross (before: a member whose frames hashed to the
   second queue was never heard). qpairs=2 gives a spare TX queue: the rings
   stay unused. Once more in the clear (LACP only), where 32 UDP flows spread
   over both sockets: DPDK telemetry's per-queue counts show frames read off
   both RX queues of every member.

On every device here the rte_flow steering of EAPOL (and clear LACP) to a
control-polled RX queue is refused: each member's refusal is logged once,
counted (`show lacp` steer_refused 1), and its control frames take the punt
path (`control_rx` "punt" in `show lacp` and `show macsec`).

usage: test_devices_lagd.py DPDK_LAGD    (DEVICES_LAGD_KEEP=1 keeps the work folder)
Needs root; fails, never skips, with the reason when something is missing.
"""

import json
import os
import socket
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from lagd_pair import LagdPair, run_test  # noqa: E402

FAILS = []
CKN = "6465762d6c616764"  # "dev-lagd"
CAK = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def mka_table(cak_file, prio):
    return (f'[lag.macsec]\nmode = "mka"\nckn = "{CKN}"\ncak_file = "{cak_file}"\ncipher = "gcm-aes-256"\n'
            f'encryption = "must_encrypt"\nkey_server_priority = {prio}\n')


class DevicePair(LagdPair):
    """A lagd_pair whose member devices are given per side: device[side] is a
    format string with {i} (the port index) and {dev} (its veth)."""

    def __init__(self, *args, device=None, **kw):
        super().__init__(*args, **kw)
        self.device = device

    def config_text(self, side):
        text = super().config_text(side)
        for i, dev in enumerate(self.veth[side]):
            stock = f'device = "net_pcap{i},rx_iface_in={dev},tx_iface={dev},tx_iface={dev}"'
            assert stock in text, "lagd_pair's member device line changed"
            text = text.replace(stock, f'device = "{self.device[side].format(i=i, dev=dev)}"')
        return text


def secured(d):
    ms = d.show("lag lag0")["members"]
    return bool(ms) and all(m.get("mka_secured") and m["status"] == "operational" for m in ms)


def rx_queue_packets(d, device):
    """Per RX queue packets the PMD counted as read (DPDK telemetry
    /ethdev/stats q_ipackets: net_af_packet counts a frame when it is
    polled off the queue's socket) of `device` ("net_af_packet0")."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(f"/var/run/dpdk/{d.name}{os.getpid()}/dpdk_telemetry.v2")
    try:
        json.loads(s.recv(4096))

        def query(cmd):
            s.send(cmd.encode())
            return json.loads(s.recv(1 << 16))[cmd.split(",")[0]]
        for pid in query("/ethdev/list"):
            if query(f"/ethdev/info,{pid}")["name"] == device:
                return query(f"/ethdev/stats,{pid}")["q_ipackets"]
        raise RuntimeError(f"{d.name}: no ethdev {device}")
    finally:
        s.close()


def xstats(d, port):
    return d.show(f"stats {port} xstats")[port]


def operational(d):
    ms = d.show("lag lag0")["members"]
    return bool(ms) and all(m["status"] == "operational" for m in ms)


def run_pair(work, lagd, cak, name, device, want_ring, rx_queues=1, mka=True):
    print(f"--- {name}: A {device['a']}, B {device['b']}{', MKA' if mka else ''}", flush=True)
    with DevicePair(Path(work) / name, lagd, members=2, lacp="fast", lag_extra_a=mka_table(cak, 1) if mka else "",
                    lag_extra_b=mka_table(cak, 2) if mka else "", device=device) as pair:
        pair.start()
        ok = True
        for d in (pair.a, pair.b):
            try:
                d.wait_for(lambda d=d: secured(d) if mka else operational(d), 40,
                           "every member operational" + (" and MKA secured" if mka else ""))
            except Exception as e:  # noqa: BLE001 - a timeout or a refused show, as a failed check
                ok = False
                check(False, f"{name}: {d.name} converges: {e}")
        if ok:
            check(True, f"{name}: LACP{' and MKA' if mka else ''} converged, every member operational on both sides")
        time.sleep(0.5)
        sent, got = pair.ping(count=20, interval=0.05)
        check(sent == 20 and got == 20, f"{name}: ping A -> B across the LAG: {got}/{sent}")
        sent, got = pair.ping(count=20, interval=0.05, src="b")
        check(sent == 20 and got == 20, f"{name}: ping B -> A: {got}/{sent}")
        # 32 flows: net_af_packet's kernel fanout spreads them over every
        # RX queue (a queue nobody polls holds its frames until its ring is
        # full: hundreds lost before the kernel rolls over to another).
        for src in "ab":
            r = pair.iperf(seconds=3, udp_rate="256K", parallel=32, src=src)["sum"]
            check(r["packets"] > 1000 and r["lost_packets"] <= r["packets"] // 100,
                  f"{name}: 32 UDP flows {src.upper()} -> {'B' if src == 'a' else 'A'}: "
                  f"{r['lost_packets']} of {r['packets']} lost")
        for side in "ab":
            d = pair.side(side)
            # rte_flow steering: no device here takes the rule; the refusal
            # is counted and logged, and the punt path taken.
            rows = d.show("lacp")
            rows = rows.get("members", rows) if isinstance(rows, dict) else rows
            paths = {r["port"]: (r.get("control_rx"), r.get("steer_refused")) for r in rows}
            check(paths == {"m0": ("punt", 1), "m1": ("punt", 1)},
                  f"{name}: {side.upper()} show lacp: control frames on the punt path, steering refused once: {paths}")
            log = d.log.read_text(errors="replace")
            check(log.count("[rule: rte-flow]; its control frames take the punt path") == 2,
                  f"{name}: {side.upper()} logged the refusal once per member")
            if mka:
                ms = d.show("macsec")
                ms = ms.get("members", ms) if isinstance(ms, dict) else ms
                check(all(m.get("control_rx") == "punt" for m in ms if m.get("port") in ("m0", "m1")),
                      f"{name}: {side.upper()} show macsec says punt for both members")
            if rx_queues > 1:
                for i in range(2):
                    q = rx_queue_packets(d, f"net_af_packet{i}")[:rx_queues]
                    check(all(n > 0 for n in q), f"{name}: {side.upper()} m{i}: frames read off every RX queue: {q}")
            for m in ("m0", "m1"):
                x = xstats(d, m)
                enq, sent_r = x["tx_control_ring_enqueued"], x["tx_control_ring_sent"]
                drops = x["tx_control_ring_drop_full"] + x["tx_control_ring_drop_tx_full"]
                if want_ring[side]:
                    check(enq > 0 and sent_r > 0 and drops == 0 and sent_r <= enq <= x["tx_control_packets"],
                          f"{name}: {side.upper()} {m}'s control frames through its ring: enqueued {enq}, "
                          f"sent {sent_r}, dropped {drops}, control frames {x['tx_control_packets']}")
                else:
                    check(enq == 0 and sent_r == 0 and x["tx_control_packets"] > 0,
                          f"{name}: {side.upper()} {m} has a spare TX queue: ring unused ({enq}), "
                          f"{x['tx_control_packets']} control frames on its own queue")


def run(work, lagd):
    cak = Path(work) / "cak.hex"
    cak.write_text(f"# cak\n{CAK}\n")
    cak.chmod(0o600)
    run_pair(work, lagd, cak, "one-tx-queue",
             {"a": "net_af_packet{i},iface={dev}", "b": "net_pcap{i},rx_iface_in={dev},tx_iface={dev}"},
             {"a": True, "b": True})
    run_pair(work, lagd, cak, "qpairs-2",
             {"a": "net_af_packet{i},iface={dev},qpairs=2", "b": "net_af_packet{i},iface={dev},qpairs=2"},
             {"a": False, "b": False})
    # In the clear the kernel's fanout hash sees the UDP ports, so the
    # flows spread over both sockets (MACsec frames of one member all hash
    # alike: one queue, which may be either).
    run_pair(work, lagd, cak, "qpairs-2-clear",
             {"a": "net_af_packet{i},iface={dev},qpairs=2", "b": "net_af_packet{i},iface={dev},qpairs=2"},
             {"a": False, "b": False}, rx_queues=2, mka=False)


def main():
    return run_test(run, "devices-lagd-", FAILS, check, "DEVICES_LAGD_KEEP")


if __name__ == "__main__":
    sys.exit(main())
