/*
 * Health checks run inside the running container, never as host root: a
 * child of the host side joins every namespace of the container's init
 * (setns on its pidfd), forks once more so the command is inside the pid
 * namespace too, and that grandchild becomes the workload would: rlimits,
 * identity, no capabilities, Landlock, seccomp, exec.
 */
#define _GNU_SOURCE
#include "child.h"
#include "raw_syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONTAINER_NAMESPACES                                                                                \
    (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP)

__attribute__((noreturn)) static void run_joined(const struct nucleus_spec *spec, int init_pidfd) {
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        _exit(NUCLEUS_EXIT_SETUP_FAILED);
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

pid_t nucleus_spawn_in_container(const struct nucleus_spec *spec, int init_pidfd, int *pidfd) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)pidfd;
    args.exit_signal = SIGCHLD;
    long pid = nucleus_clone3(&args);
    if (pid == 0)
        run_joined(spec, init_pidfd);
    return pid < 0 ? -errno : (pid_t)pid;
}
