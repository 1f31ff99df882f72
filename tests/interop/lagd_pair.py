#!/usr/bin/python3
"""Two dpdk-lagd daemons back to back over veth pairs, each with an access port
that is a TAP (net_tap) in its own network namespace.

    ns la<tok>                                         ns lb<tok>
    ta<tok> 10.77.0.1/24 (kernel side of A's access)   tb<tok> 10.77.0.2/24
       |                                                  |
    dpdk-lagd A  access0 = net_tap                     dpdk-lagd B  access0 = net_tap
       m0 = net_pcap on pa<tok>0 ====veth==== pb<tok>0  m0
       m1 = net_pcap on pa<tok>1 ====veth==== pb<tok>1  m1

    with LagdPair(workdir, lagd_binary, members=2, lacp="fast") as pair:
        pair.start()
        pair.wait_converged()
        sent, received = pair.ping(count=20)

Members are net_pcap (one RX queue, two TX queues: the spare one carries
LACPDUs and MKPDUs), as in tests/interop/lacp: net_af_packet's queue pairs share
one fanout group and would lose control frames. net_pcap's link is always up,
so a member whose veth loses its carrier leaves by protocol (LACP's timeout or
MKA's life time), not by link state. Each veth end shapes its egress (HTB: slow
protocols and EAPOL ahead, data capped at `data_rate`) so that a flood on one
side never drops the other side's control frames.

Each daemon runs on one lcore of its own (`-l 0` and `-l 1`, the main lcore
polling the worker) with `--idle-sleep`, so two daemons fit on a 2-core machine.

Namespaces (and with them the veths and TAPs) are removed on every exit, also
on failure, SIGTERM or Ctrl-C. Needs root.

Run alone: `lagd_pair.py DPDK_LAGD [--members N] [--lacp fast|slow|none]`
brings a pair up, pings across and prints both sides' `show lag`.
"""

import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NET_A, NET_B = "10.77.0.1", "10.77.0.2"
# The kernel side of each access TAP gets a fixed MAC, and each namespace a
# permanent neighbour entry for the other side: no ARP needed, nothing learnt
# from a frame seen while a TAP was still being set up.
TAP_MAC = {"a": "02:77:00:00:00:0a", "b": "02:77:00:00:00:0b"}


def sh(*args, check=True, timeout=60):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))}: {r.stderr.strip()}")
    return r.stdout


def need(*tools):
    """Raises with the reason when a tool or root is missing (tests fail, never skip)."""
    if os.geteuid() != 0:
        raise RuntimeError("needs root (network namespaces, veths, TAPs)")
    for t in tools:
        if shutil.which(t) is None:
            raise RuntimeError(f"{t} not found (scripts/setup.sh installs it)")


