/*
 * Secret files for --secret, read by the host side just before clone into
 * plain malloc'd memory (never a Swift string, which could be copied where we
 * cannot wipe it) and wiped as soon as the child has its own copy.
 */
#define _GNU_SOURCE
#include "nucleus_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int nucleus_read_secret(const char *path, char **bytes, uint64_t *length, int *failed_syscall) {
    *bytes = NULL;
    *length = 0;
    *failed_syscall = NUCLEUS_SYS_OPEN;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat info;
    int err = fstat(fd, &info) < 0 ? errno : (S_ISREG(info.st_mode) ? 0 : EINVAL);
    if (err) {
        close(fd);
        return -err;
    }
    size_t capacity = (size_t)info.st_size + 1;
    char *buffer = malloc(capacity);
    size_t used = 0;
    *failed_syscall = NUCLEUS_SYS_READ_SECRET;
    while (buffer) {
        if (used == capacity) {
            char *grown = malloc(capacity * 2);
            if (grown)
                memcpy(grown, buffer, used);
            explicit_bzero(buffer, used);
            free(buffer);
            buffer = grown;
            capacity *= 2;
            continue;
        }
        ssize_t n = read(fd, buffer + used, capacity - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            nucleus_wipe_secret(buffer, used);
            close(fd);
            return -err;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    if (!buffer)
        return -ENOMEM;
    *bytes = buffer;
    *length = used;
    return 0;
}

void nucleus_wipe_secret(char *bytes, uint64_t length) {
    if (!bytes)
        return;
    explicit_bzero(bytes, length);
    free(bytes);
}
