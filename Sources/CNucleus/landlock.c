/*
 * The workload's Landlock ruleset: created, filled and enforced in the forked
 * workload just before seccomp and exec. Structures are declared here rather
 * than taken from <linux/landlock.h>, whose Debian 12 copy predates ABI 4.
 */
#define _GNU_SOURCE
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
};

struct path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

struct net_port_attr {
    uint64_t allowed_access;
    uint64_t port;
};

#define RULE_PATH_BENEATH 1
#define RULE_NET_PORT 2
/* Rights that apply to a file itself rather than to a directory's entries. */
#define FILE_RIGHTS ((1ull << 0) | (1ull << 1) | (1ull << 2) | (1ull << 14) | (1ull << 15))

static void fail(const struct nucleus_spec *spec, int32_t syscall_id, int err) {
    nucleus_fail(spec, NUCLEUS_STEP_LANDLOCK, syscall_id, err, NUCLEUS_EXIT_SETUP_FAILED);
}

void nucleus_apply_landlock(const struct nucleus_spec *spec) {
    const struct nucleus_landlock *policy = spec->landlock;
    if (!policy)
        return;
    struct ruleset_attr attr = {policy->handled_fs, policy->handled_net, policy->scoped};
    size_t size = policy->abi >= 6 ? sizeof attr : policy->abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (ruleset < 0)
        fail(spec, NUCLEUS_SYS_LANDLOCK_CREATE_RULESET, errno);
    for (uint32_t i = 0; i < policy->n_paths; i++) {
        int fd = open(policy->paths[i].path, O_PATH | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT || errno == EACCES || errno == ENOTDIR)
                continue; /* nothing there the workload could reach anyway */
            fail(spec, NUCLEUS_SYS_OPEN, errno);
        }
        struct stat status;
        struct path_beneath_attr rule = {policy->paths[i].access, fd};
        if (fstat(fd, &status) == 0 && !S_ISDIR(status.st_mode))
            rule.allowed_access &= FILE_RIGHTS;
        if (rule.allowed_access && syscall(SYS_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &rule, 0) < 0)
            fail(spec, NUCLEUS_SYS_LANDLOCK_ADD_RULE, errno);
        close(fd);
    }
    for (uint32_t i = 0; i < policy->n_ports; i++) {
        struct net_port_attr rule = {policy->ports[i].access, policy->ports[i].port};
        if (syscall(SYS_landlock_add_rule, ruleset, RULE_NET_PORT, &rule, 0) < 0)
            fail(spec, NUCLEUS_SYS_LANDLOCK_ADD_RULE, errno);
    }
    if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
        fail(spec, NUCLEUS_SYS_LANDLOCK_RESTRICT_SELF, errno);
    close(ruleset);
}
