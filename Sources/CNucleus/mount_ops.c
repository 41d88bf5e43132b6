/*
 * The op walker: executes the plan's setup steps in order. Every failure
 * names the op index and the system call, so the parent can print the
 * path from the plan.
 */
#define _GNU_SOURCE
#include "child.h"
#include "in_root.h"
#include "raw_syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define SKIPPED_SOURCE (-2)

/* Fails unless the op is optional and the error is "does not exist"; returns 1 to skip. */
static int fail_or_skip(const struct nucleus_spec *spec, uint32_t index, int32_t syscall_id,
                        int err) {
    const struct nucleus_op *op = &spec->ops[index];
    if ((op->flags & NUCLEUS_OP_OPTIONAL) && err == ENOENT)
        return 1;
    nucleus_fail(spec, (int32_t)index, syscall_id, err, NUCLEUS_EXIT_SETUP_FAILED);
}

/* Bind sources are opened before the first mount, which may shadow them. */
static void preopen_sources(struct nucleus_spec *spec) {
    for (uint32_t i = 0; i < spec->n_ops; i++) {
        struct nucleus_op *op = &spec->ops[i];
        if (!(op->flags & NUCLEUS_OP_PREOPEN))
            continue;
        op->source_fd = open(op->source, O_PATH | O_CLOEXEC);
        if (op->source_fd < 0 && fail_or_skip(spec, i, NUCLEUS_SYS_OPEN, errno))
            op->source_fd = SKIPPED_SOURCE;
    }
}

static void do_bind(const struct nucleus_spec *spec, uint32_t i) {
    const struct nucleus_op *op = &spec->ops[i];
    /* A source inside the new root (a /proc mask, a read-only self-bind) takes
     * the classic bind: one mount(2), plus a remount when attributes are
     * asked. The detached-tree path below costs ~45 us a step on /proc. */
    if (!(op->flags & (NUCLEUS_OP_PREOPEN | NUCLEUS_OP_DETACHED_TREE))) {
        unsigned long rec = (op->flags & NUCLEUS_OP_RECURSIVE) ? MS_REC : 0;
        const char *source = op->source, *target = op->target;
        char source_path[32], fd_path[32];
        int source_fd = -1, fd = -1;
        if (op->flags & NUCLEUS_OP_IN_ROOT) {
            /* Both ends resolve inside the new root: either may lie in host content. */
            if ((source_fd = nucleus_open_in_root(spec, op->source, O_PATH)) < 0)
                fail_or_skip(spec, i, NUCLEUS_SYS_OPENAT2, errno);
            if (source_fd < 0)
                return;
            nucleus_fd_path(source_fd, source_path);
            source = source_path;
            if ((fd = nucleus_open_in_root(spec, op->target, O_PATH)) < 0)
                nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_OPENAT2, errno, NUCLEUS_EXIT_SETUP_FAILED);
            nucleus_fd_path(fd, fd_path);
            target = fd_path;
        }
        int mounted = mount(source, target, NULL, MS_BIND | rec, NULL);
        int err = errno;
        if (source_fd >= 0)
            close(source_fd);
        if (mounted < 0) {
            fail_or_skip(spec, i, NUCLEUS_SYS_MOUNT, err);
            if (fd >= 0)
                close(fd);
            return;
        }
        if (fd >= 0) {
            /* The old descriptor names the mount point underneath; the remount
             * needs the new mount, so resolve the path again. */
            close(fd);
            if ((fd = nucleus_open_in_root(spec, op->target, O_PATH)) < 0)
                nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_OPENAT2, errno, NUCLEUS_EXIT_SETUP_FAILED);
            nucleus_fd_path(fd, fd_path);
        }
        if (op->attr_set && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | op->attr_set, NULL) < 0)
            nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_MOUNT, errno, NUCLEUS_EXIT_SETUP_FAILED);
        if (fd >= 0)
            close(fd);
        return;
    }
    int dirfd = AT_FDCWD;
    const char *path = op->source;
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
    if (op->flags & NUCLEUS_OP_PREOPEN) {
        if (op->source_fd == SKIPPED_SOURCE)
            return;
        dirfd = op->source_fd;
        path = "";
        flags |= AT_EMPTY_PATH;
    }
    int recursive = (op->flags & NUCLEUS_OP_RECURSIVE) != 0;
    if (recursive)
        flags |= AT_RECURSIVE;
    int tree;
    if (op->flags & NUCLEUS_OP_DETACHED_TREE) {
        tree = op->source_fd; /* built by the host side, attributes and idmap set */
    } else {
        tree = nucleus_open_tree(dirfd, path, flags);
        if (tree < 0) {
            fail_or_skip(spec, i, NUCLEUS_SYS_OPEN_TREE, errno);
            return;
        }
        struct mount_attr attr;
        memset(&attr, 0, sizeof attr);
        attr.attr_set = op->attr_set;
        attr.propagation = MS_PRIVATE;
        if (nucleus_mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr) < 0)
            nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_MOUNT_SETATTR, errno, NUCLEUS_EXIT_SETUP_FAILED);
    }
    if (op->flags & NUCLEUS_OP_IN_ROOT) {
        int target = nucleus_open_in_root(spec, op->target, O_PATH);
        if (target < 0)
            nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_OPENAT2, errno, NUCLEUS_EXIT_SETUP_FAILED);
        if (nucleus_move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_MOVE_MOUNT, errno, NUCLEUS_EXIT_SETUP_FAILED);
        close(target);
    } else if (nucleus_move_mount(tree, "", AT_FDCWD, op->target, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
        fail_or_skip(spec, i, NUCLEUS_SYS_MOVE_MOUNT, errno);
    }
    close(tree);
    if (op->flags & NUCLEUS_OP_PREOPEN)
        close(op->source_fd);
}

