/* Raw system calls the child needs and glibc 2.36 does not wrap. */
#ifndef NUCLEUS_RAW_SYSCALLS_H
#define NUCLEUS_RAW_SYSCALLS_H

#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_SIZE_VER0
struct mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};
#endif

static inline long nucleus_clone3(struct clone_args *args) {
    return syscall(SYS_clone3, args, sizeof(*args));
}

static inline int nucleus_open_tree(int dfd, const char *path, unsigned flags) {
    return (int)syscall(SYS_open_tree, dfd, path, flags);
}

static inline int nucleus_move_mount(int from_dfd, const char *from, int to_dfd, const char *to,
                                     unsigned flags) {
    return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

static inline int nucleus_mount_setattr(int dfd, const char *path, unsigned flags,
                                        struct mount_attr *attr) {
    return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, sizeof(*attr));
}

static inline int nucleus_openat2(int dirfd, const char *path, struct open_how *how) {
    return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

static inline int nucleus_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

static inline int nucleus_close_range(unsigned first, unsigned last, unsigned flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}

static inline int nucleus_capset(uint64_t permitted, uint64_t effective, uint64_t inheritable) {
    struct { uint32_t version; int pid; } header = {0x20080522, 0};
    struct { uint32_t effective, permitted, inheritable; } data[2] = {
        {(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
        {(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), (uint32_t)(inheritable >> 32)}};
    return (int)syscall(SYS_capset, &header, data);
}

static inline int nucleus_capset_zero(void) {
    /* _LINUX_CAPABILITY_VERSION_3: two 32-bit halves, all zero. */
    struct { uint32_t version; int pid; } header = {0x20080522, 0};
    struct { uint32_t effective, permitted, inheritable; } data[2] = {{0, 0, 0}, {0, 0, 0}};
    return (int)syscall(SYS_capset, &header, data);
}

#endif
