#!/usr/bin/env bash
# Cold start of `nucleus run` against bubblewrap and crun doing comparable
# work, in one hyperfine -N run, plus the host-side RSS while a workload runs.
# Usage: bench/cold-start.sh [path/to/nucleus]   (root; needs bwrap, crun, hyperfine, libseccomp-dev)
set -euo pipefail
cd "$(dirname "$0")/.."
NUCLEUS=$(realpath "${1:-.build/release/nucleus}")  # the benchmark runs from a scratch directory
WORK=$(mktemp -d /tmp/nucleus-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# bubblewrap: the same namespaces, a read-only root, no capabilities, a seccomp filter (fd 10).
gcc -O2 -o "$WORK/bwrap-seccomp" bench/bwrap-seccomp.c -lseccomp
gcc -O2 -static -o "$WORK/with-fd" bench/with-fd.c
"$WORK/bwrap-seccomp" > "$WORK/filter.bpf"
BWRAP="bwrap --unshare-all --die-with-parent --new-session --ro-bind /usr /usr --symlink usr/bin /bin \
--symlink usr/sbin /sbin --symlink usr/lib /lib --symlink usr/lib64 /lib64 --proc /proc --dev /dev \
--tmpfs /tmp --remount-ro / --cap-drop ALL --seccomp 10"

# crun: an OCI bundle with the same namespaces (user included), read-only root and /usr, no capabilities.
mkdir -p "$WORK/bundle/rootfs"/{usr,proc,dev,tmp}
for link in bin sbin lib lib64; do ln -s "usr/$link" "$WORK/bundle/rootfs/$link"; done
python3 - "$WORK/bundle/config.json" <<'PY'
import json, sys
ns = [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount", "cgroup", "user")]
idmap = [{"containerID": 0, "hostID": 100000, "size": 65536}]
config = {
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["/bin/true"],
                "env": ["PATH=/usr/bin:/bin"], "cwd": "/", "noNewPrivileges": True,
                "capabilities": {k: [] for k in ("bounding", "effective", "inheritable", "permitted", "ambient")}},
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "crun",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec"]},
        {"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro", "nosuid", "nodev"]},
    ],
    "linux": {"namespaces": ns, "uidMappings": idmap, "gidMappings": idmap,
              "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list"],
              "readonlyPaths": ["/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq"]},
}
json.dump(config, open(sys.argv[1], "w"), indent=1)
PY

echo "## cold start: $(date -u +%Y-%m-%d) $(uname -r), $(nproc) cores"
echo "nucleus: $("$NUCLEUS" --version) ($NUCLEUS)"
# crun refuses hybrid cgroup hosts: run everything in a private mount namespace
# where the cgroup2 mount is hidden, and tell crun not to manage cgroups.
unshare -m --propagation private bash -c '
    if [ -d /sys/fs/cgroup/unified ]; then mount -t tmpfs none /sys/fs/cgroup/unified; fi
    cd "$0"
    for workload in "/bin/true" "/bin/sh -c :"; do
        sed -i "s|\"args\": \[.*\]|\"args\": [$(printf "\"%s\"," $workload | sed "s/,$//")]|" bundle/config.json
        fd="./with-fd 10 filter.bpf"
        hyperfine -N --warmup 20 --runs 300 --style none --export-json result.json \
            -n "nucleus: $workload" "$fd $1 run -- $workload" \
            -n "bwrap: $workload" "$fd $2 $workload" \
            -n "crun: $workload" "$fd crun --cgroup-manager=disabled run --bundle bundle bench-$$" \
            -n "bare: $workload" "$fd $workload"
        python3 "$3" result.json
    done
' "$WORK" "$NUCLEUS" "$BWRAP" "$PWD/bench/summarize-hyperfine.py"

# Host-side memory while a workload runs.
"$NUCLEUS" run -- /bin/sh -c 'sleep 1' &
pid=$!
sleep 0.5
echo "host-side nucleus while the workload runs: $(grep -E '^VmRSS' /proc/$pid/status)"
grep -E '^(Rss|Pss|Private_Dirty|Private_Clean|Shared_Clean)' /proc/$pid/smaps_rollup
wait
