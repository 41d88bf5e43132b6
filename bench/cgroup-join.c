/*
 * What joining a cgroup v1 hierarchy costs, two ways: the parent writes the
 * child's pid to cgroup.procs (the kernel takes the threadgroup rwsem for
 * writing and waits out an RCU grace period), or the child writes "0" to a
 * `tasks` file the parent opened (moving its own single thread, no such lock).
 *
 * Usage: cgroup-join PARENT_CGROUP_DIRECTORY RUNS   (root)
 *   gcc -O2 -o /tmp/cgroup-join bench/cgroup-join.c
 *   /tmp/cgroup-join /sys/fs/cgroup/pids 100
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* One child joins a fresh cgroup; returns the join's duration in µs. */
static double join_once(const char *parent, int index, int by_itself) {
    char directory[512], file[600];
    snprintf(directory, sizeof directory, "%s/cgroup-join-%d-%d", parent, getpid(), index);
    if (mkdir(directory, 0755) < 0) {
        perror(directory);
        exit(1);
    }
    snprintf(file, sizeof file, "%s/%s", directory, by_itself ? "tasks" : "cgroup.procs");
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    int go[2], report[2];
    if (fd < 0 || pipe(go) < 0 || pipe(report) < 0) {
        perror(file);
        exit(1);
    }
    pid_t pid = fork();
    if (pid == 0) {
        char byte;
        if (read(go[0], &byte, 1) != 1)
            _exit(1);
        if (by_itself) {
            double start = now_us();
            if (write(fd, "0", 1) != 1)
                _exit(2);
            double took = now_us() - start;
            if (write(report[1], &took, sizeof took) != sizeof took)
                _exit(3);
        }
        _exit(0);
    }
    double took = 0;
    if (by_itself) {
        if (write(go[1], "x", 1) != 1 || read(report[0], &took, sizeof took) != sizeof took)
            exit(1);
    } else {
        char text[32];
        int length = snprintf(text, sizeof text, "%d", pid);
        double start = now_us();
        if (write(fd, text, (size_t)length) != length)
            perror("cgroup.procs");
        took = now_us() - start;
        if (write(go[1], "x", 1) != 1)
            exit(1);
    }
    int status;
    waitpid(pid, &status, 0);
    close(fd);
    close(go[0]);
    close(go[1]);
    close(report[0]);
    close(report[1]);
    rmdir(directory);
    return took;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s PARENT_CGROUP_DIRECTORY RUNS\n", argv[0]);
        return 2;
    }
    int runs = atoi(argv[2]);
    for (int by_itself = 0; by_itself <= 1; by_itself++) {
        double total = 0;
        for (int i = 0; i < runs; i++)
            total += join_once(argv[1], i, by_itself);
        printf("%-40s mean %.1f us over %d joins\n",
               by_itself ? "child writes 0 to tasks:" : "parent writes pid to cgroup.procs:", total / runs, runs);
    }
    return 0;
}