def shape(ns, dev, data_rate):
    """Egress QoS on a veth end, as a provider edge would have: slow protocols
    (0x8809) and EAPOL (0x888E) in their own HTB class ahead of data, data
    capped at `data_rate`. Both ends' data paths can send more than the other
    end's polling core reads; a control frame lost in a full socket buffer
    would expire a member, and this keeps the tests about the protocols."""
    tc = ["tc", "-n", ns]
    sh(*tc, "qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "20")
    sh(*tc, "class", "add", "dev", dev, "parent", "1:", "classid", "1:10", "htb", "rate", "1mbit", "ceil",
       "100mbit", "prio", "0", "quantum", "1514")
    sh(*tc, "class", "add", "dev", dev, "parent", "1:", "classid", "1:20", "htb", "rate", data_rate, "ceil",
       data_rate, "prio", "1", "quantum", "1514")
    for prio, proto in enumerate(("0x8809", "0x888e"), start=1):
        sh(*tc, "filter", "add", "dev", dev, "parent", "1:", "protocol", proto, "prio", prio, "u32", "match",
           "u32", "0", "0", "flowid", "1:10")


def ping(ns, dst, count=20, interval=0.05, size=56, timeout=None, dont_fragment=False):
    """Pings `dst` from namespace `ns`; returns (sent, received). dont_fragment:
    `-M do`, so that a packet of `size` + 28 octets crosses whole or not at all."""
    t = timeout if timeout is not None else count * interval + 10
    df = ["-M", "do"] if dont_fragment else []
    out = sh("ip", "netns", "exec", ns, "ping", "-q", "-n", *df, "-c", count, "-i", interval, "-s", size, "-W", "1",
             dst, check=False, timeout=t + 5)
    return ping_summary(out)


def ping_start(ns, dst, count, interval=0.05, size=56):
    """A ping from `ns` running in the background; finish with ping_result()."""
    return subprocess.Popen(["ip", "netns", "exec", ns, "ping", "-q", "-n", "-c", str(count), "-i", str(interval),
                             "-s", str(size), "-W", "1", dst], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def ping_result(p, timeout=120):
    out, _ = p.communicate(timeout=timeout)
    return ping_summary(out)


def ping_summary(out):
    m = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?received", out)
    if not m:
        raise RuntimeError("ping printed no summary:\n" + out)
    return int(m[1]), int(m[2])


class Netns:
    """Network namespaces removed on exit (with every veth end and TAP in them)."""

    def __init__(self, *names):
        self.names = list(names)
        self._done = False

    def create(self):
        atexit.register(self.remove)
        for n in self.names:
            sh("ip", "netns", "del", n, check=False)
            sh("ip", "netns", "add", n)
            sh("ip", "-n", n, "link", "set", "lo", "up")
            for k in ("all", "default"):  # no IPv6 autoconf noise on members and TAPs
                sh("ip", "netns", "exec", n, "sysctl", "-qw", f"net.ipv6.conf.{k}.disable_ipv6=1", check=False)
        return self

    def remove(self):
        if self._done:
            return
        self._done = True
        for n in self.names:
            sh("ip", "netns", "del", n, check=False)


def ctl_call(sock_path, line, timeout=10.0):
    """One command over dpdk-lagd's control socket: returns (status, body)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(sock_path))
        s.sendall(line.encode() + b"\n")
        buf = b""
        while b"\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                raise RuntimeError(f"control socket closed before a reply to {line!r}")
            buf += chunk
        head, body = buf.split(b"\n", 1)
        status, length = (int(x) for x in head.split())
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError(f"control socket closed in the middle of a reply to {line!r}")
            body += chunk
        return status, body[:length].decode()


class Lagd:
    """One dpdk-lagd process: stdout to a log file, a control socket, `--stats`."""

    def __init__(self, binary, config, workdir, name, netns=None, lcores="0", idle_sleep_us=20, stats=1,
                 extra_eal=(), log_level="*:warning"):
        self.name = name
        self.workdir = Path(workdir)
        self.sock = self.workdir / f"{name}.sock"
        self.log = self.workdir / f"{name}.log"
        self.config = Path(config)
        prefix = f"{name}{os.getpid()}"
        args = ["stdbuf", "-oL", binary, "--no-huge", "--no-pci", "-m", "512", "--no-shconf", "--file-prefix",
                prefix, "-l", lcores, "--log-level", log_level, *extra_eal, "--", "--config", str(config),
                "--socket", str(self.sock), "--stats", str(stats)]
        if idle_sleep_us and "," not in lcores and "-" not in lcores:
            args += ["--idle-sleep", str(idle_sleep_us)]
        if netns:
            args = ["ip", "netns", "exec", netns] + args
        self._out = open(self.log, "w")
        self.proc = subprocess.Popen(args, stdout=self._out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)

    def running(self):
        return self.proc.poll() is None

    def tail(self, n=60):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def ctl(self, line, timeout=10.0):
        return ctl_call(self.sock, line, timeout)

    def show(self, what="lag"):
        """`show WHAT json` as a Python object; raises if refused."""
        status, body = self.ctl(f"show {what} json")
        if status != 0:
            raise RuntimeError(f"{self.name}: show {what} json refused: {body.strip()}")
        return json.loads(body)

    def wait_ready(self, timeout=60):
        self.wait_for(lambda: self.sock.exists() and self.ctl("show lag")[0] == 0, timeout, "its control socket")

    def wait_for(self, pred, timeout, what):
        """Polls pred() (exceptions count as false) until true; raises with the log tail."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"{self.name} exited (rc {self.proc.returncode}) waiting for {what}:\n"
                                   + self.tail())
            try:
                if pred():
                    return
            except (OSError, RuntimeError, ValueError) as e:
                last = e
            time.sleep(0.2)
        raise TimeoutError(f"{self.name}: no {what} after {timeout} s (last error: {last}):\n" + self.tail())

    def stop(self, timeout=20):
        """SIGTERM, wait; returns the whole output."""
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._out.close()
        return self.log.read_text(errors="replace")


def members_operational(lag_json):
    ms = lag_json.get("members", [])
    return bool(ms) and all(m.get("status") == "operational" for m in ms)


class LagdPair:
    def __init__(self, workdir, binary, members=2, lacp="fast", lag_extra_a="", lag_extra_b="", min_links=0,
                 hash="l34", data_rate="50mbit", speed="10G", tok=None, members_b=None, in_lag=None,
                 lag_keys="", access="tap"):
        """access: the daemons' access port, "tap" (net_tap: its interface is where the
        namespace's IP address lives) or "veth" (net_pcap on one end of a veth pair whose
        other end has the address: for frames above net_tap's 1522-octet limit, jumbo
        MTUs). lag_keys: more `key = value` lines for both daemons' [[lag]] table (e.g.
        "mtu = 9000"). members_b: how many of the member veths B's daemon takes (default all); the
        others' B ends are left in B's namespace for another process. in_lag: how many
        of a daemon's member ports are in the LAG at start (default all; the others
        are [[port]]s for `add member`)."""
        self.workdir = Path(workdir)
        self.binary = str(binary)
        self.members = members
        self.members_b = members if members_b is None else members_b
        self.in_lag = in_lag
        self.lacp = lacp
        self.extra = {"a": lag_extra_a, "b": lag_extra_b}
        self.min_links = min_links
        self.lag_keys = lag_keys
        self.hash = hash
        self.data_rate = data_rate
        self.speed = speed
        tok = str(tok if tok is not None else os.getpid() % 10000000)
        self.tok = tok
        self.ns = {"a": f"la{tok}", "b": f"lb{tok}"}
        self.ns_a, self.ns_b = self.ns["a"], self.ns["b"]
        self.veth = {"a": [f"pa{tok}{i}" for i in range(members)], "b": [f"pb{tok}{i}" for i in range(members)]}
        self.access = access
        self.tap = {"a": f"ta{tok}", "b": f"tb{tok}"}  # where the IP address is, either way
        self.access_dev = {"a": f"xa{tok}", "b": f"xb{tok}"}  # access="veth": the daemon's end
        self.ip = {"a": NET_A, "b": NET_B}
        self.ip_a, self.ip_b = NET_A, NET_B
        self.netns = Netns(self.ns["a"], self.ns["b"])
        self.a = self.b = None
        self._procs = []

    # --- lifecycle -------------------------------------------------------
    def __enter__(self):
        try:
            need("ip", "tc", "stdbuf", "ping")
            self.workdir.mkdir(parents=True, exist_ok=True)
            self.netns.create()
            for va, vb in zip(self.veth["a"], self.veth["b"]):
                sh("ip", "link", "add", va, "netns", self.ns["a"], "type", "veth", "peer", "name", vb, "netns",
                   self.ns["b"])
                for side, dev in (("a", va), ("b", vb)):
                    # Left at the kernel's default MTU (1500): each daemon raises
                    # its members' interfaces to what MACsec needs ([[lag]] mtu).
                    sh("ip", "-n", self.ns[side], "link", "set", dev, "up")
                    shape(self.ns[side], dev, self.data_rate)
            if self.access == "veth":
                need("ethtool")
                for side in "ab":
                    sh("ip", "-n", self.ns[side], "link", "add", self.tap[side], "type", "veth", "peer", "name",
                       self.access_dev[side])
                    for dev in (self.tap[side], self.access_dev[side]):
                        sh("ip", "-n", self.ns[side], "link", "set", dev, "up")
                    # The host's end hands whole frames with checksums over (a veth
                    # would pass TCP segments of up to 64 KB, checksums left to the
                    # "hardware", to the daemon's AF_PACKET socket).
                    sh("ip", "netns", "exec", self.ns[side], "ethtool", "-K", self.tap[side], "tx", "off", "tso",
                       "off", "gso", "off")
        except BaseException:
            self.close()
            raise
        for s in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(s) in (signal.SIG_DFL, None):
                signal.signal(s, lambda *_: sys.exit(1))
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        for p in self._procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
        for d in (self.a, self.b):
            if d is not None:
                d.stop()
        self.netns.remove()

    # --- the daemons -----------------------------------------------------
    def config_text(self, side):
        if self.access == "veth":
            x = self.access_dev[side]
            ports = f'[[port]]\nname = "access0"\ndevice = "net_pcap9,rx_iface_in={x},tx_iface={x}"\n'
        else:
            ports = f'[[port]]\nname = "access0"\ndevice = "net_tap0,iface={self.tap[side]}"\n'
        count = self.members if side == "a" else self.members_b
        for i, dev in enumerate(self.veth[side][:count]):
            ports += (f'\n[[port]]\nname = "m{i}"\n'
                      f'device = "net_pcap{i},rx_iface_in={dev},tx_iface={dev},tx_iface={dev}"\n'
                      f'speed = "{self.speed}"\nmac = "{self.member_mac(side, i)}"\n')
        names = ", ".join(f'"m{i}"' for i in range(min(count, self.in_lag or count)))
        text = (f"# dpdk-lagd {side.upper()} of a lagd_pair (tests/interop/lagd_pair.py)\n"
                f"[daemon]\nburst = 32\nrx_desc = 512\ntx_desc = 512\n\n{ports}\n"
                f'[[lag]]\nname = "lag0"\naccess = "access0"\nmembers = [{names}]\n'
                f'min_links = {self.min_links}\nhash = "{self.hash}"\n')
        if self.lag_keys:
            text += self.lag_keys.strip() + "\n"
        if self.lacp:
            prio, sysid = (100, "02:00:00:00:0a:00") if side == "a" else (200, "02:00:00:00:0b:00")
            text += (f'\n[lag.lacp]\nmode = "active"\nrate = "{self.lacp}"\nsystem_priority = {prio}\n'
                     f'system_id = "{sysid}"\n')
        if self.extra[side]:
            text += "\n" + self.extra[side].strip() + "\n"
        return text

    @staticmethod
    def member_mac(side, i):
        """Member i's MAC on `side` (set by the config: net_pcap ports would all get one
        default MAC, and MKA's SCIs must differ between the two ends)."""
        return f"02:00:00:00:{'0a' if side == 'a' else '0b'}:{i + 1:02x}"

    def start(self, timeout=60):
        for side in ("a", "b"):
            cfg = self.workdir / f"lagd-{side}.toml"
            cfg.write_text(self.config_text(side))
            self._launch(side)
        for side in ("a", "b"):
            self._tap_up(side, timeout)
        return self

    def _launch(self, side):
        lcores = "0" if side == "a" else "1" if os.cpu_count() and os.cpu_count() > 1 else "0"
        d = Lagd(self.binary, self.workdir / f"lagd-{side}.toml", self.workdir, f"lagd{side}", netns=self.ns[side],
                 lcores=lcores)
        setattr(self, side, d)

    def _tap_up(self, side, timeout):
        """Once `side`'s daemon answers: its TAP's MAC, address and the other side's neighbour entry."""
        getattr(self, side).wait_ready(timeout)
        other = "b" if side == "a" else "a"
        sh("ip", "-n", self.ns[side], "link", "set", self.tap[side], "address", TAP_MAC[side])
        sh("ip", "-n", self.ns[side], "addr", "add", f"{self.ip[side]}/24", "dev", self.tap[side])
        sh("ip", "-n", self.ns[side], "neigh", "replace", self.ip[other], "lladdr", TAP_MAC[other], "dev",
           self.tap[side], "nud", "permanent")

    def restart(self, side, timeout=60):
        """Stops `side`'s daemon (SIGTERM) and starts it again from its config file (as it saved
        it); returns the stopped daemon's output."""
        out = getattr(self, side).stop()
        self._launch(side)
        self._tap_up(side, timeout)
        return out

    def side(self, s):
        return self.a if s == "a" else self.b

    def wait_converged(self, timeout=40):
        """Every member operational and the LAG available on both sides."""
        for d in (self.a, self.b):
            d.wait_for(lambda d=d: members_operational(d.show("lag lag0")), timeout,
                       "LAG with every member operational")

    # --- traffic and faults ----------------------------------------------
    def ping(self, count=20, interval=0.05, size=56, src="a", timeout=None, dont_fragment=False):
        """Pings the other side's TAP address from `src`'s namespace; returns (sent, received)."""
        return ping(self.ns[src], self.ip["b" if src == "a" else "a"], count, interval, size, timeout, dont_fragment)

    def ping_start(self, count, interval=0.05, size=56, src="a"):
        """A ping running in the background (for a fault in the middle); finish with ping_result()."""
        p = ping_start(self.ns[src], self.ip["b" if src == "a" else "a"], count, interval, size)
        self._procs.append(p)
        return p

    ping_result = staticmethod(ping_result)

    def iperf(self, seconds=5, udp_rate=None, parallel=1, src="a"):
        """iperf3 from `src`'s namespace to the other's (`parallel` streams, TCP, or UDP at
        `udp_rate` per stream); returns iperf3's JSON `end` section."""
        return self.iperf_result(self.iperf_start(seconds, udp_rate, parallel, src), seconds + 30)

    def iperf_start(self, seconds=5, udp_rate=None, parallel=1, src="a"):
        """iperf3 (as iperf()) running in the background, for a fault in the middle; finish
        with iperf_result()."""
        need("iperf3")
        dst_side = "b" if src == "a" else "a"
        server = subprocess.Popen(["ip", "netns", "exec", self.ns[dst_side], "iperf3", "-s", "-1", "-B",
                                   self.ip[dst_side]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._procs.append(server)
        time.sleep(0.5)
        args = ["ip", "netns", "exec", self.ns[src], "iperf3", "-c", self.ip[dst_side], "-t", str(seconds), "-J"]
        if udp_rate:
            args += ["-u", "-b", str(udp_rate)]
        if parallel > 1:
            args += ["-P", str(parallel)]
        client = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._procs.append(client)
        return client, server

    @staticmethod
    def iperf_result(running, timeout=60):
        client, server = running
        out, err = client.communicate(timeout=timeout)
        server.wait(timeout=10)
        try:
            return json.loads(out)["end"]
        except (ValueError, KeyError) as e:
            raise RuntimeError(f"iperf3 failed ({e}):\n{out[-2000:]}\n{err[-2000:]}") from e

    def link(self, i, up):
        """Member i's veth pair loses (or regains) its carrier on both ends."""
        sh("ip", "-n", self.ns["b"], "link", "set", self.veth["b"][i], "up" if up else "down")

    def capture(self, i, path, bpf="", side="a"):
        """dumpcap on `side`'s veth of member i into `path` (pcapng); returns the process once capturing."""
        need("dumpcap")
        args = ["ip", "netns", "exec", self.ns[side], "dumpcap", "-q", "-i", self.veth[side][i], "-w", str(path)]
        if bpf:
            args += ["-f", bpf]
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self._procs.append(p)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise RuntimeError("dumpcap exited: " + p.stderr.read())
            if Path(path).exists() and Path(path).stat().st_size > 0:
                return p
            time.sleep(0.1)
        raise TimeoutError("dumpcap did not start capturing")

    @staticmethod
    def stop_capture(p):
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lagd")
    ap.add_argument("--members", type=int, default=2)
    ap.add_argument("--lacp", default="fast", choices=["fast", "slow", "none"])
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lagd-pair-"))
    try:
        with LagdPair(work, a.lagd, members=a.members, lacp=None if a.lacp == "none" else a.lacp) as pair:
            t0 = time.monotonic()
            pair.start()
            pair.wait_converged()
            print(f"converged in {time.monotonic() - t0:.1f} s")
            sent, got = pair.ping(count=20, interval=0.05)
            print(f"ping {NET_A} -> {NET_B}: {got}/{sent}")
            for d in (pair.a, pair.b):
                print(f"--- {d.name}: show lag\n" + d.ctl("show lag")[1])
            return 0 if got == sent else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())


def run_test(run, prefix, fails, check, keep_env):
    """A test script's main(): run(work, lagd) with the daemon from argv[1]
    in a fresh temporary folder (kept when `keep_env` is set in the
    environment), an exception counted as a failed check; 1 if any check
    failed, else 0."""
    lagd = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix=prefix)
    t0 = time.monotonic()
    try:
        run(work, lagd)
    except Exception as e:  # noqa: BLE001 - reported as a failure with its reason
        check(False, f"{type(e).__name__}: {e}")
    finally:
        if not os.environ.get(keep_env):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept", work)
    print(f"took {time.monotonic() - t0:.1f} s")
    if fails:
        print(f"{len(fails)} check(s) failed")
        return 1
    print("all checks passed")
    return 0
