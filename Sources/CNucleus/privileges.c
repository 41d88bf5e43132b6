#define _GNU_SOURCE
#include "privileges.h"
#include "raw_syscalls.h"

#include <errno.h>
#include <linux/securebits.h>
#include <sys/prctl.h>

/* Higher than any capability the kernel knows today; EINVAL marks the end. */
#define NUCLEUS_CAP_PROBE_LIMIT 64

int nucleus_drop_bounding_and_lock(void) {
    for (int cap = 0; cap < NUCLEUS_CAP_PROBE_LIMIT; cap++) {
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
    if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0)
        return -errno;
    return 0;
}

int nucleus_drop_remaining_capabilities(void) {
    if (nucleus_capset_zero() < 0)
        return -errno;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    return 0;
}
