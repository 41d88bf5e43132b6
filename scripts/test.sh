#!/usr/bin/env bash
# Runs every test: planner unit tests (no root needed) and integration tests
# that start real containers and look from inside. Integration tests run the
# release binary users get. Idempotent; CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

# Test-only packages: busybox-static builds a --rootfs for the rootfs test.
if [ "$(id -u)" -eq 0 ] && ! dpkg -s busybox-static >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq busybox-static
fi

scripts/build-release.sh
NUCLEUS_BINARY="$PWD/.build/release/nucleus" swift test
