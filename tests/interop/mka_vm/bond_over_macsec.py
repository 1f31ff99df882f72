#!/usr/bin/python3
"""Issue 9's "both at once", as far as it goes today (not a meson test: it
cannot pass on this kernel; run it by hand to see why, or to re-check).

    VM: wpa_supplicant on eth0 and eth1 (macsec0, macsec1, must secure),
        bond0 802.3ad (fast) over macsec0 + macsec1, 10.77.0.2/24
    netns lv<tok>: dpdk-lagd, members m0/m1 on the two TAPs, LACP active fast,
        [lag.macsec] mode "mka" must_encrypt, access TAP 10.77.0.1/24

What it shows (Debian 12, kernel 6.1, wpa_supplicant 2.10; run by hand on
30 Nov 2026 against dpdk-lagd with LACP inside MACsec, `[lag.macsec] lacp`
at its default "protected"):
  - both MKA sessions secure (dpdk-lagd and wpa_cli), GCM-AES-128;
  - bonding keeps both macsec slaves down: "bond0: (slave macsec0): failed to
    get link speed/duplex" (a macsec device reports no speed or duplex, and
    802.3ad needs them): MII Status down, Speed Unknown, an aggregator with
    one port and partner 00:00:00:00:00:00, and bond0 sends nothing (each
    macsec device's OutPktsProtected stays 0);
  - dpdk-lagd's LACPDUs now reach Linux inside MACsec: with the LAG down it
    sends no data, so what the kernel's receive SA on each macsec device
    verified is LACPDUs: InPktsOK 32, InOctetsDecrypted 3584 (32 x 112, a
    LACPDU after DA/SA) on each, nothing late, invalid or not valid (the
    SA's next PN 35); dpdk-lagd's LACP had made 35 LACPDUs per member
    (`lacpdus tx`), of which `show lacp` counts 1 refused: made before the
    first SA was in use (must_encrypt);
  - dpdk-lagd hears no LACPDU (rx 0, DEFAULTED, mux DETACHED), so neither
    end aggregates and the pings (5) get no answer.
So the layering now matches (802.1AX above 802.1AE on both ends); what is
left is the kernel's: bonding needs speed/duplex that macsec does not report.
Exits 0 only if bond0 and dpdk-lagd both aggregate both members and pings
cross; otherwise 1, with what it saw.

teamd's lacp runner does aggregate over the same macsec devices: test_team_over_macsec.py.

usage: bond_over_macsec.py DPDK_LAGD
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_mka_wpa as t  # noqa: E402
import lag_over_macsec as lm  # noqa: E402
from lagd_pair import ping  # noqa: E402


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    with lm.macsec_lag(sys.argv[1], "bond-macsec-") as (vm, d, _):
        secured = t.wait(lambda: lm.secured(vm, d), 40)
        print(f"MKA: both members secured on both sides: {secured}")
        vm.cmd(f"ip link add bond0 type bond mode 802.3ad lacp_rate fast miimon 100; ip link set bond0 mtu {lm.MTU}")
        for dev in lm.macsec_devs(vm):
            vm.cmd(f"ip link set {dev} down; ip link set {dev} master bond0")
        vm.cmd(f"ip link set bond0 up; ip addr add {t.VM_IP}/24 dev bond0")
        lm.neighbours(vm, "bond0")

        def aggregated():
            bond = vm.cmd("cat /proc/net/bonding/bond0")
            ports = re.search(r"Active Aggregator Info:.*?Number of ports: (\d+)", bond, re.S)
            lagd = d.show("lag lag0")
            return (ports and int(ports[1]) == 2 and "MII Status: down" not in bond
                    and lagd.get("operational_members") == 2)

        ok = t.wait(aggregated, 30)
        print(vm.cmd("grep -E 'Slave Interface|MII Status|Speed|Number of ports|Partner Mac' "
                     "/proc/net/bonding/bond0; dmesg | grep -i 'speed/duplex' | tail -2"))
        print(d.ctl("show lag lag0")[1])
        # dpdk-lagd sends nothing on its members but protected LACPDUs
        # (the LAG is down: no data) and MKPDUs (clear, not through
        # macsec0/1): what the kernel's receive SAs verified is LACPDUs.
        print(d.ctl("show lacp")[1])
        stats = vm.cmd("ip -s macsec show")
        print("\n".join(line for line in stats.splitlines() if line.strip()))
        lacp_lines = [line for line in d.tail(40).splitlines() if line.startswith("lacp m")]
        print("\n".join(lacp_lines[-2:]))
        sent, got = ping(t.NS, t.VM_IP, count=5, interval=0.2)
        print(f"aggregated on both ends: {ok}; pings {got}/{sent}")
        return 0 if secured and ok and got == sent else 1


if __name__ == "__main__":
    sys.exit(main())
