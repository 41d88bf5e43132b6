#!/usr/bin/env bash
# Cold start with resource limits against the default start. On a v1/hybrid
# host the default uses no cgroup (the pid limit is RLIMIT_NPROC), so this
# measures creating, joining and removing the memory, cpu and pids cgroups.
# 1. hyperfine -N, both commands in one run, ROUNDS times (default 10) with
#    RUNS starts of each (default 60), the order of the two commands swapped
#    every round: the machine's load drifts over a few seconds as much as
#    the cost being measured, so one long run lands anywhere between +0 and
#    +1.5 ms. Prints each round's difference of medians and their median.
#    Each command runs back to back within a round, so the limited start
#    pays for the kernel's deferred teardown of the previous one's cgroups
#    (memcg offlining, RCU frees).
# 2. the same two commands alternated start by start, 300 pairs: drift
#    cancels out, and so does the deferred teardown (it lands on both
#    commands alike): this is the cost of the start itself.
# Usage: bench/cgroup-cost.sh [path/to/nucleus]   (root; needs hyperfine, python3)
# EXPORT=DIR keeps each round's hyperfine JSON there.
set -euo pipefail
cd "$(dirname "$0")/.."
NUCLEUS=$(realpath "${1:-.build/release/nucleus}")
ROUNDS=${ROUNDS:-10}
RUNS=${RUNS:-60}
EXPORT=${EXPORT:-$(mktemp -d)}
mkdir -p "$EXPORT"
default="$NUCLEUS run -- /bin/true"
limited="$NUCLEUS run --memory 256M --pids 128 --cpus 1 -- /bin/true"
for round in $(seq "$ROUNDS"); do
    if ((round % 2)); then first=("default" "$default" "limited" "$limited"); else first=("limited" "$limited" "default" "$default"); fi
    hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$EXPORT/round-$round.json" \
        -n "${first[0]}" "${first[1]}" -n "${first[2]}" "${first[3]}" >/dev/null
done
python3 - "$EXPORT" "$ROUNDS" <<'PY'
import json, statistics, sys
rounds = []
for n in range(1, int(sys.argv[2]) + 1):
    medians = {r["command"]: r["median"] * 1000 for r in json.load(open(f"{sys.argv[1]}/round-{n}.json"))["results"]}
    rounds.append((medians["default"], medians["limited"]))
    print(f"hyperfine round {n}: default {medians['default']:.2f} ms, limited {medians['limited']:.2f} ms, "
          f"difference {medians['limited'] - medians['default']:+.2f} ms")
differences = sorted(b - a for a, b in rounds)
print(f"hyperfine, {len(rounds)} rounds: median difference {statistics.median(differences):+.2f} ms "
      f"(range {differences[0]:+.2f} to {differences[-1]:+.2f})")
PY
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
