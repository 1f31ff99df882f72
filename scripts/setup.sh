#!/usr/bin/env bash
# Installs every build and test dependency of dpdk-lag from Debian 12's archive.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config clang lld libclang-rt-14-dev
  dpdk dpdk-dev libdpdk-dev libipsec-mb-dev libpcap-dev libnuma-dev
  libfmt-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  libtomlplusplus-dev libcli11-dev libedit-dev nlohmann-json3-dev
  iproute2 iputils-ping tshark python3 python3-scapy python3-cryptography
  iperf3 ethtool tmux valgrind gnuplot-nox
  qemu-system-x86 wpasupplicant libteam-utils kmod cpio
  scdoc libsystemd-dev systemd debhelper dpkg-dev prometheus
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup.sh: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
