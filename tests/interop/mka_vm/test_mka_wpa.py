#!/usr/bin/python3
"""dpdk-lagd's MKA and MACsec against wpa_supplicant (-D macsec_linux) and the
Linux kernel's macsec in the peer VM (issue 9, MKA half).

    VM (Debian kernel, wpa_supplicant 2.10): macsec0 10.77.0.2/24 over eth0 (virtio)
        eth0 -- TAP wv<tok>0, moved into netns lv<tok> -- dpdk-lagd m0 (net_pcap, 1 RX + 2 TX queues)
    netns lv<tok>: dpdk-lagd, access0 = net_tap tv<tok> with 10.77.0.1/24

Both sides hold the same CKN and CAK. First lib/mka alone (mka-peer on the
TAP) secures with wpa_supplicant and refuses none of its MKPDUs. Then dpdk-lagd
with `[lag.macsec] mode = "mka"` and must_encrypt, once per case:
  - GCM-AES-128, dpdk-lagd the key server (priority 1 against 16): both
    secured (`wpa_cli status` Secured=Yes; `ip macsec show` lists dpdk-lagd's
    SCI with an active receive SA); pings 10.77.0.1 -> 10.77.0.2 all answered
    and every frame on the wire is MACsec with the E bit (no clear IP);
    both sides' MKPDUs from the session's start: every ICV verified and the
    Distributed SAK unwrapped with python3-cryptography (tests/interop/mka/
    mka_check.py), tshark decodes them as MKA with nothing malformed;
    `set lag lag0 macsec rekey` under a running ping: new AN on both, no ping lost;
    a second key added on dpdk-lagd's side only keeps the session secured on
    the first (the new one associating);
  - GCM-AES-256 (256-bit CAK), dpdk-lagd the key server: MKA secures on
    both sides and a rekey reaches wpa_supplicant, but this wpa_supplicant
    (2.10, macsec_linux) made macsec0 GCM-AES-128 before any SAK and cannot
    change it, so the kernel refuses the 256-bit SAK (checked: that is the
    peer's limit; no traffic can cross);
  - GCM-AES-128, Linux the key server (priority 1 against 32): secured on
    wpa_supplicant's key; dpdk-lagd's rekey refused (not the key server); a
    rekey forced from Linux (its transmit SA's PN set past wpa_supplicant's
    exhaustion threshold with `ip macsec set`) under a running ping: new AN,
    no ping lost;
  - a wrong CAK: neither side secures, dpdk-lagd refuses wpa_supplicant's
    MKPDUs, no ping crosses.
Not here: the XPN suites (this wpa_supplicant, Debian 12's 2.10, has no XPN
and no macsec_csindex: as key server it distributes GCM-AES-128 only).
Needs root, /dev/net/tun, qemu and tshark (scripts/setup.sh); fails, never skips.

usage: test_mka_wpa.py DPDK_LAGD MKA_PEER
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "mka"))
import mka_check  # noqa: E402
from lagd_pair import Lagd, Netns, need, ping, ping_result, ping_start, sh  # noqa: E402
from peervm import PeerVM  # noqa: E402

TOK = os.getpid() % 100000
NS = f"lv{TOK}"
TAP = f"wv{TOK}0"
ACCESS = f"tv{TOK}"
ACCESS_MAC = "02:77:00:00:00:0a"
HOST_IP, VM_IP = "10.77.0.1", "10.77.0.2"
WORK = Path(os.environ.get("PEER_VM_WORK", "/tmp/dpdk-lag-peervm")) / f"mka-wpa-{os.getpid()}"
CACHE = os.environ.get("PEER_VM_CACHE")
CKN = "96437a93ccf10d9dfe347846cce52c7d"
CAK128 = "135bd758b0ee5c11c55ff6ab19fdb199"
CAK256 = "4c9a4d5a8cbd1a4e4c3c0f1bb5a8c1d64e2b7a3f9c0d1e2f3a4b5c6d7e8f9012"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def sci_hex(s):
    """'02:70:63:61:70:01/1' (dpdk-lagd), '52:54:00:00:71:00@1' (wpa_cli) -> 16 hex digits."""
    mac, port = re.split(r"[/@]", s.strip())
    return mac.replace(":", "").lower() + "%04x" % int(port)


def wait(pred, seconds, step=0.5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


# --- the VM side ----------------------------------------------------------
def wpa_start(vm, cak, priority, nic="eth0"):
    conf = ("ctrl_interface=/var/run/wpa_supplicant\\neapol_version=3\\nap_scan=0\\nnetwork={\\n"
            " key_mgmt=NONE\\n eapol_flags=0\\n macsec_policy=1\\n macsec_integ_only=0\\n"
            f" mka_cak={cak}\\n mka_ckn={CKN}\\n mka_priority={priority}\\n}}\\n")
    vm.cmd(f"printf '{conf}' > /etc/wpa-{nic}.conf")
    vm.cmd(f"wpa_supplicant -B -D macsec_linux -i {nic} -c /etc/wpa-{nic}.conf -P /run/wpa-{nic}.pid "
           f"-f /tmp/wpa-{nic}.log -d")


def wpa_stop(vm, nic="eth0"):
    # The VM's init (PID 1) reaps no one: a stopped wpa_supplicant stays a zombie.
    vm.cmd(f"if [ -f /run/wpa-{nic}.pid ]; then p=$(cat /run/wpa-{nic}.pid); kill $p; "
           f"while [ -e /proc/$p ] && ! grep -q '^State:.*Z' /proc/$p/status; do sleep 0.1; done; "
           f"rm -f /run/wpa-{nic}.pid; fi; "
           "for d in $(ls /sys/class/net | grep macsec); do ip link del $d; done; true")


def wpa_status(vm, nic="eth0"):
    out = vm.cmd(f"wpa_cli -i {nic} status")
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def macsec_up(vm, lagd_mac=ACCESS_MAC):
    """Addresses the macsec0 wpa_supplicant made (it exists from MKA's start)."""
    ok = wait(lambda: vm.cmd_status("ip link show macsec0")[1] == 0, 10)
    assert ok, "wpa_supplicant made no macsec0:\n" + vm.cmd("ip link; tail -20 /tmp/wpa-eth0.log")
    vm.cmd(f"ip addr add {VM_IP}/24 dev macsec0; ip link set macsec0 up; "
           f"ip neigh replace {HOST_IP} lladdr {lagd_mac} dev macsec0 nud permanent")


def kernel_secy(vm):
    """(cipher, transmit AN, {rx SCI hex: [active receive ANs]}) from `ip macsec show macsec0`."""
    text = vm.cmd("ip macsec show macsec0")
    cipher = re.search(r"cipher suite: (\S+),", text)
    tx = re.search(r"TXSC: \S+ on SA (\d)", text)
    rx, cur = {}, None
    for line in text.splitlines():
        if m := re.match(r"\s*RXSC: ([0-9a-f]{16}), state on", line):
            cur = rx.setdefault(m[1], [])
        elif m := re.match(r"\s*RXSC: ", line):
            cur = None
        elif (m := re.match(r"\s*(\d): PN \d+, state on", line)) and cur is not None:
            cur.append(int(m[1]))
        elif line.strip().startswith(("TXSC", "offload")):
            cur = None
    return (cipher[1] if cipher else None, int(tx[1]) if tx else None, rx, text)


# --- the dpdk-lagd side ---------------------------------------------------
def lagd_config(tmp, cipher, cak, priority, taps=(TAP,), lacp=False):
    """dpdk-lagd with one member per TAP (net_pcap: 1 RX, 2 TX queues), must_encrypt MKA."""
    (tmp / "cak.hex").write_text(cak + "\n")
    os.chmod(tmp / "cak.hex", 0o600)
    ports = "".join(f'[[port]]\nname = "m{i}"\ndevice = "net_pcap{i + 1},rx_iface_in={t},tx_iface={t},'
                    f'tx_iface={t}"\nspeed = "10G"\n' for i, t in enumerate(taps))
    members = ", ".join(f'"m{i}"' for i in range(len(taps)))
    cfg = tmp / "lagd.toml"
    cfg.write_text(f"""profile = "ieee"
[[port]]
name = "access0"
device = "net_tap0,iface={ACCESS}"
{ports}[[lag]]
name = "lag0"
access = "access0"
members = [{members}]
min_links = 0
hash = "l34"
""" + ('[lag.lacp]\nmode = "active"\nrate = "fast"\n' if lacp else "") + f"""[lag.macsec]
mode = "mka"
ckn = "{CKN}"
cak_file = "cak.hex"
cipher = "{cipher}"
encryption = "must_encrypt"
key_server_priority = {priority}
""")
    return cfg


def lagd_start(binary, tmp, vm_mac, cipher, cak, priority, taps=(TAP,), lacp=False):
    d = Lagd(binary, lagd_config(tmp, cipher, cak, priority, taps, lacp), tmp, f"lagdv{TOK}", netns=NS)
    d.wait_ready(60)
    sh("ip", "-n", NS, "link", "set", ACCESS, "address", ACCESS_MAC)
    sh("ip", "-n", NS, "addr", "add", f"{HOST_IP}/24", "dev", ACCESS)
    sh("ip", "-n", NS, "link", "set", ACCESS, "up")
    sh("ip", "-n", NS, "neigh", "replace", VM_IP, "lladdr", vm_mac, "dev", ACCESS, "nud", "permanent")
    return d


def m0(d):
    return d.show("lag lag0")["members"][0]


def secured_both(vm, d):
    return m0(d).get("mka_secured") is True and wpa_status(vm).get("Secured") == "Yes"


def stats_dropped(d):
    """MKPDUs the participant of m0 refused, from the last `--stats` print."""
    got = re.findall(r"^mka m0 .* dropped (\d+)", d.tail(400), re.M)
    return int(got[-1]) if got else None


# --- checks -----------------------------------------------------------------
def capture_start(path, bpf=""):
    args = ["ip", "netns", "exec", NS, "dumpcap", "-q", "-i", TAP, "-w", str(path)]
    if bpf:
        args += ["-f", bpf]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert wait(lambda: path.exists() and path.stat().st_size > 0, 10, 0.1), "dumpcap did not start"
    return p


def capture_stop(p):
    p.send_signal(signal.SIGINT)
    p.wait(timeout=10)


def tshark_fields(path, *fields, display=""):
    args = ["tshark", "-r", str(path), "-T", "fields", "-E", "separator=,"]
    if display:
        args += ["-Y", display]
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [line.split(",") for line in out.splitlines() if line]


def check_encrypted_pings(tmp, name, count=20):
    pcap = tmp / f"ping-{name}.pcapng"
    cap = capture_start(pcap, "not ether proto 0x888e")
    sent, got = ping(NS, VM_IP, count=count, interval=0.05)
    time.sleep(0.3)
    capture_stop(cap)
    rows = tshark_fields(pcap, "eth.type", "macsec.TCI.E")
    macsec = [r for r in rows if r[0] and int(r[0], 16) == 0x88E5]
    clear_ip = [r for r in rows if r[0] and int(r[0], 16) in (0x0800, 0x0806)]
    check(sent == count and got == count, f"{name}: pings {HOST_IP} -> {VM_IP}: {got}/{sent} answered")
    check(len(macsec) >= 2 * count and all(r[1] == "1" for r in macsec) and not clear_ip,
          f"{name}: on the wire {len(macsec)} MACsec frames, all encrypted (E bit), {len(clear_ip)} clear IP/ARP")


def check_mkpdus(pcap, name, cak, lagd_sci, vm_sci):
    """Both sides' MKPDUs from the start of a session, checked with code that shares nothing with
    lib/mka (python3-cryptography) and with tshark. wpa_supplicant sends no Announcement."""
    frames = mka_check.read_frames(str(pcap))
    scis = {r[0].replace(":", "").lower().removeprefix("0x").zfill(16)
            for r in tshark_fields(pcap, "mka.sci", display="mka")}
    saks, err = {}, ""
    try:
        saks = mka_check.verify_mkpdus(frames, bytes.fromhex(cak), bytes.fromhex(CKN))
        mka_check.tshark_mka(str(pcap), len(frames), sets=[x for x in mka_check.LIVE_SESSION_SETS
                                                            if not x.startswith("Announcement")])
    except AssertionError as e:
        err = f" ({e!r})"
    check(not err and {lagd_sci, vm_sci} <= scis and len(saks) >= 1,
          f"{name}: {len(frames)} MKPDUs of {sorted(scis)}: every ICV verified and {len(saks)} SAK(s) unwrapped "
          f"with python3-cryptography, tshark decodes all as MKA, none malformed{err}")


def check_session(vm, d, name, cipher, lagd_ks):
    j = m0(d)
    st = wpa_status(vm)
    kcipher, _, rx, text = kernel_secy(vm)
    ks_sci = sci_hex(j.get("mka_key_server_sci", "") or "0:0/0")
    check(j.get("mka_cipher") == cipher and j.get("mka_key_server") is lagd_ks,
          f"{name}: dpdk-lagd secured, {j.get('mka_cipher')}, key server {'itself' if lagd_ks else ks_sci}")
    keys = int(st.get("Number of Keys Received" if lagd_ks else "Number of Keys Distributed", "0"))
    check(st.get("Secured") == "Yes" and sci_hex(st.get("key_server_sci", "0:0@0")) == ks_sci and keys >= 1,
          f"{name}: wpa_cli status: Secured={st.get('Secured')}, key_server_sci={st.get('key_server_sci')}, "
          f"keys {'received' if lagd_ks else 'distributed'} {keys}")
    return kcipher, rx, text


def rekey_under_ping(vm, d, name, force, seconds=4.0):
    """A ping runs while `force()` makes the key server distribute a new SAK: none lost."""
    an0 = m0(d).get("mka_an")
    _, tx0, _, _ = kernel_secy(vm)
    count = int(seconds / 0.05)
    p = ping_start(NS, VM_IP, count, 0.05)
    time.sleep(1.0)
    force()
    moved = wait(lambda: m0(d).get("mka_an") not in (an0, None, -1) and kernel_secy(vm)[1] not in (tx0, None), 8)
    sent, got = ping_result(p, timeout=seconds + 20)
    an1 = m0(d).get("mka_an")
    _, tx1, rx1, _ = kernel_secy(vm)
    check(moved and m0(d).get("mka_secured") is True, f"{name}: new SAK, dpdk-lagd AN {an0} -> {an1}, "
          f"kernel transmit AN {tx0} -> {tx1}")
    check(sent == count and got == sent, f"{name}: ping through the rekey: {got}/{sent} answered")


def pn_reuse(vm, d, name, lagd_ks):
    """Linux's transmit SA set back to PN 1 under the same key, as wpa_supplicant 2.10 puts it back after a
    link flap: dpdk-lagd drops the VM's frames as late while taking nothing new, and gets a new SAK (as key
    server it rotates; otherwise it asks wpa_supplicant, the key server, for one); then pings cross again."""
    an0 = m0(d).get("mka_an")
    _, tx0, _, _ = kernel_secy(vm)
    replay0 = d.show("stats m0 xstats")["m0"]["rx_macsec_drop_replay"]
    vm.cmd(f"ip macsec set macsec0 tx sa {tx0} pn 1 on")
    t0 = time.monotonic()
    p = ping_start(NS, VM_IP, 400, 0.05)  # the VM's replies carry the PNs already taken
    # about 5 s when wpa_supplicant rotates (two of its hellos); 20 s allowed for a loaded machine
    moved = wait(lambda: m0(d).get("mka_an") not in (an0, None, -1) and kernel_secy(vm)[1] not in (tx0, None), 20)
    took = time.monotonic() - t0
    p.kill()
    p.wait(timeout=10)
    sent, got = ping(NS, VM_IP, count=20, interval=0.05)
    late = d.show("stats m0 xstats")["m0"]["rx_macsec_drop_replay"] - replay0
    check(moved and got == sent == 20 and late > 0,
          f"{name}: Linux's transmit PN set back to 1: dpdk-lagd {'rotated' if lagd_ks else 'asked for'} a new "
          f"SAK (dpdk-lagd AN {an0} -> {m0(d).get('mka_an')}, kernel transmit AN {tx0} -> {kernel_secy(vm)[1]}) "
          f"after {took:.1f} s, {late} frames dropped as replays meanwhile; then pings {got}/{sent}")


def new_key_on_lagd_only(vm, d, tmp, name, cak):
    """A second key added on dpdk-lagd's side only (wpa_supplicant holds one CAK): its participant runs
    beside the session's and stays associating; the session stays secured on the old key, pings cross."""
    new_ckn = "6e65772d6b6579"  # "new-key"
    path = tmp / "cak-new.hex"
    path.write_text(cak[::-1] + "\n")
    os.chmod(path, 0o600)
    st, body = d.ctl(f"add lag lag0 macsec key ckn {new_ckn} cak-file {path}")
    time.sleep(8)  # more than a life time: a peer with that key would have secured
    sent, got = ping(NS, VM_IP, count=20, interval=0.05)
    j = m0(d)
    keys = {k["ckn"]: k["state"] for k in j.get("mka_keys", [])}
    check(st == 0 and got == sent == 20 and j.get("mka_secured") is True and j.get("mka_ckn") == CKN
          and keys.get(CKN) == "associated" and keys.get(new_ckn) == "associating"
          and wpa_status(vm).get("Secured") == "Yes",
          f"{name}: a new key on dpdk-lagd only ({body.strip()}): still secured on {j.get('mka_ckn')}, "
          f"keys {keys}, pings {got}/{sent}")


# --- the test ---------------------------------------------------------------
def lib_mka_alone(vm, mka_peer, tmp):
    """lib/mka's participant (no DPDK) on the TAP against wpa_supplicant."""
    (tmp / "cak.hex").write_text(CAK128 + "\n")
    os.chmod(tmp / "cak.hex", 0o600)
    wpa_start(vm, CAK128, 16)
    r = subprocess.run(["ip", "netns", "exec", NS, mka_peer, TAP, str(tmp / "cak.hex"), CKN, "1", "gcm-aes-128",
                        "7"], capture_output=True, text=True, timeout=60)
    end = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr
    st = wpa_status(vm)
    check(r.returncode == 0 and end.startswith("end secured 1 live 1") and end.endswith("drops")
          and st.get("Secured") == "Yes",
          f"lib/mka alone (mka-peer) and wpa_supplicant secure, no MKPDU refused: {end}")
    wpa_stop(vm)
    # wpa_supplicant the key server (16 before 32): lib/mka asks it for a new
    # SAK at 4 s (request_new_sak: SAK Use at the PN exhaustion threshold, as
    # dpdk-lagd does when its peer sends PNs already taken)
    wpa_start(vm, CAK128, 16)
    r = subprocess.run(["ip", "netns", "exec", NS, mka_peer, TAP, str(tmp / "cak.hex"), CKN, "32", "gcm-aes-128",
                        "10", "4"], capture_output=True, text=True, timeout=60)
    end = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr
    got = dict(re.findall(r"(\w+) (\d+)", end))
    keys = int(wpa_status(vm).get("Number of Keys Distributed", "0"))
    check(r.returncode == 0 and end.startswith("end secured 1 live 1") and got.get("saks_generated") == "0"
          and int(got.get("saks_installed", "0")) >= 2 and keys >= 2,
          f"lib/mka (not the key server) asks wpa_supplicant for a new SAK: wpa_supplicant distributed {keys}, "
          f"lib/mka installed {got.get('saks_installed')}: {end}")
    wpa_stop(vm)


def case(binary, vm, tmp, vm_mac, vm_sci, name, cipher, cak, lagd_prio, wpa_prio, seen):
    lagd_ks = lagd_prio < wpa_prio
    print(f"--- {name}", flush=True)
    d = None
    try:
        mkpdus = tmp / f"mka-{name.split(',')[0]}-{lagd_prio}.pcapng"
        cap = capture_start(mkpdus, "ether proto 0x888e")
        wpa_start(vm, cak, wpa_prio)
        macsec_up(vm)
        d = lagd_start(binary, tmp, vm_mac, cipher, cak, lagd_prio)
        t0 = time.monotonic()
        ok = wait(lambda: secured_both(vm, d), 40)
        check(ok, f"{name}: secured on both sides after {time.monotonic() - t0:.1f} s")
        time.sleep(2.5)  # a hello each way on the new key
        capture_stop(cap)
        if not ok:
            print(vm.cmd("wpa_cli -i eth0 status; ip macsec show; tail -30 /tmp/wpa-eth0.log"))
            print(d.tail(20))
            return
        if lagd_ks:
            seen["lagd_sci"] = sci_hex(m0(d)["mka_key_server_sci"])
        lagd_sci = seen.get("lagd_sci")
        kcipher, rx, text = check_session(vm, d, name, cipher, lagd_ks)
        check_mkpdus(mkpdus, name, cak, lagd_sci, vm_sci)
        if cipher == "gcm-aes-256":
            # wpa_supplicant 2.10's macsec_linux makes macsec0 GCM-AES-128 before any SAK and never changes
            # it: the kernel refuses the 32-octet SAK, though its KaY reports Secured. MKA agrees; the
            # kernel's data path cannot follow (a newer wpa_supplicant has macsec_csindex).
            refused = int(vm.cmd("grep -c 'create_receive_sa: failed' /tmp/wpa-eth0.log; true").split()[0])
            check(kcipher == "GCM-AES-128" and not rx.get(lagd_sci) and refused >= 1,
                  f"{name}: peer limit: the kernel's SecY stays {kcipher} and refused the GCM-AES-256 SAK "
                  f"({refused} create_receive_sa failures in wpa_supplicant's log); no traffic can cross")
            keys0 = int(wpa_status(vm).get("Number of Keys Received", "0"))
            an0 = m0(d).get("mka_an")
            st, body = d.ctl("set lag lag0 macsec rekey")
            ok = st == 0 and wait(lambda: int(wpa_status(vm).get("Number of Keys Received", "0")) > keys0
                                  and m0(d).get("mka_an") != an0 and m0(d).get("mka_secured") is True, 10)
            check(ok, f"{name}: set lag lag0 macsec rekey ({body.strip()}): wpa_supplicant received SAK "
                  f"{keys0 + 1}, dpdk-lagd AN {an0} -> {m0(d).get('mka_an')}")
            check(stats_dropped(d) == 0, f"{name}: dpdk-lagd refused none of wpa_supplicant's MKPDUs")
            return
        check(kcipher == cipher.upper() and lagd_sci in rx and rx[lagd_sci],
              f"{name}: ip macsec show: {kcipher}, RXSC {lagd_sci} (dpdk-lagd) with active SA(s) {rx.get(lagd_sci)}")
        check_encrypted_pings(tmp, name)
        if lagd_ks:
            def force():
                st, body = d.ctl("set lag lag0 macsec rekey")
                check(st == 0, f"{name}: set lag lag0 macsec rekey: {body.strip()}")
            rekey_under_ping(vm, d, f"{name}, rekey from dpdk-lagd", force)

            def bump():
                _, tx, _, _ = kernel_secy(vm)
                vm.cmd(f"ip macsec set macsec0 tx sa {tx} pn 3221225600 on")
            # Linux's transmit PN near exhaustion: wpa_supplicant's SAK Use
            # carries its receive PN, so only dpdk-lagd's receive SA sees it.
            rekey_under_ping(vm, d, f"{name}, rekey from Linux's transmit PN past exhaustion (dpdk-lagd's "
                             "receive SA reports it)", bump)
        else:
            st, body = d.ctl("set lag lag0 macsec rekey")
            check(st == 1 and m0(d).get("mka_secured") is True,
                  f"{name}: dpdk-lagd (not the key server) refuses a rekey, still secured: {body.strip()}")

            def force():
                _, tx, _, _ = kernel_secy(vm)
                vm.cmd(f"ip macsec set macsec0 tx sa {tx} pn 3221225600 on")
            rekey_under_ping(vm, d, f"{name}, rekey from Linux (transmit PN past exhaustion)", force)
        pn_reuse(vm, d, name, lagd_ks)
        new_key_on_lagd_only(vm, d, tmp, name, cak)
        check(stats_dropped(d) == 0, f"{name}: dpdk-lagd refused none of wpa_supplicant's MKPDUs")
    finally:
        if d is not None:
            out = d.stop()
            check(cak not in out, f"{name}: dpdk-lagd stopped; the CAK not in its output")
        wpa_stop(vm)


def wrong_cak(binary, vm, tmp, vm_mac):
    name = "wrong CAK"
    print(f"--- {name}", flush=True)
    d = None
    try:
        wpa_start(vm, CAK128[:-2] + "00", 16)
        macsec_up(vm)
        d = lagd_start(binary, tmp, vm_mac, "gcm-aes-128", CAK128, 1)
        time.sleep(7)  # three hellos each way and more
        j, st = m0(d), wpa_status(vm)
        check(j.get("mka_secured") is False and j.get("mka_live_peers") == 0 and st.get("Secured") == "No"
              and st.get("live_peers") == "0",
              f"{name}: neither secures (dpdk-lagd live peers {j.get('mka_live_peers')}, wpa_cli "
              f"Secured={st.get('Secured')} live_peers={st.get('live_peers')})")
        dropped = stats_dropped(d)
        check(dropped is not None and dropped >= 2, f"{name}: dpdk-lagd refused {dropped} MKPDUs (bad ICV)")
        sent, got = ping(NS, VM_IP, count=5, interval=0.1)
        check(got == 0, f"{name}: must_encrypt: {got}/{sent} pings cross")
    finally:
        if d is not None:
            d.stop()
        wpa_stop(vm)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, mka_peer = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    t_start = time.monotonic()
    try:
        need("ip", "dumpcap", "tshark", "stdbuf")
    except RuntimeError as e:
        print(f"FAIL: {e}")
        return 1
    for sig in (signal.SIGTERM, signal.SIGHUP):  # meson's timeout: clean up (finally) before leaving
        signal.signal(sig, lambda *_: sys.exit(1))
    tmp = Path(tempfile.mkdtemp(prefix="mka-wpa-"))
    netns = Netns(NS)
    try:
        netns.create()
        init = ("echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/"
                "disable_ipv6; mkdir -p /var/run/wpa_supplicant; ip link set eth0 up\n")
        with PeerVM(WORK, nics=[TAP], init=init, cache=CACHE) as vm:
            print(f"VM up after {time.monotonic() - t_start:.1f} s", flush=True)
            sh("ip", "link", "set", TAP, "netns", NS)
            sh("ip", "-n", NS, "link", "set", TAP, "up")
            vm_mac = vm.cmd("cat /sys/class/net/eth0/address").strip().splitlines()[-1]
            vm_sci = vm_mac.replace(":", "") + "0001"
            lib_mka_alone(vm, mka_peer, tmp)
            seen = {}
            case(binary, vm, tmp, vm_mac, vm_sci, "GCM-AES-128, dpdk-lagd key server", "gcm-aes-128", CAK128,
                 1, 16, seen)
            case(binary, vm, tmp, vm_mac, vm_sci, "GCM-AES-256, dpdk-lagd key server", "gcm-aes-256", CAK256,
                 1, 16, seen)
            case(binary, vm, tmp, vm_mac, vm_sci, "GCM-AES-128, Linux key server", "gcm-aes-128", CAK128,
                 32, 1, seen)
            wrong_cak(binary, vm, tmp, vm_mac)
    except (AssertionError, RuntimeError, TimeoutError, subprocess.SubprocessError) as e:
        failures.append(str(e))
        print(f"FAIL: {e}\n{traceback.format_exc()}")
    finally:
        netns.remove()
        subprocess.run(["rm", "-rf", str(tmp), str(WORK)])  # the VM's work dir too: its initrd is 10 MB
    print(f"{len(failures)} failed, {time.monotonic() - t_start:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
