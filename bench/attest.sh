#!/usr/bin/env bash
# Rootfs attestation speed: a tree of 10,000 files / 500 MB (50 KiB each, 100
# directories, page cache warm), hashed in parallel with SHA-256: generating
# the manifest, and a start that verifies it, against the same start
# without verification, in one hyperfine -N run.
# Usage: bench/attest.sh [path/to/nucleus]   (root; needs hyperfine, busybox-static)
set -euo pipefail
cd "$(dirname "$0")/.."
NUCLEUS=${1:-$PWD/.build/release/nucleus}
ROOT=$(mktemp -d /var/tmp/nucleus-attest-bench.XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
chmod 755 "$ROOT"
mkdir -p "$ROOT/bin" && cp /bin/busybox "$ROOT/bin/" && ln -s busybox "$ROOT/bin/sh"
python3 - "$ROOT" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):
    os.makedirs(f"{root}/data/dir{d:03}")
    for f in range(100):
        with open(f"{root}/data/dir{d:03}/file{f:03}.bin", "wb") as out:
            out.write(os.urandom(50 * 1024))
PY
du -sh "$ROOT" >&2
"$NUCLEUS" attest generate "$ROOT"
cat "$ROOT"/data/*/* > /dev/null
hyperfine -N --warmup 2 --runs 10 --export-json "${EXPORT:-/dev/null}" \
  -n "attest generate" "$NUCLEUS attest generate $ROOT" \
  -n "run, no verification" "$NUCLEUS run --rootfs $ROOT -- /bin/sh -c :" \
  -n "run --verify-rootfs-attestation" "$NUCLEUS run --rootfs $ROOT --verify-rootfs-attestation -- /bin/sh -c :"
