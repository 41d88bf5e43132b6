#!/usr/bin/env bash
# Cold start with resource limits against the default start. On a v1/hybrid
# host the default uses no cgroup (the pid limit is RLIMIT_NPROC), so this
# measures creating, joining and removing the memory, cpu and pids cgroups.
# 1. hyperfine -N, both commands in one run (all of one, then all of the
#    other: the memcg offlining the kernel defers lands on the later runs of
#    the limited command, but so does any drift in the machine's load).
# 2. the same two commands alternated start by start, 300 pairs: drift
#    cancels out; prints the difference of the medians and the median of
#    the per-pair differences.
# Usage: bench/cgroup-cost.sh [path/to/nucleus]   (root; needs hyperfine, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
NUCLEUS=$(realpath "${1:-.build/release/nucleus}")
hyperfine -N --warmup 20 --runs 300 --export-json "${EXPORT:-/dev/null}" \
  -n "default" "$NUCLEUS run -- /bin/true" \
  -n "memory 256M, pids 128, cpus 1" "$NUCLEUS run --memory 256M --pids 128 --cpus 1 -- /bin/true"
python3 - "$NUCLEUS" <<'PY'
import statistics, subprocess, sys, time
default = [sys.argv[1], "run", "--", "/bin/true"]
limited = [sys.argv[1], "run", "--memory", "256M", "--pids", "128", "--cpus", "1", "--", "/bin/true"]
times = {0: [], 1: []}
for i in range(320):
    for which in ((0, 1) if i % 2 == 0 else (1, 0)):
        start = time.perf_counter()
        subprocess.run(default if which == 0 else limited, check=True)
        if i >= 20:
            times[which].append((time.perf_counter() - start) * 1000)
a, b = statistics.median(times[0]), statistics.median(times[1])
pairs = statistics.median(y - x for x, y in zip(times[0], times[1]))
print(f"alternated: default {a:.2f} ms, limited {b:.2f} ms, difference of medians {b - a:.2f} ms, "
      f"median pair difference {pairs:.2f} ms")
PY
