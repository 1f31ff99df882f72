"""The peer VM fixture: a Debian kernel with bonding and macsec under qemu.

    with PeerVM(workdir, nics=["tapA0", "tapA1"], init=SCRIPT) as vm:
        print(vm.cmd("cat /proc/net/bonding/bond0"))

Each NIC is a virtio-net device on a host TAP device of that name (qemu makes
it; the host side uses it, e.g. DPDK net_af_packet iface=tapA0). `init` is a
shell script run inside the VM after modules are loaded. `cmd` runs one shell
line in the VM over the second serial port. The VM, its TAPs and sockets are
always cleaned up on exit, also on failure or KeyboardInterrupt.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


class PeerVMError(RuntimeError):
    pass


def build(cache=None):
    """Builds (once) and returns the cache folder with vmlinuz and base.cpio.gz."""
    args = [str(ROOT / "scripts/peer-vm/build.sh")]
    if cache:
        args.append(str(cache))
    out = subprocess.run(args, check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


class PeerVM:
    def __init__(self, workdir, nics, init="", cache=None, memory_mb=512, boot_timeout=120):
        self.workdir = Path(workdir)
        self.nics = list(nics)
        self.init = init
        self.cache = cache
        self.memory_mb = memory_mb
        self.boot_timeout = boot_timeout
        self.proc = None
        self.ctl = None
        self.console = self.workdir / "console.log"

    # --- lifecycle -------------------------------------------------------
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        if shutil.which("qemu-system-x86_64") is None:
            raise PeerVMError("qemu-system-x86_64 is not installed (scripts/setup.sh installs it)")
        if not os.path.exists("/dev/net/tun"):
            raise PeerVMError("/dev/net/tun is missing: qemu cannot make TAP devices here")
        cache = build(self.cache)
        self.workdir.mkdir(parents=True, exist_ok=True)
        initrd = self.workdir / "initrd.cpio.gz"
        self._pack_initrd(cache / "base.cpio.gz", initrd)
        ctl_path = self.workdir / "ctl.sock"
        if ctl_path.exists():
            ctl_path.unlink()
        args = [
            "qemu-system-x86_64", "-machine", "q35", "-cpu", "max", "-m", str(self.memory_mb),
            "-smp", "1", "-display", "none", "-monitor", "none", "-no-reboot",
            "-kernel", str(cache / "vmlinuz"), "-initrd", str(initrd),
            "-append", "console=ttyS0 panic=-1 quiet loglevel=4",
            "-serial", f"file:{self.console}",
            "-serial", f"unix:{ctl_path},server=on,wait=off",
        ]
        for i, nic in enumerate(self.nics):
            mac = "52:54:00:00:%02x:%02x" % (os.getpid() & 0xFF, i)
            args += ["-netdev", f"tap,id=n{i},ifname={nic},script=no,downscript=no",
                     "-device", f"virtio-net-pci,netdev=n{i},mac={mac},speed=10000,duplex=full"]
        self.console.write_text("")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.boot_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PeerVMError("qemu exited at start: %s\nconsole:\n%s" % (
                    self.proc.stdout.read().decode(errors="replace"), self.console_text()))
            if ctl_path.exists() and self.ctl is None:
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(str(ctl_path))
                    self.ctl = s
                except OSError:
                    pass
            if "peer-vm: ready" in self.console_text():
                break
            time.sleep(0.2)
        else:
            raise PeerVMError("the VM did not boot in %ss; console:\n%s" % (
                self.boot_timeout, self.console_text()[-4000:]))
        for nic in self.nics:
            subprocess.run(["ip", "link", "set", nic, "up"], check=True)

    def stop(self):
        if self.ctl is not None:
            self.ctl.close()
            self.ctl = None
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None
        for nic in self.nics:
            subprocess.run(["ip", "link", "del", nic], capture_output=True)

    # --- use --------------------------------------------------------------
    def console_text(self):
        try:
            return self.console.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def cmd(self, line, timeout=30):
        """Runs a shell line in the VM; returns its output. Raises on non-zero status."""
        out, rc = self.cmd_status(line, timeout)
        if rc != 0:
            raise PeerVMError(f"in the VM, `{line}` exited {rc}:\n{out}")
        return out

    def cmd_status(self, line, timeout=30):
        if self.ctl is None:
            raise PeerVMError("no command channel to the VM")
        self.ctl.settimeout(timeout)
        self.ctl.sendall(line.encode() + b"\n")
        buf = b""
        while b"\n@@done " not in buf or not buf.endswith(b"\n"):
            chunk = self.ctl.recv(65536)
            if not chunk:
                raise PeerVMError("the VM closed its command channel")
            buf += chunk.replace(b"\r", b"")
        text = buf.decode(errors="replace")
        body, _, tail = text.rpartition("\n@@done ")
        return body, int(tail.strip() or "1")

    def _pack_initrd(self, base, out):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "test").mkdir()
            (Path(d) / "test/init.sh").write_text(self.init)
            extra = subprocess.run("find . | cpio -o -H newc --quiet | gzip -1", shell=True,
                                   cwd=d, check=True, capture_output=True).stdout
        out.write_bytes(base.read_bytes() + extra)
