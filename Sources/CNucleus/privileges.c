#define _GNU_SOURCE
#include "privileges.h"
#include "raw_syscalls.h"

#include <errno.h>
#include <linux/securebits.h>
#include <sys/prctl.h>

/* Higher than any capability the kernel knows today; EINVAL marks the end. */
#define NUCLEUS_CAP_PROBE_LIMIT 64

int nucleus_drop_bounding_and_lock(uint64_t keep_bounding, int keep_ambient) {
    for (int cap = 0; cap < NUCLEUS_CAP_PROBE_LIMIT; cap++) {
        if (keep_bounding & (1ull << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL)
                break;
            return -errno;
        }
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
        return -errno;
    unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
                         SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                         SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    /* Keeping capabilities: permitted survives the uid switch (KEEP_CAPS,
     * cleared again by exec), and ambient may still be raised. */
    if (keep_ambient)
        bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS;
    if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
        return -errno;
    return 0;
}

int nucleus_drop_remaining_capabilities(uint64_t keep, uint64_t inheritable) {
    if (keep == 0 && inheritable == 0) {
        if (nucleus_capset_zero() < 0)
            return -errno;
    } else {
        if (nucleus_capset(keep, keep, inheritable) < 0)
            return -errno;
        for (int cap = 0; cap < NUCLEUS_CAP_PROBE_LIMIT; cap++) {
            if ((keep & (1ull << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                return -errno;
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    return 0;
}
