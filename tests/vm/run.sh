#!/usr/bin/env bash
# Proves the cgroup-v2 back-end on a real v2 kernel: boots the QEMU guest
# once and runs tests/vm/cgroup-v2.sh against the nucleus binary given (or
# .build/release/nucleus), with kernel lockdown at integrity. Part of
# scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
NUCLEUS=$(realpath "${1:-.build/release/nucleus}")
export VM_APPEND="lockdown=integrity ${VM_APPEND:-}"
exec tests/vm/boot.sh /bin/bash "$PWD/tests/vm/cgroup-v2.sh" "$NUCLEUS"
