/*
 * Reads /sys/kernel/security/lockdown for the planner. securityfs is often
 * not mounted on the host, and nucleus must not mount anything there; a
 * short-lived child in a private mount namespace mounts it for itself. A
 * child, because a multi-threaded process cannot unshare its mount namespace.
 */
#define _GNU_SOURCE
#include "nucleus_spawn.h"
#include "raw_syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOCKDOWN "/sys/kernel/security/lockdown"

static int read_into(const char *path, char *buffer, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buffer, size - 1);
    int rc = n < 0 ? -errno : (int)n;
    close(fd);
    if (n >= 0)
        buffer[n] = '\0';
    return rc;
}

int nucleus_read_lockdown(char *buffer, size_t size) {
    if (read_into(LOCKDOWN, buffer, size) >= 0)
        return 0;
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) < 0)
        return -errno;
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_NEWNS;
    args.exit_signal = SIGCHLD;
    long pid = nucleus_clone3(&args);
    if (pid == 0) {
        char text[128];
        close(pipe_fds[0]);
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("securityfs", "/sys/kernel/security", "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
            _exit(1);
        int n = read_into(LOCKDOWN, text, sizeof text);
        if (n > 0 && write(pipe_fds[1], text, (size_t)n) != n)
            _exit(1);
        _exit(n > 0 ? 0 : 1);
    }
    close(pipe_fds[1]);
    if (pid < 0) {
        int saved = errno;
        close(pipe_fds[0]);
        return -saved;
    }
    ssize_t n = read(pipe_fds[0], buffer, size - 1);
    close(pipe_fds[0]);
    int status = 0;
    waitpid((pid_t)pid, &status, 0);
    if (n <= 0)
        return -ENOENT;
    buffer[n] = '\0';
    return 0;
}