/* cgroup v1: the host side creates our cgroups while we build the mounts
 * before this step, then sends each hierarchy's `tasks` file. We move
 * ourselves by writing "0" to each (the kernel checks the credentials of
 * whoever opened it: the host side). A pid written to cgroup.procs takes the
 * kernel's threadgroup lock and waits out an RCU grace period, ~0.4 ms per
 * hierarchy; a task moving its own single thread skips both. Once we are in
 * our cgroups, the new cgroup namespace is rooted there and
 * /proc/self/cgroup shows "/". */
static void do_join_cgroup(const struct nucleus_spec *spec, uint32_t i) {
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        char buffer[CMSG_SPACE(NUCLEUS_MAX_CGROUP_HIERARCHIES * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = sizeof control.buffer};
    ssize_t n;
    do {
        n = recvmsg(spec->sync_fd, &message, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n != 1) /* the host side gave up; it reports why */
        _exit(NUCLEUS_EXIT_SETUP_FAILED);
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    int fds[NUCLEUS_MAX_CGROUP_HIERARCHIES];
    uint32_t count = 0;
    if (header && header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
        count = (uint32_t)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(fds, CMSG_DATA(header), count * sizeof(int));
    }
    if (count != spec->cgroup_hierarchies || (message.msg_flags & MSG_CTRUNC))
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_RECVMSG, EPROTO, NUCLEUS_EXIT_SETUP_FAILED);
    for (uint32_t k = 0; k < count; k++) {
        if (write(fds[k], "0", 1) != 1)
            nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_WRITE, errno, NUCLEUS_EXIT_SETUP_FAILED);
        close(fds[k]);
    }
    if (unshare(CLONE_NEWCGROUP) < 0)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_UNSHARE, errno, NUCLEUS_EXIT_SETUP_FAILED);
}

/* Production: the host side reads /proc/<pid>/mountinfo while we wait, and
 * lets us go on only if every mount carries the flags the plan gave it. */
static void do_audit_point(const struct nucleus_spec *spec, uint32_t i) {
    struct nucleus_child_error ready = {(int32_t)i, NUCLEUS_SYS_NONE, 0};
    if (write(spec->error_fd, &ready, sizeof ready) != (ssize_t)sizeof ready)
        _exit(NUCLEUS_EXIT_SETUP_FAILED);
    char byte;
    ssize_t n;
    do {
        n = read(spec->sync_fd, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) /* the audit failed; the host side reports it */
        _exit(NUCLEUS_EXIT_SETUP_FAILED);
}

static void do_mount(const struct nucleus_spec *spec, uint32_t i) {
    const struct nucleus_op *op = &spec->ops[i];
    const char *target = op->target;
    char fd_path[32];
    int fd = -1;
    if (op->flags & NUCLEUS_OP_IN_ROOT) {
        if ((fd = nucleus_open_in_root(spec, op->target, O_PATH)) < 0)
            nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_OPENAT2, errno, NUCLEUS_EXIT_SETUP_FAILED);
        nucleus_fd_path(fd, fd_path);
        target = fd_path;
    }
    if (mount(op->source, target, op->fstype, (unsigned long)op->mount_flags, op->data) < 0)
        fail_or_skip(spec, i, NUCLEUS_SYS_MOUNT, errno);
    if (fd >= 0)
        close(fd);
}

