/*
 * The forked workload: take its identity, shed every capability, close what
 * it must not inherit, and exec. Exec failures map to 127 (not found) and
 * 126 (not executable), the Docker/podman convention.
 */
#define _GNU_SOURCE
#include "child.h"
#include "privileges.h"
#include "raw_syscalls.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void fail_setup(const struct nucleus_spec *spec, int32_t step, int32_t syscall_id, int err) {
    nucleus_fail(spec, step, syscall_id, err, NUCLEUS_EXIT_SETUP_FAILED);
}

/* Every signal back to its default action. The raw system call, because glibc's
 * sigaction refuses the two real-time signals it reserves (32 and 33), and a
 * caller may have left those ignored too. */
static void reset_signal_dispositions(void) {
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } dfl = {SIG_DFL, 0, NULL, 0};
    for (int sig = 1; sig <= 64; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP)
            syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
    }
}

/* With --terminal the workload becomes the terminal's foreground job. */
static void take_terminal_foreground(const struct nucleus_spec *spec) {
    if (setpgid(0, 0) < 0)
        fail_setup(spec, NUCLEUS_STEP_SESSION, NUCLEUS_SYS_SETPGID, errno);
    if (!isatty(STDIN_FILENO))
        return;
    sigset_t ttou, previous;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, &previous);
    if (tcsetpgrp(STDIN_FILENO, getpid()) < 0)
        fail_setup(spec, NUCLEUS_STEP_SESSION, NUCLEUS_SYS_TCSETPGRP, errno);
    sigprocmask(SIG_SETMASK, &previous, NULL);
}

/* Lowering limits needs no privilege; they hold for everything the workload starts. */
static void apply_rlimits(const struct nucleus_spec *spec) {
    for (uint32_t i = 0; i < spec->n_rlimits; i++) {
        struct {
            uint64_t soft, hard;
        } limit = {spec->rlimits[i].soft, spec->rlimits[i].hard};
        if (syscall(SYS_prlimit64, 0, spec->rlimits[i].resource, &limit, NULL) < 0)
            fail_setup(spec, NUCLEUS_STEP_RLIMITS, NUCLEUS_SYS_PRLIMIT, errno);
    }
}

static void switch_identity(const struct nucleus_spec *spec) {
    int rc = nucleus_drop_bounding_and_lock(spec->caps_bounding, spec->caps_ambient != 0);
    if (rc < 0)
        fail_setup(spec, NUCLEUS_STEP_CAPABILITIES, NUCLEUS_SYS_PRCTL, -rc);
    if (spec->setgroups_allowed && syscall(SYS_setgroups, (size_t)spec->n_groups, spec->groups) < 0)
        fail_setup(spec, NUCLEUS_STEP_IDENTITY, NUCLEUS_SYS_SETGROUPS, errno);
    if (syscall(SYS_setresgid, spec->gid, spec->gid, spec->gid) < 0)
        fail_setup(spec, NUCLEUS_STEP_IDENTITY, NUCLEUS_SYS_SETRESGID, errno);
    if (syscall(SYS_setresuid, spec->uid, spec->uid, spec->uid) < 0)
        fail_setup(spec, NUCLEUS_STEP_IDENTITY, NUCLEUS_SYS_SETRESUID, errno);
    rc = nucleus_drop_remaining_capabilities(spec->caps_ambient, spec->caps_inheritable);
    if (rc < 0)
        fail_setup(spec, NUCLEUS_STEP_CAPABILITIES, NUCLEUS_SYS_CAPSET, -rc);
}

/* Everything above the preserved range becomes close-on-exec, our error pipe included. */
/* Inherited descriptors stay open (close-on-exec) until exec, so a workdir
 * of /proc/self/fd/N, or a symlink to it in the root, could land the
 * workload in a host directory (CVE-2024-21626). The kernel's getcwd names
 * such a directory "(unreachable)...": refuse it. */
static void require_workdir_inside_root(const struct nucleus_spec *spec) {
    char cwd[PATH_MAX];
    if (syscall(SYS_getcwd, cwd, sizeof cwd) < 0)
        fail_setup(spec, NUCLEUS_STEP_WORKDIR, NUCLEUS_SYS_GETCWD, errno);
    if (cwd[0] != '/')
        fail_setup(spec, NUCLEUS_STEP_WORKDIR, NUCLEUS_SYS_GETCWD, EXDEV);
}

