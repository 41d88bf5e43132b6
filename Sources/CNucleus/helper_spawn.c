/* A helper process (slirp4netns) started in a private mount namespace.
 * slirp4netns's sandbox makes "/" private but not every mount below it, so
 * when it pivots and detaches the old root, the unmounts propagate to the
 * host's shared mounts: the named network namespaces under /run/netns
 * vanish. A child of ours that starts in its own namespace with everything
 * private cannot do that. Between clone and exec only async-signal-safe
 * system calls run. */
#define _GNU_SOURCE
#include "nucleus_net.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

pid_t nucleus_spawn_private_mounts(const char *path, char *const argv[], char *const envp[], const int *targets,
                                   const int *sources, int count) {
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0)
        return -errno;
    pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD | CLONE_NEWNS, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        int error = errno;
        close(null_fd);
        return -error;
    }
    if (pid == 0) {
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            _exit(127);
        for (int fd = 0; fd < 3; fd++)
            if (dup2(null_fd, fd) < 0)
                _exit(127);
        /* Sources lie above every target (the caller copied them there). */
        for (int i = 0; i < count; i++)
            if (dup2(sources[i], targets[i]) < 0)
                _exit(127);
        struct sigaction defaults = {.sa_handler = SIG_DFL};
        for (int signal = 1; signal < NSIG; signal++)
            if (signal != SIGKILL && signal != SIGSTOP)
                sigaction(signal, &defaults, NULL);
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, NULL);
        execve(path, argv, envp);
        _exit(127);
    }
    close(null_fd);
    return pid;
}
