#ifndef NUCLEUS_IN_ROOT_H
#define NUCLEUS_IN_ROOT_H

#include "nucleus_spawn.h"

/* An fd for container path `path` inside the new root, opened with `flags`; -1 and errno on failure. */
int nucleus_open_in_root(const struct nucleus_spec *spec, const char *path, int flags);

/* An O_PATH fd for the directory holding `path`; *name points at its last component. */
int nucleus_open_parent_in_root(const struct nucleus_spec *spec, const char *path, const char **name);

/* "/proc/self/fd/N", for system calls that take a path but no descriptor (mount(2)). */
void nucleus_fd_path(int fd, char buffer[32]);

#endif
