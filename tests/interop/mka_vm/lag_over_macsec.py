"""A LAG over two kernel macsec devices in the peer VM against a dpdk-lagd LAG
with LACP inside MACsec (issue 9's "both at once"): what bond_over_macsec.py
(by hand) and test_team_over_macsec.py share.

    VM: wpa_supplicant (MKA, must secure, GCM-AES-128) on eth0 and eth1: macsec0, macsec1
        eth0, eth1 -- TAPs wv<tok>0, wv<tok>1, moved into netns lv<tok>
    netns lv<tok>: dpdk-lagd, members m0/m1 (net_pcap) on the two TAPs, LACP active fast,
        [lag.macsec] mode "mka" must_encrypt (lacp protected, the default), access TAP 10.77.0.1/24
"""

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import test_mka_wpa as t
from lagd_pair import Netns, sh
from peervm import PeerVM

TAPS = [f"wv{t.TOK}0", f"wv{t.TOK}1"]
NICS = ("eth0", "eth1")
INIT = ("echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; "
        "mkdir -p /var/run/wpa_supplicant; ip link set eth0 up; ip link set eth1 up\n")
MTU = 1468  # a macsec device's MTU: its lower device's (1500) less 32; the LAG on top must not ask for more


@contextmanager
def macsec_lag(binary, prefix):
    """Boots the VM, starts wpa_supplicant on eth0/eth1 and dpdk-lagd on the TAPs; yields (vm, dpdk-lagd, tmp).
    Everything (dpdk-lagd, the VM, the namespace, the work dirs) goes in the end, also on failure."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    netns = Netns(t.NS)
    d = None
    try:
        netns.create()
        with PeerVM(t.WORK, nics=TAPS, init=INIT, cache=t.CACHE) as vm:
            for tap in TAPS:
                sh("ip", "link", "set", tap, "netns", t.NS)
                sh("ip", "-n", t.NS, "link", "set", tap, "up")
            for nic in NICS:
                t.wpa_start(vm, t.CAK128, 16, nic)
            d = t.lagd_start(os.path.abspath(binary), tmp, "02:00:00:00:00:00", "gcm-aes-128", t.CAK128, 1, TAPS,
                             lacp=True)
            yield vm, d, tmp
    finally:
        if d is not None:
            d.stop()
        netns.remove()
        sh("rm", "-rf", tmp, t.WORK)  # the VM's work dir too: its initrd is 10 MB


def secured(vm, d):
    """Both MKA sessions secured, on dpdk-lagd's side and on wpa_supplicant's."""
    return (all(m.get("mka_secured") is True for m in d.show("lag lag0")["members"])
            and all(t.wpa_status(vm, n).get("Secured") == "Yes" for n in NICS))


def macsec_devs(vm):
    """The macsec devices wpa_supplicant made, in the order of their lower devices (eth0's first)."""
    text = vm.cmd("ip -o link show type macsec")
    found = {nic: dev for dev, nic in re.findall(r"\d+: (macsec\d+)@(\w+):", text)}
    return [found[nic] for nic in NICS if nic in found]


def neighbours(vm, dev):
    """Static neighbours both ways: the VM's address on `dev` and dpdk-lagd's access address."""
    mac = vm.cmd(f"cat /sys/class/net/{dev}/address").strip().splitlines()[-1]
    sh("ip", "-n", t.NS, "neigh", "replace", t.VM_IP, "lladdr", mac, "dev", t.ACCESS, "nud", "permanent")
    vm.cmd(f"ip neigh replace {t.HOST_IP} lladdr {t.ACCESS_MAC} dev {dev} nud permanent")
    return mac
