/* Host questions the planner asks whose headers Swift's Glibc module lacks. */
#include "nucleus_spawn.h"

#include <errno.h>
#include <sys/vfs.h>

long long nucleus_filesystem_type(const char *path) {
    struct statfs info;
    return statfs(path, &info) < 0 ? -errno : (long long)info.f_type;
}
