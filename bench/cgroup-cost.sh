#!/usr/bin/env bash
# Cold start with resource limits against the default start, in one
# hyperfine -N run. On a v1/hybrid host the default uses no cgroup (the pid
# limit is RLIMIT_NPROC), so this measures creating, joining and removing
# the memory, cpu and pids cgroups.
# Usage: bench/cgroup-cost.sh [path/to/nucleus]   (root; needs hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
NUCLEUS=${1:-$PWD/.build/release/nucleus}
hyperfine -N --warmup 20 --runs 300 --export-json "${EXPORT:-/dev/null}" \
  -n "default" "$NUCLEUS run -- /bin/true" \
  -n "memory 256M, pids 128, cpus 1" "$NUCLEUS run --memory 256M --pids 128 --cpus 1 -- /bin/true"
