#!/usr/bin/env bash
# Cold-start cost of the default seccomp allowlist + Landlock rules: nucleus
# against a build from before they existed (same code otherwise), in one
# hyperfine -N run. The baseline is built from commit 0c88ac5 when not given.
# Usage: bench/policy-cost.sh [path/to/nucleus] [path/to/baseline-nucleus]   (root; needs hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
NUCLEUS=${1:-$PWD/.build/release/nucleus}
BASELINE=${2:-}
if [ -z "$BASELINE" ]; then
    WORKTREE=$(mktemp -d /tmp/nucleus-baseline.XXXXXX)
    trap 'git worktree remove --force "$WORKTREE"' EXIT
    git worktree add -q "$WORKTREE" 0c88ac5
    (cd "$WORKTREE" && scripts/build-release.sh >/dev/null)
    BASELINE=$WORKTREE/.build/release/nucleus
fi

hyperfine -N --warmup 20 --runs 300 --export-json "${EXPORT:-/dev/null}" \
  -n "without seccomp/Landlock (0c88ac5)" "$BASELINE run -- /bin/true" \
  -n "with the default seccomp + Landlock" "$NUCLEUS run -- /bin/true"