static void prepare_fds(const struct nucleus_spec *spec) {
    unsigned first_closed = 3u + (unsigned)(spec->preserve_fds > 0 ? spec->preserve_fds : 0);
    if (nucleus_close_range(first_closed, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        fail_setup(spec, NUCLEUS_STEP_FDS, NUCLEUS_SYS_CLOSE_RANGE, errno);
    for (int fd = 3; fd < (int)first_closed; fd++) {
        if (fcntl(fd, F_SETFD, 0) < 0)
            fail_setup(spec, NUCLEUS_STEP_FDS, NUCLEUS_SYS_FCNTL, errno);
    }
}

__attribute__((noreturn)) static void fail_exec(const struct nucleus_spec *spec, int err) {
    int code = (err == ENOENT || err == ENOTDIR) ? NUCLEUS_EXIT_NOT_FOUND : NUCLEUS_EXIT_NOT_EXECUTABLE;
    nucleus_fail(spec, NUCLEUS_STEP_EXEC, NUCLEUS_SYS_EXECVE, err, code);
}

volatile int nucleus_trace_listener = -1;

/* Last before exec: every later syscall of ours (only execve) and all of the
 * workload's go through it. In trace mode the listener fd is published for
 * init with a plain store: any syscall now would wait for a supervisor that
 * does not have the listener yet. */
static void install_seccomp(const struct nucleus_spec *spec) {
    if (!spec->seccomp_filter)
        return;
    struct sock_fprog program = {
        .len = (unsigned short)spec->seccomp_instructions,
        .filter = (struct sock_filter *)spec->seccomp_filter,
    };
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, spec->seccomp_flags, &program);
    if (rc < 0)
        fail_setup(spec, NUCLEUS_STEP_SECCOMP, NUCLEUS_SYS_SECCOMP, errno);
    if (spec->seccomp_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
        nucleus_trace_listener = (int)rc;
}

/* execvpe without the allocation and the ENOEXEC-means-/bin/sh fallback. */
__attribute__((noreturn)) static void exec_command(const struct nucleus_spec *spec) {
    const char *file = spec->argv[0];
    char *const *argv = (char *const *)spec->argv;
    char *const *envp = (char *const *)spec->envp;
    if (strchr(file, '/')) {
        execve(file, argv, envp);
        fail_exec(spec, errno);
    }
    size_t file_len = strlen(file);
    int saw_eacces = 0;
    const char *dir = spec->search_path;
    char candidate[PATH_MAX];
    while (*dir) {
        const char *end = strchr(dir, ':');
        size_t dir_len = end ? (size_t)(end - dir) : strlen(dir);
        if (dir_len + 1 + file_len + 1 <= sizeof candidate) {
            size_t used = 0;
            if (dir_len == 0) {
                candidate[used++] = '.';
            } else {
                memcpy(candidate, dir, dir_len);
                used = dir_len;
            }
            candidate[used++] = '/';
            memcpy(candidate + used, file, file_len + 1);
            execve(candidate, argv, envp);
            if (errno == EACCES)
                saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR)
                fail_exec(spec, errno);
        }
        if (!end)
            break;
        dir = end + 1;
    }
    fail_exec(spec, saw_eacces ? EACCES : ENOENT);
}

void nucleus_exec_workload(const struct nucleus_spec *spec) {
    reset_signal_dispositions();
    if (spec->terminal)
        take_terminal_foreground(spec);
    apply_rlimits(spec);
    switch_identity(spec);
    /* After the switch, so the workload's own permissions decide. */
    if (chdir(spec->workdir) < 0)
        fail_setup(spec, NUCLEUS_STEP_WORKDIR, NUCLEUS_SYS_CHDIR, errno);
    require_workdir_inside_root(spec);
    prepare_fds(spec);
    /* Like posix_spawn with SETSIGDEF and an empty SETSIGMASK: whatever the
     * caller blocked or ignored is not the workload's business. */
    sigset_t empty;
    sigemptyset(&empty);
    if (sigprocmask(SIG_SETMASK, &empty, NULL) < 0)
        fail_setup(spec, NUCLEUS_STEP_EXEC, NUCLEUS_SYS_SIGPROCMASK, errno);
    nucleus_apply_landlock(spec);
    install_seccomp(spec);
    exec_command(spec);
}
