/*
 * Health and readiness checks run inside the running container, never as host root: a
 * child of the host side, put in the container's cgroups, joins every namespace of the container's init
 * (setns on its pidfd), forks once more so the command is inside the pid
 * namespace too, and that grandchild becomes the workload would: rlimits,
 * identity, no capabilities, Landlock, seccomp, exec.
 */
#define _GNU_SOURCE
#include "child.h"
#include "raw_syscalls.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONTAINER_NAMESPACES                                                                                \
    (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP)

__attribute__((noreturn)) static void run_joined(const struct nucleus_spec *spec, int init_pidfd) {
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        _exit(NUCLEUS_EXIT_SETUP_FAILED);
    /* cgroup v1: into the container's cgroups first, as init did (the
     * kernel checks whoever opened the files: the host side). A check that
     * cannot join does not run outside the container's limits. */
    for (uint32_t i = 0; i < spec->n_cgroup_tasks; i++) {
        if (write(spec->cgroup_tasks[i], "0", 1) != 1)
            _exit(NUCLEUS_EXIT_SETUP_FAILED);
        close(spec->cgroup_tasks[i]);
    }
    /* The init's namespaces minus those it does not have (a host network). */
    if (setns(init_pidfd, CONTAINER_NAMESPACES) < 0 &&
        setns(init_pidfd, CONTAINER_NAMESPACES & ~CLONE_NEWNET) < 0)
        _exit(NUCLEUS_EXIT_SETUP_FAILED);
    pid_t command = fork();
    if (command == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        nucleus_exec_workload(spec);
    }
    if (command < 0)
        _exit(NUCLEUS_EXIT_SETUP_FAILED);
    int status;
    while (waitpid(command, &status, 0) < 0) {
        if (errno != EINTR)
            _exit(NUCLEUS_EXIT_SETUP_FAILED);
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* A plain child of the host side with a pidfd, in the cgroup `cgroup_fd`
 * names (v2) when it is not -1: 0 in the child. */
static long clone_with_pidfd(int *pidfd, int cgroup_fd) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)pidfd;
    args.exit_signal = SIGCHLD;
    if (cgroup_fd >= 0) {
        args.flags |= 0x200000000ULL; /* CLONE_INTO_CGROUP */
        args.cgroup = (uint64_t)cgroup_fd;
    }
    return nucleus_clone3(&args);
}

pid_t nucleus_spawn_in_container(const struct nucleus_spec *spec, int init_pidfd, int *pidfd) {
    long pid = clone_with_pidfd(pidfd, spec->cgroup_fd);
    if (pid == 0)
        run_joined(spec, init_pidfd);
    return pid < 0 ? -errno : (pid_t)pid;
}

pid_t nucleus_probe_tcp_in_container(int init_pidfd, uint16_t port, int *pidfd) {
    long pid = clone_with_pidfd(pidfd, -1);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (setns(init_pidfd, CLONE_NEWNET) < 0)
            _exit(2);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in address;
        memset(&address, 0, sizeof address);
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        _exit(fd >= 0 && connect(fd, (struct sockaddr *)&address, sizeof address) == 0 ? 0 : 1);
    }
    return pid < 0 ? -errno : (pid_t)pid;
}

/* `path`, or "@name" for the abstract namespace, as an AF_UNIX address;
 * its length, or -EINVAL when it does not fit. */
static int unix_address(const char *path, struct sockaddr_un *address) {
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    size_t length = strlen(path);
    if (length == 0 || length >= sizeof address->sun_path)
        return -EINVAL;
    memcpy(address->sun_path, path, length);
    if (address->sun_path[0] == '@')
        address->sun_path[0] = '\0';
    return (int)(offsetof(struct sockaddr_un, sun_path) + length);
}

int nucleus_sd_notify(const char *socket_path, const char *message) {
    struct sockaddr_un address;
    int length = unix_address(socket_path, &address);
    if (length < 0)
        return length;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    ssize_t sent = sendto(fd, message, strlen(message), MSG_NOSIGNAL, (struct sockaddr *)&address, (socklen_t)length);
    int rc = sent < 0 ? -errno : 0;
    close(fd);
    return rc;
}

int nucleus_notify_socket(const char *path) {
    struct sockaddr_un address;
    int length = unix_address(path, &address);
    if (length < 0)
        return length;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&address, (socklen_t)length) < 0 || chmod(path, 0777) < 0) {
        int saved = errno;
        close(fd);
        return -saved;
    }
    return fd;
}
