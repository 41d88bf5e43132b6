/*
 * Paths inside the new root while it is being assembled. A volume's contents
 * are the host's, so a symlink in them must not steer a later mkdir or mount
 * out of the container: every lookup goes through openat2(RESOLVE_IN_ROOT),
 * which resolves symlinks and ".." as if the new root were "/".
 */
#define _GNU_SOURCE
#include "in_root.h"
#include "raw_syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

static int root_fd = -1;

int nucleus_open_in_root(const struct nucleus_spec *spec, const char *path, int flags) {
    if (root_fd < 0) {
        root_fd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
            return -1;
    }
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return nucleus_openat2(root_fd, path, &how);
}

int nucleus_open_parent_in_root(const struct nucleus_spec *spec, const char *path, const char **name) {
    const char *slash = strrchr(path, '/');
    if (!slash || slash[1] == '\0') {
        errno = EINVAL;
        return -1;
    }
    *name = slash + 1;
    char parent[PATH_MAX];
    size_t length = (size_t)(slash - path);
    if (length >= sizeof parent) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(parent, path, length);
    parent[length == 0 ? 1 : length] = '\0';
    if (length == 0)
        parent[0] = '/';
    return nucleus_open_in_root(spec, parent, O_PATH | O_DIRECTORY);
}

void nucleus_fd_path(int fd, char buffer[32]) {
    static const char prefix[] = "/proc/self/fd/";
    memcpy(buffer, prefix, sizeof prefix - 1);
    char digits[12];
    int count = 0;
    unsigned value = (unsigned)fd;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value && count < (int)sizeof digits);
    size_t at = sizeof prefix - 1;
    while (count)
        buffer[at++] = digits[--count];
    buffer[at] = '\0';
}
