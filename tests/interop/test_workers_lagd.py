#!/usr/bin/python3
"""Several workers on a 2-CPU machine (issue 17 §5): dpdk-lagd A runs two,
then three worker lcores mapped onto the CPUs with `--lcores` (0@0,1@1,2@1
and 0@0,1@0,2@1,3@1), B one lcore, LACP fast and MKA must_encrypt between them
(tests/interop/lagd_pair.py).

A's access port is net_tap with one queue per worker: the kernel spreads
the namespace's flows over the TAP's queues by a symmetric flow hash, and
dpdk-lagd asks every multi-queue port for RSS with a symmetric Toeplitz key
(0x6d5a), so both directions of a flow meet one worker. A's members are
net_af_packet with one queue pair per worker and one more (the spare TX
queue carries LACPDUs and MKPDUs; every RX queue is polled).

Checked, for each worker count: every member secured and operational,
pings both ways, 16 TCP streams (iperf3 -P 16) spread over both members
(distribution), a rekey in the middle of 16 UDP flows (new SAs installed on
every worker while they forward; nothing lost past the switch), and a member
removed and added back (snapshot switches), the LAG secured again.

usage: test_workers_lagd.py DPDK_LAGD    (WORKERS_LAGD_KEEP=1 keeps the work folder)
Needs root; fails, never skips, with the reason when something is missing.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import lagd_pair  # noqa: E402
from lagd_pair import LagdPair, run_test  # noqa: E402

FAILS = []
CKN = "776f726b2d6c6167"  # "work-lag"
CAK = "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


# Several workers protect on one transmit SA, each sending on its own TX
# queue: the peer sees a member's PNs out of order by up to about workers x
# burst, and with a replay window of 0 drops them as replays
# (rx_macsec_drop_replay). Both ends take a window that covers it, as a
# peer of a multi-worker dpdk-lagd must (docs/config.md, replay_window).
REPLAY_WINDOW = 256


def mka_table(cak_file, prio):
    return (f'[lag.macsec]\nmode = "mka"\nckn = "{CKN}"\ncak_file = "{cak_file}"\ncipher = "gcm-aes-256"\n'
            f'encryption = "must_encrypt"\nkey_server_priority = {prio}\nreplay_window = {REPLAY_WINDOW}\n')


class LcoresLagd(lagd_pair.Lagd):
    """A Lagd started with `--lcores MAP` instead of `-l`."""

    def __init__(self, binary, config, workdir, name, netns, lcores_map):
        self.name = name
        self.workdir = Path(workdir)
        self.sock = self.workdir / f"{name}.sock"
        self.log = self.workdir / f"{name}.log"
        self.config = Path(config)
        args = ["stdbuf", "-oL", binary, "--no-huge", "--no-pci", "-m", "512", "--no-shconf", "--file-prefix",
                f"{name}{os.getpid()}", "--lcores", lcores_map, "--log-level", "*:warning", "--", "--config",
                str(config), "--socket", str(self.sock), "--stats", "1"]
        args = ["ip", "netns", "exec", netns] + args
        self._out = open(self.log, "w")
        self.proc = subprocess.Popen(args, stdout=self._out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)


class WorkersPair(LagdPair):
    def __init__(self, *args, lcores_a, workers_a, **kw):
        super().__init__(*args, **kw)
        self.lcores_a = lcores_a
        self.workers_a = workers_a

    def config_text(self, side):
        text = super().config_text(side)
        if side == "a":
            for i, dev in enumerate(self.veth[side]):
                stock = f'device = "net_pcap{i},rx_iface_in={dev},tx_iface={dev},tx_iface={dev}"'
                assert stock in text, "lagd_pair's member device line changed"
                text = text.replace(stock, f'device = "net_af_packet{i},iface={dev},qpairs={self.workers_a + 1}"')
        return text

    def _launch(self, side):
        if side != "a":
            return super()._launch(side)
        self.a = LcoresLagd(self.binary, self.workdir / "lagd-a.toml", self.workdir, "lagda", self.ns["a"],
                            self.lcores_a)


def secured(d):
    ms = d.show("lag lag0")["members"]
    return bool(ms) and all(m.get("mka_secured") and m["status"] == "operational" for m in ms)


def rx_queue_packets(d, device):
    """Per RX queue packets `device` ("net_tap0") counted as read (DPDK
    telemetry /ethdev/stats q_ipackets)."""
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


def tx_good(d, port):
    return d.show(f"stats {port} xstats")[port]["tx_good_packets"]


def run_workers(work, lagd, cak, lcores, workers):
    name = f"{workers}-workers"
    print(f"--- {name}: A --lcores {lcores}", flush=True)
    with WorkersPair(Path(work) / name, lagd, members=2, lacp="fast", lag_extra_a=mka_table(cak, 1),
                     lag_extra_b=mka_table(cak, 2), lcores_a=lcores, workers_a=workers) as pair:
        pair.start()
        try:
            for d in (pair.a, pair.b):
                d.wait_for(lambda d=d: secured(d), 40, "MKA secured and every member operational")
            check(True, f"{name}: LACP and MKA converged, every member secured on both sides")
        except Exception as e:  # noqa: BLE001 - counted as a failed check
            check(False, f"{name}: converges: {e}")
            return
        out = pair.a.tail(200)
        check(f"{workers} worker lcore(s)" in out, f"{name}: A says it runs {workers} worker lcores")
        time.sleep(0.5)
        sent, got = pair.ping(count=20, interval=0.05)
        check(sent == 20 and got == 20, f"{name}: ping A -> B: {got}/{sent}")
        sent, got = pair.ping(count=20, interval=0.05, src="b")
        check(sent == 20 and got == 20, f"{name}: ping B -> A: {got}/{sent}")
        before = [tx_good(pair.a, m) for m in ("m0", "m1")]
        r = pair.iperf(seconds=4, parallel=16)
        after = [tx_good(pair.a, m) for m in ("m0", "m1")]
        moved = [a - b for a, b in zip(after, before)]
        bps = r["sum_received"]["bits_per_second"]
        check(bps > 1e6 and all(n > 100 for n in moved),
              f"{name}: 16 TCP streams A -> B at {bps / 1e6:.1f} Mbit/s, frames per member {moved}")
        q = rx_queue_packets(pair.a, "net_tap0")[:workers]
        check(sum(1 for n in q if n > 0) >= 2,
              f"{name}: the access port's flows spread over the workers' RX queues: {q}")
        # SAs change on every worker while they forward.
        running = pair.iperf_start(seconds=6, udp_rate="256K", parallel=16)
        time.sleep(2)
        status, text = pair.a.ctl("set lag lag0 macsec rekey")
        check(status == 0, f"{name}: rekey under traffic: {text.strip()}")
        u = pair.iperf_result(running, 40)["sum"]
        check(u["packets"] > 1000 and u["lost_packets"] == 0,
              f"{name}: 16 UDP flows across the rekey: {u['lost_packets']} of {u['packets']} lost")
        for d in (pair.a, pair.b):  # where frames were dropped, by counter
            x = d.show("stats xstats")
            print(f"{name}: {d.name} drops: " + ", ".join(
                f"{port} {k}={v}" for port, xs in sorted(x.items()) for k, v in sorted(xs.items())
                if "drop" in k and v), flush=True)
        # Snapshot switches: a member out and back.
        for line in ("remove member m1 lag lag0", "add member m1 lag lag0"):
            status, text = pair.a.ctl(line)
            check(status == 0, f"{name}: {line}: {text.strip() or 'ok'}")
            time.sleep(1)
        try:
            pair.a.wait_for(lambda: secured(pair.a), 40, "m1 back, secured")
            check(True, f"{name}: m1 back in the LAG, secured")
        except Exception as e:  # noqa: BLE001
            check(False, f"{name}: m1 back: {e}")
        sent, got = pair.ping(count=20, interval=0.05)
        check(sent == 20 and got == 20, f"{name}: ping A -> B after the member came back: {got}/{sent}")


def run(work, lagd):
    cak = Path(work) / "cak.hex"
    cak.write_text(f"# cak\n{CAK}\n")
    cak.chmod(0o600)
    run_workers(work, lagd, cak, "0@0,1@1,2@1", 2)
    run_workers(work, lagd, cak, "0@0,1@0,2@1,3@1", 3)


def main():
    return run_test(run, "workers-lagd-", FAILS, check, "WORKERS_LAGD_KEEP")


if __name__ == "__main__":
    sys.exit(main())
