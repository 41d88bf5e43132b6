/*
 * clone3 into the new namespaces and the first moments of the child:
 * wait for the id maps, become root of the user namespace, then hand over
 * to the op walker and the init loop.
 */
#define _GNU_SOURCE
#include "child.h"
#include "raw_syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void nucleus_fail(const struct nucleus_spec *spec, int32_t step, int32_t syscall_id, int err,
                  int code) {
    struct nucleus_child_error record = {step, syscall_id, err};
    ssize_t n;
    do {
        n = write(spec->error_fd, &record, sizeof record);
    } while (n < 0 && errno == EINTR);
    _exit(code);
}

/* Credentials change through raw system calls: glibc's wrappers would try to
 * broadcast the change to the parent's threads, which do not exist here. */
static void become_namespace_root(const struct nucleus_spec *spec) {
    if (syscall(SYS_setresgid, 0, 0, 0) < 0)
        nucleus_fail(spec, NUCLEUS_STEP_BECOME_ROOT, NUCLEUS_SYS_SETRESGID, errno,
                     NUCLEUS_EXIT_SETUP_FAILED);
    if (spec->setgroups_allowed && syscall(SYS_setgroups, 0, NULL) < 0)
        nucleus_fail(spec, NUCLEUS_STEP_BECOME_ROOT, NUCLEUS_SYS_SETGROUPS, errno,
                     NUCLEUS_EXIT_SETUP_FAILED);
    if (syscall(SYS_setresuid, 0, 0, 0) < 0)
        nucleus_fail(spec, NUCLEUS_STEP_BECOME_ROOT, NUCLEUS_SYS_SETRESUID, errno,
                     NUCLEUS_EXIT_SETUP_FAILED);
    /* The id change made us non-dumpable, which hands our /proc/self files to
     * host root; setup needs them (timens_offsets). init turns it off again. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
        nucleus_fail(spec, NUCLEUS_STEP_BECOME_ROOT, NUCLEUS_SYS_PRCTL, errno,
                     NUCLEUS_EXIT_SETUP_FAILED);
}

/* Die with the parent. Set after the credential change, which clears it. */
static void tie_to_parent(const struct nucleus_spec *spec) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        nucleus_fail(spec, NUCLEUS_STEP_BECOME_ROOT, NUCLEUS_SYS_PRCTL, errno,
                     NUCLEUS_EXIT_SETUP_FAILED);
    /* The parent may have died before the prctl: its end of the sync socket is then closed. */
    struct pollfd p = {.fd = spec->sync_fd, .events = POLLIN};
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
        _exit(NUCLEUS_EXIT_SETUP_FAILED);
}

__attribute__((noreturn)) static void child_main(struct nucleus_spec *spec) {
    /* A new user namespace grants every capability in it even before the maps
     * exist, which is all the hostname and loopback need. */
    uint32_t next = nucleus_apply_ops_before_maps(spec);
    char byte;
    ssize_t n;
    do {
        n = read(spec->sync_fd, &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) /* the parent gave up before releasing us; it reports why */
        _exit(NUCLEUS_EXIT_SETUP_FAILED);

    umask(022);
    become_namespace_root(spec);
    tie_to_parent(spec);
    nucleus_apply_ops(spec, next);
    nucleus_run_init(spec);
}

/* Move fd to a number at or above `min` so it cannot land among preserved fds. */
static int lift_fd(int fd, int min) {
    if (fd >= min)
        return fd;
    int lifted = fcntl(fd, F_DUPFD_CLOEXEC, min);
    int saved = errno;
    close(fd);
    errno = saved;
    return lifted;
}

pid_t nucleus_spawn(struct nucleus_spec *spec, int *pidfd, int *sync_write_fd,
                    int *error_read_fd) {
    /* sync is a socket pair, not a pipe: the join-cgroup step receives
     * descriptors on it. */
    int sync_pair[2], error_pipe[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync_pair) < 0)
        return -errno;
    if (pipe2(error_pipe, O_CLOEXEC) < 0) {
        int saved = errno;
        close(sync_pair[0]);
        close(sync_pair[1]);
        return -saved;
    }
    int min = 3 + (spec->preserve_fds > 0 ? spec->preserve_fds : 0);
    sync_pair[0] = lift_fd(sync_pair[0], min);
    error_pipe[1] = lift_fd(error_pipe[1], min);
    if (sync_pair[0] < 0 || error_pipe[1] < 0) {
        int saved = errno;
        if (sync_pair[0] >= 0) close(sync_pair[0]);
        if (error_pipe[1] >= 0) close(error_pipe[1]);
        close(sync_pair[1]);
        close(error_pipe[0]);
        return -saved;
    }
    spec->sync_fd = sync_pair[0];
    spec->error_fd = error_pipe[1];

    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = spec->clone_flags | CLONE_PIDFD;
    if (spec->cgroup_fd >= 0) {
        args.flags |= 0x200000000ULL; /* CLONE_INTO_CGROUP */
        args.cgroup = (uint64_t)spec->cgroup_fd;
    }
    args.pidfd = (uint64_t)(uintptr_t)pidfd;
    args.exit_signal = SIGCHLD;

    long pid = nucleus_clone3(&args);
    if (pid == 0) {
        close(sync_pair[1]);
        close(error_pipe[0]);
        child_main(spec);
    }
    int saved = errno;
    close(sync_pair[0]);
    close(error_pipe[1]);
    if (pid < 0) {
        close(sync_pair[1]);
        close(error_pipe[0]);
        return -saved;
    }
    *sync_write_fd = sync_pair[1];
    *error_read_fd = error_pipe[0];
    return (pid_t)pid;
}

int nucleus_send_fds(int sync_write_fd, const int *fds, uint32_t count) {
    if (count == 0 || count > NUCLEUS_MAX_CGROUP_HIERARCHIES)
        return -EINVAL;
    char byte = 1;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        char buffer[CMSG_SPACE(NUCLEUS_MAX_CGROUP_HIERARCHIES * sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = CMSG_SPACE(count * sizeof(int))};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(count * sizeof(int));
    memcpy(CMSG_DATA(header), fds, count * sizeof(int));
    ssize_t sent;
    do {
        sent = sendmsg(sync_write_fd, &message, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent == 1 ? 0 : -errno;
}

int nucleus_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int nucleus_wait_pidfd(int pidfd, int *status_code, int *signaled) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int rc;
    do {
        rc = waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0)
        return -errno;
    *signaled = (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED);
    *status_code = info.si_status;
    return 0;
}
