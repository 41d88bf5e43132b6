/* Writes a small seccomp BPF program (default allow; the mount family, ptrace,
 * kexec, bpf, keyctl and friends fail with EPERM) for bubblewrap's --seccomp,
 * so the cold-start comparison gives bwrap a filter to install. Bench only. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>

int main(void) {
    const char *denied[] = {"mount", "umount2", "pivot_root", "ptrace", "kexec_load", "bpf", "keyctl",
                            "add_key", "request_key", "init_module", "finit_module", "delete_module",
                            "reboot", "swapon", "swapoff", "perf_event_open", "userfaultfd", "setns"};
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        return 1;
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        int nr = seccomp_syscall_resolve_name(denied[i]);
        if (nr == __NR_SCMP_ERROR || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) < 0)
            return 1;
    }
    return seccomp_export_bpf(ctx, 1) < 0;
}
