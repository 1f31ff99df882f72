#!/usr/bin/env python3
"""dpdk-lagd tells systemd (Type=notify) it is ready: with $NOTIFY_SOCKET
set, READY=1 arrives once its control socket answers, and STOPPING=1 when
SIGTERM stops it. The notify socket is this test's own datagram socket, as
systemd's would be. The embedded default config (net_null ports)."""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dp"))
import lagd_env as env  # noqa: E402


def main():
    env.init(sys.argv[1], sys.argv[2])
    tmp = tempfile.mkdtemp(prefix="lagd-notify-")
    path = os.path.join(tmp, "notify")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(30)
    sock = os.path.join(tmp, "lagd.sock")
    args = [env.LAGD] + env.eal_args("notify" + env.TOKEN) + ["--", "--socket", sock, "--idle-sleep", "200"]
    out = open(os.path.join(tmp, "out"), "w+")
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ, NOTIFY_SOCKET=path))
    try:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            msg = ""
        env.check("READY=1" in msg.split("\n"), "READY=1 sent (got %r)" % msg)
        env.check(env.ctl(sock, "show lag")[0] == 0, "the control socket answers once READY=1 came")
        p.terminate()
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            msg = ""
        env.check("STOPPING=1" in msg.split("\n"), "STOPPING=1 sent on SIGTERM (got %r)" % msg)
        env.check(p.wait(timeout=30) == 0, "dpdk-lagd exits 0")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        out.seek(0)
        print(out.read()[-2000:])
        out.close()
        s.close()
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    env.finish()


main()
