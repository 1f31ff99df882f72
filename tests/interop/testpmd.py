"""dpdk-testpmd as a peer: DPDK's own bonding PMD in 802.3ad mode.

    with TestPmd(["net_af_packet0,iface=tapA0", ...], bond_members=[0, 1]) as tp:
        tp.cmd("start")
        info = tp.cmd("show bonding lacp info 2")

The bonding PMD sends LACPDUs only from inside its TX burst, so testpmd runs
flowgen on the bond port alone (never on the member ports, or it would steal
their LACPDUs). Always stopped on exit. `netns` runs it inside a network
namespace (`ip netns exec`); `bond_args` adds bonding devargs
("xmit_policy=l34").
"""

import os
import queue
import signal
import subprocess
import threading
import time

PROMPT = "testpmd> "


class TestPmd:
    def __init__(self, vdevs, bond_members=None, bond_mode=4, file_prefix=None,
                 extra_eal=(), extra_app=(), lcores="0,1", netns=None, bond_args=""):
        self.vdevs = list(vdevs)
        self.bond_members = bond_members
        self.bond_mode = bond_mode
        self.file_prefix = file_prefix or f"tp{os.getpid()}"
        self.extra_eal = list(extra_eal)
        self.extra_app = list(extra_app)
        self.lcores = lcores
        self.netns = netns
        self.bond_args = bond_args
        self.proc = None
        self.out = queue.Queue()
        self.log = []

    @property
    def bond_port(self):
        return len(self.vdevs)

    def __enter__(self):
        # testpmd prints with stdio: unbuffer it, or output to a pipe waits for exit.
        args = ["ip", "netns", "exec", self.netns] if self.netns else []
        args += ["stdbuf", "-o0", "-e0", "dpdk-testpmd", "--no-huge", "--no-pci", "-m", "1024", "-l", self.lcores,
                "--file-prefix", self.file_prefix]
        for v in self.vdevs:
            args += ["--vdev", v]
        portmask = None
        if self.bond_members is not None:
            names = [v.split(",")[0] for v in self.vdevs]
            # DPDK 22.11 spells the bonding devarg 'slave='.
            members = ",".join("slave=" + names[i] for i in self.bond_members)
            extra = f",{self.bond_args}" if self.bond_args else ""
            args += ["--vdev", f"net_bonding0,mode={self.bond_mode},{members}{extra}"]
            portmask = hex(1 << self.bond_port)
        args += self.extra_eal + ["--", "-i", "--total-num-mbufs=16384"]
        if portmask:
            args += ["--forward-mode=flowgen", f"--portmask={portmask}"]
        args += self.extra_app
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     start_new_session=True)
        threading.Thread(target=self._reader, daemon=True).start()
        self._until_prompt(60)
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.stdin.write("stop\nquit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=15)
            except (BrokenPipeError, OSError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def _reader(self):
        buf = ""
        while True:
            ch = self.proc.stdout.read(1)
            if not ch:
                self.out.put(None)
                return
            buf += ch
            if ch == "\n" or buf.endswith(PROMPT):
                self.log.append(buf)
                self.out.put(buf)
                buf = ""

    def _until_prompt(self, timeout):
        text = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.out.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError("dpdk-testpmd exited:\n" + "".join(self.log[-60:]))
            if line.endswith(PROMPT):
                return text + line[: -len(PROMPT)]
            text += line
        raise TimeoutError("dpdk-testpmd gave no prompt:\n" + "".join(self.log[-60:]))

    def cmd(self, line, timeout=30):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._until_prompt(timeout)

    def lacp_states(self):
        """The actor port states of each bond member, as testpmd prints them."""
        info = self.cmd(f"show bonding lacp info {self.bond_port}")
        states, in_actor = [], False
        for line in info.splitlines():
            if "Actor detail info" in line:
                in_actor = True
            elif "Partner detail info" in line:
                in_actor = False
            elif "port state:" in line and in_actor:
                states.append(line.split("port state:")[1].strip())
        return states

    def port_stats(self, port):
        """RX-packets, TX-packets and RX-missed of `port` from `show port stats`."""
        text = self.cmd(f"show port stats {port}")
        out = {}
        for line in text.splitlines():
            for key in ("RX-packets", "TX-packets", "RX-missed"):
                if key + ":" in line:
                    out[key] = int(line.split(key + ":")[1].split()[0])
        return out
