/*
 * Idmapped volume trees, built by the host-side process before clone: only a
 * process privileged over the filesystem's user namespace (host root) may
 * idmap an ext4 or xfs mount, and the container's child is not. The child
 * then only attaches the finished tree with move_mount.
 */
#define _GNU_SOURCE
#include "nucleus_spawn.h"
#include "raw_syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t length = (ssize_t)strlen(text);
    int rc = write(fd, text, (size_t)length) == length ? 0 : -errno;
    close(fd);
    return rc;
}

/* A user namespace mapping exactly `uid_inside -> uid_outside` and
 * `gid_inside -> gid_outside`, held open by fd. A short-lived child owns it
 * while the maps are written; it does nothing but wait and exit. */
static int make_userns(uint32_t uid_inside, uint32_t uid_outside, uint32_t gid_inside, uint32_t gid_outside) {
    int hold[2];
    if (pipe2(hold, O_CLOEXEC) < 0)
        return -errno;
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_NEWUSER;
    args.exit_signal = SIGCHLD;
    long pid = nucleus_clone3(&args);
    if (pid == 0) {
        char byte;
        close(hold[1]);
        while (read(hold[0], &byte, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
    }
    int rc = pid < 0 ? -errno : 0;
    close(hold[0]);
    char path[64], line[64];
    if (rc == 0) {
        snprintf(path, sizeof path, "/proc/%ld/uid_map", pid);
        snprintf(line, sizeof line, "%u %u 1\n", uid_inside, uid_outside);
        rc = write_file(path, line);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "/proc/%ld/gid_map", pid);
        snprintf(line, sizeof line, "%u %u 1\n", gid_inside, gid_outside);
        rc = write_file(path, line);
    }
    int userns = -1;
    if (rc == 0) {
        snprintf(path, sizeof path, "/proc/%ld/ns/user", pid);
        userns = open(path, O_RDONLY | O_CLOEXEC);
        if (userns < 0)
            rc = -errno;
    }
    close(hold[1]);
    if (pid > 0)
        waitpid((pid_t)pid, NULL, 0);
    return rc < 0 ? rc : userns;
}

int nucleus_idmapped_tree(const char *source, uint64_t attr_set, uint32_t disk_uid, uint32_t host_uid,
                          uint32_t disk_gid, uint32_t host_gid, int min_fd, int *failed_syscall) {
    *failed_syscall = NUCLEUS_SYS_CLONE;
    int userns = make_userns(disk_uid, host_uid, disk_gid, host_gid);
    if (userns < 0)
        return userns;
    *failed_syscall = NUCLEUS_SYS_OPEN_TREE;
    int tree = nucleus_open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    int rc = tree < 0 ? -errno : 0;
    if (rc == 0) {
        struct mount_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.attr_set = attr_set | MOUNT_ATTR_IDMAP;
        attr.userns_fd = (uint64_t)userns;
        attr.propagation = MS_PRIVATE;
        *failed_syscall = NUCLEUS_SYS_MOUNT_SETATTR;
        if (nucleus_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
            rc = -errno;
    }
    if (rc == 0 && tree < min_fd) {
        *failed_syscall = NUCLEUS_SYS_FCNTL;
        int lifted = fcntl(tree, F_DUPFD_CLOEXEC, min_fd);
        rc = lifted < 0 ? -errno : 0;
        close(tree);
        tree = lifted;
    }
    close(userns);
    if (rc < 0) {
        if (tree >= 0)
            close(tree);
        return rc;
    }
    return tree;
}
