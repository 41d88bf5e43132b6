/* What attaching a seccomp program costs the kernel: each of N fresh
 * children sets no_new_privs and times one seccomp(SECCOMP_SET_MODE_FILTER)
 * of the program in FILE (raw sock_filter instructions, as nucleus caches
 * them in /run/nucleus/seccomp). Bench only.
 * Build: gcc -O2 -o seccomp-attach bench/seccomp-attach.c
 * Usage: seccomp-attach FILE [N]   (default N = 300) */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: seccomp-attach FILE [N]\n");
        return 2;
    }
    static unsigned char program[1 << 20];
    FILE *file = fopen(argv[1], "rb");
    if (!file) {
        perror(argv[1]);
        return 1;
    }
    size_t length = fread(program, 1, sizeof program, file);
    fclose(file);
    struct sock_fprog filter = {.len = (unsigned short)(length / 8), .filter = (struct sock_filter *)program};
    int runs = argc > 2 ? atoi(argv[2]) : 300;
    double total = 0;
    for (int i = 0; i < runs; i++) {
        int report[2];
        if (pipe(report) < 0)
            return 1;
        pid_t child = fork();
        if (child == 0) {
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            double start = now_us();
            long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter);
            double elapsed = now_us() - start;
            if (rc != 0 || write(report[1], &elapsed, sizeof elapsed) != sizeof elapsed)
                _exit(1);
            _exit(0);
        }
        double elapsed = 0;
        if (read(report[0], &elapsed, sizeof elapsed) != sizeof elapsed) {
            fprintf(stderr, "seccomp-attach: the child could not attach %s\n", argv[1]);
            return 1;
        }
        close(report[0]);
        close(report[1]);
        waitpid(child, NULL, 0);
        total += elapsed;
    }
    printf("%s: %zu instructions, attach %.1f us on average over %d children\n", argv[1], length / 8, total / runs, runs);
    return 0;
}
