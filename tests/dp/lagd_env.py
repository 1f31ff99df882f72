"""Shared by the dpdk-lagd process tests that drive the daemon over its
control socket: start it on virtual devices with a unique --file-prefix,
run lagctl commands, stop it, and record checks."""
import os
import socket
import subprocess
import sys
import json
import time

FAILS = []
LAGD = LAGCTL = None
# In every EAL --file-prefix, namespace and temp name a test makes: two runs
# at once (a developer's and a sanitizer build's) must not meet.
TOKEN = str(os.getpid())


def init(lagd, lagctl):
    global LAGD, LAGCTL
    LAGD, LAGCTL = lagd, lagctl


def finish():
    """Prints the verdict and exits 1 if any check failed."""
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        sys.exit(1)
    print("all checks passed")


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def eal_args(prefix, log_level="*:warning", lcores="0"):
    args = ["--no-huge", "--no-pci", "-m", "512", "--no-shconf", "--file-prefix", prefix, "-l", lcores]
    if log_level:
        args += ["--log-level", log_level]
    return args


def start(prefix, sock, config, log_level="*:warning", lcores="0", extra=()):
    """Starts dpdk-lagd and waits until it answers on `sock`. stdout and
    stderr go to one file next to the config (a pipe nobody reads while
    the daemon runs could fill and stall it); stop() returns them. `extra`:
    more dpdk-lagd options."""
    args = [LAGD] + eal_args(prefix, log_level, lcores) + ["--", "--socket", sock, "--config", config] + list(extra)
    out = open("%s.%s.out" % (config, prefix), "w+")
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, text=True)
    p.out = out
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise RuntimeError("dpdk-lagd exited at start:\n" + output(p))
        if os.path.exists(sock) and ctl(sock, "show lag")[0] == 0:
            return p
        time.sleep(0.2)
    p.kill()
    p.wait()
    raise RuntimeError("dpdk-lagd did not answer on its socket:\n" + output(p))


def output(p):
    p.out.seek(0)
    return p.out.read()


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    out = output(p)
    p.out.close()
    return p.returncode, out


def ctl(sock, *words):
    r = subprocess.run([LAGCTL, "--socket", sock] + " ".join(words).split(), capture_output=True,
                       text=True, timeout=30)
    return r.returncode, r.stdout, r.stderr


def ctl_json(sock, *words):
    rc, out, err = ctl(sock, *words, "json")
    return json.loads(out) if rc == 0 else {"error": err}


class telemetry:
    """DPDK's telemetry socket of a daemon, as dpdk-telemetry.py reads it."""

    def __init__(self, prefix):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
        json.loads(self.s.recv(4096))

    def query(self, cmd):
        self.s.send(cmd.encode())
        return json.loads(self.s.recv(65536))

    def close(self):
        self.s.close()
