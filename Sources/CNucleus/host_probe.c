/* Host questions the planner asks whose headers Swift's Glibc module lacks. */
#include "nucleus_spawn.h"

#include <errno.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

long long nucleus_filesystem_type(const char *path) {
    struct statfs info;
    return statfs(path, &info) < 0 ? -errno : (long long)info.f_type;
}

int nucleus_landlock_abi(void) {
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1u /* LANDLOCK_CREATE_RULESET_VERSION */);
    return abi < 0 ? 0 : (int)abi;
}
