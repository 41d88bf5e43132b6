#!/usr/bin/env bash
# --context copy speed: a tree of 10,000 files / 200 MB (20 KiB each, 100
# directories, on the disk /var/tmp lives on, page cache warm) copied into the
# container's tmpfs, against the same start without a context, in one
# hyperfine -N run. The copy is parallel sendfile into a detached tmpfs built
# before clone (ParallelWork.threads threads).
# Usage: bench/context-copy.sh [path/to/nucleus]   (root; needs hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
NUCLEUS=${1:-$PWD/.build/release/nucleus}
TREE=$(mktemp -d /var/tmp/nucleus-context-bench.XXXXXX)
trap 'rm -rf "$TREE"' EXIT

python3 - "$TREE" <<'PY'
import os, sys
root = sys.argv[1]
block = os.urandom(20 * 1024)
for d in range(100):
    os.makedirs(f"{root}/dir{d:03}")
    for f in range(100):
        with open(f"{root}/dir{d:03}/file{f:03}.txt", "wb") as out:
            out.write(block)
PY
du -sh "$TREE" >&2
cat "$TREE"/*/* > /dev/null

hyperfine -N --warmup 3 --runs 20 --export-json "${EXPORT:-/dev/null}" \
  -n "no context" "$NUCLEUS run -- /bin/true" \
  -n "copy 10k files / 200 MB" "$NUCLEUS run --context $TREE -- /bin/true" \
  -n "bind view" "$NUCLEUS run --context $TREE --context-mode bind -- /bin/true" \
  -n "copy + verify (SHA-256)" "$NUCLEUS run --context $TREE --verify-context-integrity -- /bin/true"
