/* with-fd N FILE CMD...: open FILE on descriptor N, then exec CMD. Debian 12's
 * hyperfine has no --input, and bubblewrap reads its seccomp program from a
 * descriptor; every contender in cold-start.sh runs through this launcher so
 * they all pay the same extra exec. Bench only. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: with-fd N FILE CMD...\n");
        return 2;
    }
    int wanted = atoi(argv[1]);
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0 || (fd != wanted && dup2(fd, wanted) < 0)) {
        perror(argv[2]);
        return 2;
    }
    execvp(argv[3], argv + 3);
    perror(argv[3]);
    return 127;
}
