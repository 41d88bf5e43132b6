/* libseccomp (Debian's libseccomp-dev), with its function-like macros as
 * functions Swift can call. */
#ifndef NUCLEUS_SECCOMP_SHIM_H
#define NUCLEUS_SECCOMP_SHIM_H

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline uint32_t nucleus_scmp_act_errno(uint16_t code) { return SCMP_ACT_ERRNO(code); }
static inline uint32_t nucleus_scmp_act_allow(void) { return SCMP_ACT_ALLOW; }
static inline uint32_t nucleus_scmp_act_log(void) { return SCMP_ACT_LOG; }
static inline uint32_t nucleus_scmp_act_notify(void) { return SCMP_ACT_NOTIFY; }
static inline uint32_t nucleus_scmp_act_kill_process(void) { return SCMP_ACT_KILL_PROCESS; }
static inline uint32_t nucleus_scmp_act_kill_thread(void) { return SCMP_ACT_KILL_THREAD; }
static inline uint32_t nucleus_scmp_act_trap(void) { return SCMP_ACT_TRAP; }
static inline int nucleus_scmp_error(void) { return __NR_SCMP_ERROR; }

/* The compiled filter as BPF in malloc'd memory (*out, *length bytes; free
 * it). libseccomp only exports to a descriptor, so through a memfd. 0 or -errno. */
static inline int nucleus_seccomp_export(scmp_filter_ctx ctx, uint8_t **out, size_t *length) {
    int fd = (int)syscall(SYS_memfd_create, "nucleus-seccomp", 1u /* MFD_CLOEXEC */);
    if (fd < 0)
        return -errno;
    int rc = seccomp_export_bpf(ctx, fd);
    off_t size = rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
    uint8_t *bytes = size > 0 ? malloc((size_t)size) : NULL;
    if (rc == 0 && (!bytes || pread(fd, bytes, (size_t)size, 0) != size))
        rc = -EIO;
    close(fd);
    if (rc < 0) {
        free(bytes);
        return rc;
    }
    *out = bytes;
    *length = (size_t)size;
    return 0;
}

#endif
