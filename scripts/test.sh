#!/usr/bin/env bash
# Runs every test: planner unit tests (no root needed) and integration tests
# that start real containers and look from inside. Integration tests run the
# release binary users get. Idempotent; CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

# Build and test packages: libseccomp-dev links into nucleus; busybox-static
# builds a --rootfs; gcc compiles the syscall probe; the seccomp corpus runs
# bash, tar, python3, git, make and strace inside the sandbox.
# qemu and the Debian kernel boot the cgroup-v2 guest of tests/vm.
# Bridge networking: libnftables1 (nftables) for rules, slirp4netns for the
# userspace back-end, iproute2 for the tests' private namespaces, iptables
# to build Docker's and legacy firewall layouts in them.
packages=(libseccomp-dev build-essential busybox-static strace python3 git make tar qemu-system-x86 linux-image-amd64
    nftables libnftables1 slirp4netns iproute2 iptables)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "$(id -u)" -eq 0 ] && [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}"
fi

scripts/build-release.sh
NUCLEUS_BINARY="$PWD/.build/release/nucleus" swift test
# Random faults over 100 sandboxes, then the host must be exactly as before.
python3 tests/soak/soak.py --runs 100 .build/release/nucleus
# Every parser under libFuzzer, 30 s each, from the committed corpus.
scripts/fuzz.sh 30
# This host's cgroups are hybrid (v1): the v2 back-end is proven in a QEMU guest.
tests/vm/run.sh .build/release/nucleus
