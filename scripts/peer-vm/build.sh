#!/usr/bin/env bash
# Builds the peer VM used by the interop tests: a Debian cloud kernel (which,
# unlike this host's, has bonding and macsec) and an initramfs of
# busybox-static, iproute2's ip, wpa_supplicant, teamd/teamdctl and the modules
# they need.
# Everything comes from Debian's archive: the kernel and busybox-static are
# fetched with `apt-get download` and unpacked with `dpkg -x` into the cache
# folder (nothing is installed on the host for them); ip, wpa_supplicant and
# teamd are the host's own Debian binaries (scripts/setup.sh installs them), copied
# with the libraries ldd finds. Built once and reused.
#
#   scripts/peer-vm/build.sh [CACHE_DIR]      (default build/peer-vm)
# Prints the cache folder; it holds vmlinuz and base.cpio.gz.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=$(realpath -m "${1:-$here/../../build/peer-vm}")
mkdir -p "$cache/debs"

if [[ -f $cache/base.cpio.gz && -f $cache/vmlinuz && $cache/base.cpio.gz -nt $here/init.sh &&
      $cache/base.cpio.gz -nt $here/build.sh ]]; then
    echo "$cache"
    exit 0
fi

for t in qemu-system-x86_64 cpio depmod modprobe ip wpa_supplicant wpa_cli teamd teamdctl; do
    command -v "$t" >/dev/null || { echo "peer-vm: $t is missing; run scripts/setup.sh" >&2; exit 1; }
done

cd "$cache/debs"
kpkg=$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n1)
[[ -n $kpkg ]] || { echo "peer-vm: cannot resolve linux-image-cloud-amd64 (apt-get update?)" >&2; exit 1; }
for p in "$kpkg" busybox-static; do
    ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download "$p" >/dev/null 2>&1 \
        || { echo "peer-vm: apt-get download $p failed" >&2; exit 1; }
done
rm -rf "$cache/root" && mkdir -p "$cache/root"
for d in "${kpkg}"_*.deb busybox-static_*.deb; do dpkg -x "$d" "$cache/root"; done
kver=${kpkg#linux-image-}
depmod -b "$cache/root" "$kver"
cp "$cache/root/boot/vmlinuz-$kver" "$cache/vmlinuz"

rd=$cache/initramfs
rm -rf "$rd" && mkdir -p "$rd"/{bin,sbin,lib/modules,proc,sys,dev,run,tmp,etc,test,var/run}
cp "$cache/root/bin/busybox" "$rd/bin/busybox"

# Modules in dependency order (modprobe resolves it against the unpacked tree).
: >"$rd/lib/modules/load-order"
# gcm, ctr and ghash: macsec's SAs need the kernel's gcm(aes) AEAD (ENOENT without).
# team + team_mode_loadbalance: teamd's lacp runner (a LAG over macsec devices).
for m in virtio_pci virtio_net bonding macsec af_packet gcm ctr ghash_generic team team_mode_loadbalance; do
    modprobe -d "$cache/root" -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1=="insmod"{print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
    cp "$ko" "$rd/lib/modules/"
    basename "$ko" >>"$rd/lib/modules/load-order"
done
for ko in bonding.ko team.ko team_mode_loadbalance.ko; do
    grep -q "^$ko\$" "$rd/lib/modules/load-order" || { echo "peer-vm: $ko not found" >&2; exit 1; }
done

copy_bin() { # binary -> initramfs, with its libraries
    local bin=$1 dest=$2
    cp "$bin" "$rd/$dest"
    ldd "$bin" | awk '/=>/{print $3} /^\t\/lib/{print $1}' | while read -r lib; do
        [[ -f $lib ]] || continue
        mkdir -p "$rd/$(dirname "$lib")"
        cp -L "$lib" "$rd/$lib"
    done
}
copy_bin "$(command -v ip)" sbin/ip
copy_bin "$(command -v wpa_supplicant)" sbin/wpa_supplicant
copy_bin "$(command -v wpa_cli)" sbin/wpa_cli
copy_bin "$(command -v teamd)" sbin/teamd
copy_bin "$(command -v teamdctl)" sbin/teamdctl
mkdir -p "$rd/lib64" && cp -L /lib64/ld-linux-x86-64.so.2 "$rd/lib64/"
cp "$here/init.sh" "$rd/init" && chmod +x "$rd/init"

(cd "$rd" && find . | cpio -o -H newc --quiet | gzip -1) >"$cache/base.cpio.gz"
echo "$cache"
