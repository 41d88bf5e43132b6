/*
 * PID 1 of the container. It forks the workload, gives up every privilege it
 * held for setup, then only reaps children and forwards the signals the host
 * side relays, exiting with the workload's status (128+N when killed by N).
 */
#define _GNU_SOURCE
#include "child.h"
#include "privileges.h"
#include "raw_syscalls.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static const int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

/* The workload's stack until it execs. */
static char workload_stack[64 * 1024] __attribute__((aligned(16)));

static int workload_entry(void *spec) {
    nucleus_exec_workload(spec);
}

/* vfork semantics: the workload shares init's memory and init waits until it
 * execs or exits, so no page tables are copied from the large process init
 * was cloned from. Safe because the workload only makes system calls (its
 * signal handlers, fd table, cwd and credentials are its own) before execve. */
static pid_t spawn_workload(struct nucleus_spec *spec) {
    return clone(workload_entry, workload_stack + sizeof workload_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, spec);
}

/* Trace mode: no CLONE_VFORK, because the workload blocks in its first
 * syscall after the filter (execve) until the host side holds the listener,
 * and init must fetch it meanwhile. Returns the pid; *pidfd is set. */
static pid_t spawn_traced_workload(struct nucleus_spec *spec, int *pidfd) {
    return clone(workload_entry, workload_stack + sizeof workload_stack, CLONE_VM | CLONE_PIDFD | SIGCHLD, spec,
                 pidfd);
}

/* Waits for the workload to publish its listener (or to die trying), takes
 * a copy with pidfd_getfd and sends it to the host side. Needs init's
 * capabilities, so it runs before init drops them. */
static void hand_over_listener(const struct nucleus_spec *spec, int pidfd) {
    struct timespec pause = {0, 100 * 1000};
    while (nucleus_trace_listener < 0) {
        siginfo_t info;
        info.si_pid = 0;
        if (waitid((idtype_t)3 /* P_PIDFD */, (id_t)pidfd, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid)
            return;
        nanosleep(&pause, NULL);
    }
    int listener = (int)syscall(SYS_pidfd_getfd, pidfd, nucleus_trace_listener, 0);
    if (listener >= 0) {
        nucleus_send_fd(spec->trace_fd, listener);
        close(listener);
    }
}

static int exit_code_of(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return NUCLEUS_EXIT_SETUP_FAILED;
}

void nucleus_run_init(struct nucleus_spec *spec) {
    sigset_t waited;
    sigemptyset(&waited);
    sigaddset(&waited, SIGCHLD);
    for (unsigned i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++)
        sigaddset(&waited, forwarded_signals[i]);
    if (sigprocmask(SIG_BLOCK, &waited, NULL) < 0)
        nucleus_fail(spec, NUCLEUS_STEP_START_INIT, NUCLEUS_SYS_SIGPROCMASK, errno,
                     NUCLEUS_EXIT_SETUP_FAILED);

    /* Leave the caller's process group so terminal signals reach only the host
     * side, which forwards them once. With --terminal the workload takes the
     * foreground itself. */
    if (!spec->terminal) {
        if (setsid() < 0)
            nucleus_fail(spec, NUCLEUS_STEP_START_INIT, NUCLEUS_SYS_SETSID, errno,
                         NUCLEUS_EXIT_SETUP_FAILED);
    } else if (setpgid(0, 0) < 0) {
        nucleus_fail(spec, NUCLEUS_STEP_START_INIT, NUCLEUS_SYS_SETPGID, errno,
                     NUCLEUS_EXIT_SETUP_FAILED);
    }

    int pidfd = -1;
    pid_t workload = spec->trace_fd >= 0 ? spawn_traced_workload(spec, &pidfd) : spawn_workload(spec);
    if (workload < 0)
        nucleus_fail(spec, NUCLEUS_STEP_FORK_WORKLOAD, NUCLEUS_SYS_CLONE, errno,
                     NUCLEUS_EXIT_SETUP_FAILED);
    if (spec->trace_fd >= 0)
        hand_over_listener(spec, pidfd);

    /* From here on init holds nothing worth taking: no fds, no capabilities,
     * and it cannot be ptraced by the workload. A failure here is not fatal to
     * the workload, which already runs; init simply stays as it is. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    nucleus_drop_bounding_and_lock(0, 0);
    nucleus_drop_remaining_capabilities(0, 0);
    nucleus_close_range(0, ~0U, 0);

    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&waited, &info);
        if (sig < 0)
            continue;
        if (sig != SIGCHLD) {
            kill(workload, sig);
            continue;
        }
        int status;
        pid_t reaped;
        while ((reaped = waitpid(-1, &status, WNOHANG)) > 0) {
            if (reaped == workload)
                _exit(exit_code_of(status));
        }
    }
}
