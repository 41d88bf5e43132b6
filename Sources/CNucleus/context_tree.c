/*
 * The detached trees behind /context. Kept in C only because fsopen,
 * fsconfig, fsmount, mount_setattr and openat2 have no glibc wrappers; the
 * walking, copying and hashing happen in Swift.
 */
#define _GNU_SOURCE
#include "nucleus_spawn.h"
#include "raw_syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fs_open(const char *fstype) { return (int)syscall(SYS_fsopen, fstype, FSOPEN_CLOEXEC); }

static int fs_config(int fs, unsigned command, const char *key, const void *value, int aux) {
    return (int)syscall(SYS_fsconfig, fs, command, key, value, aux);
}

static int fs_mount(int fs, uint64_t attr_set) {
    return (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, (unsigned)attr_set);
}

/* Moves `fd` to the lowest free descriptor >= min_fd, above the ones --preserve-fds passes on. */
static int lift(int fd, int min_fd, int *failed_syscall) {
    if (fd < 0 || fd >= min_fd)
        return fd;
    int lifted = fcntl(fd, F_DUPFD_CLOEXEC, min_fd);
    int rc = lifted < 0 ? -errno : lifted;
    if (lifted < 0)
        *failed_syscall = NUCLEUS_SYS_FCNTL;
    close(fd);
    return rc;
}

/* Creates the configured superblock and mounts it detached; closes `fs`. */
static int create_and_mount(int fs, uint64_t attr_set, int min_fd, int *failed_syscall) {
    int rc = 0;
    *failed_syscall = NUCLEUS_SYS_FSCONFIG;
    if (fs_config(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        rc = -errno;
    int tree = -1;
    if (rc == 0) {
        *failed_syscall = NUCLEUS_SYS_FSMOUNT;
        tree = fs_mount(fs, attr_set);
        if (tree < 0)
            rc = -errno;
    }
    close(fs);
    return rc < 0 ? rc : lift(tree, min_fd, failed_syscall);
}

int nucleus_tmpfs_tree(uint64_t size_bytes, uint64_t inodes, int min_fd, int *failed_syscall) {
    *failed_syscall = NUCLEUS_SYS_FSOPEN;
    int fs = fs_open("tmpfs");
    if (fs < 0)
        return -errno;
    char size[32], count[32];
    snprintf(size, sizeof size, "%llu", (unsigned long long)size_bytes);
    snprintf(count, sizeof count, "%llu", (unsigned long long)inodes);
    *failed_syscall = NUCLEUS_SYS_FSCONFIG;
    if (fs_config(fs, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
        fs_config(fs, FSCONFIG_SET_STRING, "nr_inodes", count, 0) < 0 ||
        fs_config(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0) {
        int rc = -errno;
        close(fs);
        return rc;
    }
    return create_and_mount(fs, 0, min_fd, failed_syscall);
}

int nucleus_overlay_tree(int whiteouts_fd, int source_fd, uint64_t attr_set, int min_fd, int *failed_syscall) {
    *failed_syscall = NUCLEUS_SYS_FSOPEN;
    int fs = fs_open("overlay");
    if (fs < 0)
        return -errno;
    *failed_syscall = NUCLEUS_SYS_FSCONFIG;
    if (fs_config(fs, FSCONFIG_SET_FD, "lowerdir+", NULL, whiteouts_fd) < 0 ||
        fs_config(fs, FSCONFIG_SET_FD, "lowerdir+", NULL, source_fd) < 0) {
        int rc = -errno;
        close(fs);
        return rc;
    }
    return create_and_mount(fs, attr_set, min_fd, failed_syscall);
}

int nucleus_seal_tree(int tree_fd, uint64_t attr_set) {
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = attr_set;
    attr.propagation = MS_PRIVATE;
    return nucleus_mount_setattr(tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0 ? -errno : 0;
}

int nucleus_open_beneath(int dirfd, const char *path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    return nucleus_openat2(dirfd, path, &how);
}
