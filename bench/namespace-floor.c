/* The floor under any runtime that creates these namespaces: average cost of
 * clone3 with user, pid, mount, net, uts, ipc and cgroup namespaces from a tiny
 * C process. Bench only: gcc -O2 -o /tmp/floor bench/namespace-floor.c && sudo /tmp/floor */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static long now(void){struct timespec t; clock_gettime(CLOCK_MONOTONIC,&t); return t.tv_sec*1000000L+t.tv_nsec/1000;}
int main(void) {
    long total = 0; int n = 200;
    for (int i = 0; i < n; i++) {
        struct clone_args a; memset(&a, 0, sizeof a);
        a.flags = CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWNET|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWCGROUP; a.exit_signal = SIGCHLD;
        long t0 = now();
        long pid = syscall(SYS_clone3, &a, sizeof a);
        if (pid == 0) _exit(0);
        total += now() - t0;
        waitpid(pid, NULL, 0);
    }
    printf("clone3 with 7 namespaces from a small C process: %ld us average\n", total / n);
}
