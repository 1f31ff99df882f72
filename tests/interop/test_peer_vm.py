#!/usr/bin/env python3
"""Self-test of the peer-VM fixture (issue 9), so that a failing dpdk-lagd
interop test can be told apart from a broken fixture:
- the VM boots with a kernel that has bonding and macsec;
- its bond0 (802.3ad, lacp_rate fast) over two virtio NICs on host TAPs
  negotiates with DPDK's own bonding PMD (dpdk-testpmd, mode 4) on the host:
  both sides collecting and distributing on both links;
- the kernel makes a macsec device and wpa_supplicant has its macsec driver.
Needs root, /dev/net/tun and qemu-system-x86 (scripts/setup.sh); fails with
the reason when any is missing.
"""

import os
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peervm import PeerVM  # noqa: E402
from testpmd import TestPmd  # noqa: E402

WORK = Path(os.environ.get("PEER_VM_WORK", "/tmp/dpdk-lag-peervm-selftest"))
CACHE = os.environ.get("PEER_VM_CACHE")
TAPS = ["tpvs0", "tpvs1"]

BOND_INIT = """
ip link add bond0 type bond mode 802.3ad lacp_rate fast miimon 100
for n in eth0 eth1; do ip link set $n down; ip link set $n master bond0; done
ip link set bond0 up
"""


class PeerVMSelfTest(unittest.TestCase):
    def test_linux_bond_negotiates_with_dpdk_bonding_pmd(self):
        with PeerVM(WORK, nics=TAPS, init=BOND_INIT, cache=CACHE) as vm:
            self.assertIn("802.3ad", vm.cmd("cat /proc/net/bonding/bond0"))
            vdevs = [f"net_af_packet{i},iface={t}" for i, t in enumerate(TAPS)]
            with TestPmd(vdevs, bond_members=[0, 1], file_prefix="pvmself") as tp:
                tp.cmd("start")
                deadline = time.monotonic() + 45
                states, bond = [], ""
                while time.monotonic() < deadline:
                    states = tp.lacp_states()
                    bond = vm.cmd("cat /proc/net/bonding/bond0")
                    linux_ok = bond.count("port state: 63") + bond.count("port state: 61") >= 2
                    if len(states) == 2 and all("DISTRIBUTING" in s for s in states) and linux_ok:
                        break
                    time.sleep(1)
                self.assertEqual(len(states), 2, "testpmd shows two bond members")
                for s in states:
                    self.assertIn("COLLECTING", s)
                    self.assertIn("DISTRIBUTING", s)
                # Linux: one aggregator holding both ports, partner = the DPDK bond.
                self.assertIn("Number of ports: 2", bond, bond)
                self.assertNotIn("Partner Mac Address: 00:00:00:00:00:00", bond, bond)

    def test_kernel_has_macsec_and_wpa_supplicant_its_driver(self):
        with PeerVM(WORK, nics=TAPS[:1], cache=CACHE) as vm:
            vm.cmd("ip link add link eth0 macsec0 type macsec encrypt on")
            self.assertIn("macsec0", vm.cmd("ip macsec show"))
            self.assertIn("macsec_linux", vm.cmd("wpa_supplicant -h"))


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("test_peer_vm: FAIL: needs root (TAP devices, qemu networking)", file=sys.stderr)
        sys.exit(1)
    unittest.main(verbosity=2)
