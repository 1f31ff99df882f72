#!/bin/busybox sh
# /init of the peer VM. Serial 0 (ttyS0) is the console, captured to a file
# by the host; serial 1 (ttyS1) is a command channel: each line is run by sh
# and its output followed by "@@done <status>" is written back.
/bin/busybox --install -s /bin
export PATH=/sbin:/bin
# busybox's shell runs its own applets before PATH; iproute2's ip must win.
ip() { /sbin/ip "$@"; }
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /run/wpa_supplicant /tmp
for m in $(cat /lib/modules/load-order); do
    case $m in
    bonding.ko) insmod /lib/modules/$m max_bonds=0 ;;
    *) insmod /lib/modules/$m ;;
    esac
done
ip link set lo up
echo "peer-vm: up, kernel $(uname -r), nics: $(ls /sys/class/net | tr '\n' ' ')"
# The test's own start-up script, if the host appended one.
if [ -f /test/init.sh ]; then
    . /test/init.sh
fi
# Raw mode before "ready": stty flushes pending input, so the host must not
# send before this.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
exec 3<>/dev/ttyS1
echo "peer-vm: ready"
while true; do
    if read -r line <&3; then
        out=$(sh -c "ip() { /sbin/ip \"\$@\"; }; $line" 2>&1)
        rc=$?
        printf '%s\n@@done %s\n' "$out" "$rc" >&3
    fi
done
