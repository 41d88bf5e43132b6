#!/bin/bash
# The resource tests (and kernel lockdown) on a pure cgroup-v2 kernel, run inside the QEMU guest by
# tests/vm/run.sh: one "ok"/"not ok" line per check, exit 1 if any failed.
# Checks behaviour and settings, never timings (TCG is 10-50x slower).
#   cgroup-v2.sh /path/to/nucleus
NUCLEUS=$1
# Landlock is ABI 2 in this guest: accept it as degraded (agent mode) so
# stderr carries only what the checks look at.
failed=0
check() {  # check NAME CONDITION-EXIT-STATUS DETAIL
    if [ "$2" -eq 0 ]; then echo "ok - $1"; else echo "not ok - $1: $3"; failed=1; fi
}
leftovers() { ls -d /sys/fs/cgroup/nucleus-* 2>/dev/null | wc -l; }
work=$(mktemp -d)

grep -q memory /sys/fs/cgroup/cgroup.controllers
check "the guest runs a pure cgroup v2 hierarchy" $? "$(cat /sys/fs/cgroup/cgroup.controllers)"

"$NUCLEUS" run --allow-degraded-security --dry-run -- /bin/true > "$work/plan" 2>&1
grep -q "cgroup v2 child of /sys/fs/cgroup" "$work/plan"
check "the plan names the v2 back-end" $? "$(grep cgroups "$work/plan")"

grep -q "degraded  landlock .*ABI 2.*no TCP rules (ABI 4)" "$work/plan" && "$NUCLEUS" run --allow-degraded-security -- /bin/sh -c 'touch /tmp/ok'
check "an older Landlock ABI is degraded feature by feature, and runs" $? "$(grep landlock "$work/plan")"

out=$("$NUCLEUS" run --allow-degraded-security -- /bin/cat /proc/self/cgroup 2>&1)
[ "$out" = "0::/" ]
check "inside, /proc/self/cgroup shows /" $? "$out"

out=$("$NUCLEUS" run --allow-degraded-security --memory 32M --pids 20 --cpus 0.5 --cpu-weight 200 -- /bin/sh -c \
    'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.high /sys/fs/cgroup/memory.swap.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu.weight; echo 1 > /sys/fs/cgroup/pids.max' 2>&1)
# memory.high is 90% of memory.max, rounded down to whole pages by the kernel.
expected="33554432
30195712
0
20
50000 100000
200"
case "$out" in "$expected"*"Read-only file system"*) true ;; *) false ;; esac
check "limits are written and visible read-only at /sys/fs/cgroup" $? "$out"

"$NUCLEUS" run --allow-degraded-security --memory 32M -- /bin/sh -c 'head -c 200M /dev/zero | tail -c 150M > /dev/null' 2> "$work/oom"
status=$?
[ $status -eq 137 ] && grep -q "out of memory (limit 32M)" "$work/oom"
check "exceeding --memory is an OOM kill, exit 137, named as such" $? "status $status: $(cat "$work/oom")"

fixtures=$(dirname "$0")/../../Tests/NucleusIntegrationTests/Fixtures
out=$("$NUCLEUS" run --allow-degraded-security --pids 8 -- /usr/bin/python3 -c "$(cat "$fixtures/fork-until-refused.py")" 2>&1)
[ "$out" = "fork failed: EAGAIN" ]
check "fork fails with EAGAIN past --pids" $? "$out"

out=$("$NUCLEUS" run --allow-degraded-security --memory 64M --health-cmd 'cat /proc/self/cgroup > /tmp/hc' \
    --health-interval 0.2 --health-start-period 60 -- /bin/sh -c \
    'for i in $(seq 150); do [ -s /tmp/hc ] && break; sleep 0.2; done; cat /tmp/hc' 2>/dev/null)
[ "$out" = "0::/" ]
check "health checks run in the container's cgroup (CLONE_INTO_CGROUP)" $? "$out"

"$NUCLEUS" run --allow-degraded-security --memory 64M --stats-json "$work/stats.json" -- /bin/sh -c 'head -c 10M /dev/zero | tail -c 8M > /dev/null'
grep -q '"cgroup_version": "v2"' "$work/stats.json" && grep -q '"memory_peak_bytes": [1-9]' "$work/stats.json" &&
    grep -q '"cpu_seconds": [0-9]' "$work/stats.json"
check "--stats-json reads the v2 counters" $? "$(cat "$work/stats.json")"

"$NUCLEUS" run --allow-degraded-security --memory 64M -- /bin/sh -c 'sleep 30 & kill -9 $$'
status=$?
[ $status -eq 137 ] && [ "$(leftovers)" -eq 0 ] && ! pgrep -f "sleep 30" > /dev/null
check "a killed workload leaves no cgroup and no process (cgroup.kill)" $? "status $status, $(leftovers) cgroups"

"$NUCLEUS" run --allow-degraded-security --memory 64M -- /bin/sh -c 'sleep 31' &
nucleus=$!
sleep 3
kill -9 $nucleus; wait $nucleus 2>/dev/null
sleep 1
! pgrep -f "sleep 31" > /dev/null
check "a SIGKILLed nucleus leaves no process" $? "$(pgrep -af 'sleep 31')"
"$NUCLEUS" run --allow-degraded-security -- /bin/true
[ "$(leftovers)" -eq 0 ]
check "its cgroup is swept by the next start" $? "$(leftovers) left"

out=$("$NUCLEUS" run --allow-degraded-security --require-kernel-lockdown integrity -- /bin/echo ran 2>&1)
[ "$out" = "ran" ]
check "--require-kernel-lockdown integrity runs on a kernel booted with lockdown=integrity" $? "$out"
out=$("$NUCLEUS" run --allow-degraded-security --require-kernel-lockdown confidentiality -- /bin/echo ran 2>&1)
[ "$out" = "nucleus: error: --require-kernel-lockdown confidentiality: this kernel's lockdown is integrity" ]
check "--require-kernel-lockdown confidentiality is refused there" $? "$out"

for i in $(seq 10); do "$NUCLEUS" run --allow-degraded-security --memory 64M --pids 16 -- /bin/true || break; done
[ "$(leftovers)" -eq 0 ]
check "repeated runs leave the cgroup tree as it was" $? "$(leftovers) left"

rm -rf "$work"
exit $failed
