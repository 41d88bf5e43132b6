#!/usr/bin/env bash
# Installs nucleus on a fresh Debian 12 machine and runs a first sandbox.
# Idempotent: run it again to rebuild and reinstall.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (it installs packages and /usr/local/bin/nucleus)" >&2
    exit 1
fi

# Swift toolchains are not packaged by Debian; nucleus expects one at /opt/swift
# (or already on PATH).
export PATH="$PATH:/opt/swift/usr/bin"
if ! command -v swift >/dev/null; then
    echo "install.sh: no Swift toolchain found: unpack Swift 6.x for Debian 12 into /opt/swift" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
packages=(build-essential libseccomp-dev libcap-dev util-linux busybox-static bubblewrap crun hyperfine
    nftables libnftables1 slirp4netns iproute2 iperf3)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}"
fi

scripts/build-release.sh
install -m 0755 .build/release/nucleus /usr/local/bin/nucleus

nucleus --version
nucleus run -- /bin/sh -c 'echo hello from $(hostname)'