/* An existing entry is fine (a shared parent, a mount point the rootfs has). */
static void do_mkdir(const struct nucleus_spec *spec, uint32_t i) {
    const struct nucleus_op *op = &spec->ops[i];
    if (!(op->flags & NUCLEUS_OP_IN_ROOT)) {
        if (mkdir(op->target, op->mode) < 0 && errno != EEXIST)
            fail_or_skip(spec, i, NUCLEUS_SYS_MKDIR, errno);
        return;
    }
    const char *name;
    int parent = nucleus_open_parent_in_root(spec, op->target, &name);
    if (parent < 0)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_OPENAT2, errno, NUCLEUS_EXIT_SETUP_FAILED);
    if (mkdirat(parent, name, op->mode) < 0 && errno != EEXIST)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_MKDIR, errno, NUCLEUS_EXIT_SETUP_FAILED);
    close(parent);
}

static void do_setattr(const struct nucleus_spec *spec, uint32_t i) {
    const struct nucleus_op *op = &spec->ops[i];
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = op->attr_set;
    unsigned flags = (op->flags & NUCLEUS_OP_RECURSIVE) ? AT_RECURSIVE : 0;
    if (nucleus_mount_setattr(AT_FDCWD, op->target, flags, &attr) < 0)
        fail_or_skip(spec, i, NUCLEUS_SYS_MOUNT_SETATTR, errno);
}

static void do_write_file(const struct nucleus_spec *spec, uint32_t i) {
    const struct nucleus_op *op = &spec->ops[i];
    int dirfd = AT_FDCWD;
    const char *name = op->target;
    if ((op->flags & NUCLEUS_OP_IN_ROOT) && (dirfd = nucleus_open_parent_in_root(spec, op->target, &name)) < 0)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_OPENAT2, errno, NUCLEUS_EXIT_SETUP_FAILED);
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, op->mode);
    if (dirfd >= 0)
        close(dirfd);
    if (fd < 0)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_OPEN, errno, NUCLEUS_EXIT_SETUP_FAILED);
    uint64_t done = 0;
    while (done < op->data_len) {
        ssize_t n = write(fd, op->data + done, op->data_len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_WRITE, n < 0 ? errno : EIO,
                         NUCLEUS_EXIT_SETUP_FAILED);
        done += (uint64_t)n;
    }
    if ((op->flags & NUCLEUS_OP_SECRET) && fchown(fd, op->owner_uid, op->owner_gid) < 0)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_FCHOWN, errno, NUCLEUS_EXIT_SETUP_FAILED);
    close(fd);
    /* Our copy-on-write copy of the bytes would otherwise live as long as init. */
    if (op->flags & NUCLEUS_OP_SECRET)
        explicit_bzero((void *)op->data, op->data_len);
}

/* An injected fault here fails pivot_root itself, so the chroot fallback runs for real. */
static void do_pivot_root(const struct nucleus_spec *spec, uint32_t i, int inject_fault) {
    const struct nucleus_op *op = &spec->ops[i];
    if (chdir(op->target) < 0)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_CHDIR, errno, NUCLEUS_EXIT_SETUP_FAILED);
    /* pivot_root(".", ".") stacks the old root on top of the new one; detaching
     * "." afterwards removes it without needing a put_old directory. */
    if (inject_fault || nucleus_pivot_root(".", ".") < 0) {
        int err = inject_fault ? EIO : errno;
        if (!(op->flags & NUCLEUS_OP_CHROOT_FALLBACK))
            nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_PIVOT_ROOT, err, NUCLEUS_EXIT_SETUP_FAILED);
        if (chroot(".") < 0)
            nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_CHROOT, errno, NUCLEUS_EXIT_SETUP_FAILED);
    } else if (umount2(".", MNT_DETACH) < 0) {
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_UMOUNT2, errno, NUCLEUS_EXIT_SETUP_FAILED);
    }
    if (chdir("/") < 0)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_CHDIR, errno, NUCLEUS_EXIT_SETUP_FAILED);
}

static void do_loopback_up(const struct nucleus_spec *spec, uint32_t i) {
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_SOCKET, errno, NUCLEUS_EXIT_SETUP_FAILED);
    struct ifreq request;
    memset(&request, 0, sizeof request);
    memcpy(request.ifr_name, "lo", 3);
    if (ioctl(sock, SIOCGIFFLAGS, &request) < 0)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_IOCTL, errno, NUCLEUS_EXIT_SETUP_FAILED);
    request.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &request) < 0)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_IOCTL, errno, NUCLEUS_EXIT_SETUP_FAILED);
    close(sock);
}

/* Offsets can only be written while no process is in the new time namespace:
 * unshare makes it the namespace of our future children (the workload). */
static void do_time_offsets(const struct nucleus_spec *spec, uint32_t i) {
    const struct nucleus_op *op = &spec->ops[i];
    if (unshare(CLONE_NEWTIME) < 0)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_UNSHARE, errno, NUCLEUS_EXIT_SETUP_FAILED);
    if (op->data_len == 0)
        return;
    int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_OPEN, errno, NUCLEUS_EXIT_SETUP_FAILED);
    if (write(fd, op->data, op->data_len) != (ssize_t)op->data_len)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_WRITE, errno, NUCLEUS_EXIT_SETUP_FAILED);
    close(fd);
}

static void apply_op(struct nucleus_spec *spec, uint32_t i);

uint32_t nucleus_apply_ops_before_maps(struct nucleus_spec *spec) {
    uint32_t i = 0;
    while (i < spec->n_ops &&
           (spec->ops[i].kind == NUCLEUS_OP_SETHOSTNAME || spec->ops[i].kind == NUCLEUS_OP_LOOPBACK_UP))
        apply_op(spec, i++);
    return i;
}

void nucleus_apply_ops(struct nucleus_spec *spec, uint32_t first) {
    preopen_sources(spec);
    for (uint32_t i = first; i < spec->n_ops; i++)
        apply_op(spec, i);
}

static void apply_op(struct nucleus_spec *spec, uint32_t i) {
    const struct nucleus_op *op = &spec->ops[i];
    if ((int32_t)i == spec->skip_step)
        return;
    int inject_fault = (int32_t)i == spec->fault_step;
    if (inject_fault && op->kind != NUCLEUS_OP_PIVOT_ROOT)
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_FAULT_INJECTED, EIO, NUCLEUS_EXIT_SETUP_FAILED);
    switch (op->kind) {
    case NUCLEUS_OP_MOUNT:
        do_mount(spec, i);
        break;
    case NUCLEUS_OP_BIND:
        do_bind(spec, i);
        break;
    case NUCLEUS_OP_SETATTR:
        do_setattr(spec, i);
        break;
    case NUCLEUS_OP_MKDIR:
        do_mkdir(spec, i);
        break;
    case NUCLEUS_OP_WRITE_FILE:
        do_write_file(spec, i);
        break;
    case NUCLEUS_OP_SYMLINK:
        if (symlink(op->source, op->target) < 0)
            fail_or_skip(spec, i, NUCLEUS_SYS_SYMLINK, errno);
        break;
    case NUCLEUS_OP_PIVOT_ROOT:
        do_pivot_root(spec, i, inject_fault);
        break;
    case NUCLEUS_OP_SETHOSTNAME:
        if (sethostname(op->data, op->data_len) < 0)
            nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_SETHOSTNAME, errno,
                         NUCLEUS_EXIT_SETUP_FAILED);
        break;
    case NUCLEUS_OP_LOOPBACK_UP:
        do_loopback_up(spec, i);
        break;
    case NUCLEUS_OP_TIME_OFFSETS:
        do_time_offsets(spec, i);
        break;
    case NUCLEUS_OP_JOIN_CGROUP:
        do_join_cgroup(spec, i);
        break;
    case NUCLEUS_OP_AUDIT_POINT:
        do_audit_point(spec, i);
        break;
    default:
        nucleus_fail(spec, (int32_t)i, NUCLEUS_SYS_NONE, EINVAL, NUCLEUS_EXIT_SETUP_FAILED);
    }
}
