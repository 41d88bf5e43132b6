/*
 * The fork/exec edge of nucleus.
 *
 * Swift prepares everything (strings, flags, the ordered list of setup
 * operations) before calling nucleus_spawn(). After clone3 only the code in
 * this target runs in the child: raw system calls over memory that was laid
 * out in advance. Nothing here allocates, takes a lock, or calls into Swift,
 * so it is safe even when the parent process is multi-threaded.
 */
#ifndef NUCLEUS_SPAWN_H
#define NUCLEUS_SPAWN_H

#include <linux/sched.h> /* CLONE_NEW*, which <sched.h> hides without _GNU_SOURCE */
#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/types.h>

/* What one setup step does. The plan orders them; the child walks them. */
enum nucleus_op_kind {
    NUCLEUS_OP_MOUNT = 1,        /* mount(source, target, fstype, mount_flags, data) */
    NUCLEUS_OP_BIND = 2,         /* clone the tree at source, set attr_set, attach at target */
    NUCLEUS_OP_SETATTR = 3,      /* mount_setattr(target, attr_set) on an existing mount */
    NUCLEUS_OP_MKDIR = 4,        /* mkdir(target, mode) */
    NUCLEUS_OP_WRITE_FILE = 5,   /* create target (mode) holding data[0..data_len) */
    NUCLEUS_OP_SYMLINK = 6,      /* symlink(source, target) */
    NUCLEUS_OP_PIVOT_ROOT = 7,   /* make target the root, detach the old root */
    NUCLEUS_OP_SETHOSTNAME = 8,  /* sethostname(data) */
    NUCLEUS_OP_LOOPBACK_UP = 9,  /* bring "lo" up in the new network namespace */
    NUCLEUS_OP_TIME_OFFSETS = 10, /* unshare(CLONE_NEWTIME) and write data to timens_offsets */
    NUCLEUS_OP_JOIN_CGROUP = 11,  /* receive our v1 cgroups' `tasks` files on the sync socket, move
                                     ourselves into them, then unshare(CLONE_NEWCGROUP) */
    NUCLEUS_OP_AUDIT_POINT = 12   /* report {step, 0, 0} on the error pipe, then wait for a sync
                                     byte: the host side audits our mounts meanwhile */
};

/* Operation flags. */
#define NUCLEUS_OP_OPTIONAL 0x1u        /* ENOENT on source or target: skip the step */
#define NUCLEUS_OP_PREOPEN 0x2u         /* open source before the first mount (it may be shadowed later) */
#define NUCLEUS_OP_RECURSIVE 0x4u       /* bind or setattr the whole subtree */
#define NUCLEUS_OP_CHROOT_FALLBACK 0x8u /* pivot_root failure may fall back to chroot */
#define NUCLEUS_OP_DETACHED_TREE 0x20u  /* source_fd already holds the finished tree to attach */
#define NUCLEUS_OP_SECRET 0x40u        /* write_file data is a secret: chown to owner_uid/gid,
                                           then wipe the child's copy */
#define NUCLEUS_OP_IN_ROOT 0x10u        /* target is resolved inside spec->root_path with
                                           RESOLVE_IN_ROOT: symlinks cannot lead out */

struct nucleus_op {
    uint32_t kind;
    uint32_t flags;
    uint64_t mount_flags; /* MS_* for NUCLEUS_OP_MOUNT */
    uint64_t attr_set;    /* MOUNT_ATTR_* for BIND and SETATTR */
    uint32_t mode;
    uint32_t owner_uid;   /* NUCLEUS_OP_SECRET: the file's owner */
    uint32_t owner_gid;
    int32_t source_fd;    /* set by the child for NUCLEUS_OP_PREOPEN */
    const char *source;
    const char *target;
    const char *fstype;
    const char *data;
    uint64_t data_len;
};

/* Which system call failed, so the parent can name it in the error line. */
enum nucleus_syscall {
    NUCLEUS_SYS_NONE = 0,
    NUCLEUS_SYS_SETRESUID, NUCLEUS_SYS_SETRESGID, NUCLEUS_SYS_SETGROUPS,
    NUCLEUS_SYS_PRCTL, NUCLEUS_SYS_OPEN, NUCLEUS_SYS_MOUNT, NUCLEUS_SYS_OPEN_TREE,
    NUCLEUS_SYS_MOUNT_SETATTR, NUCLEUS_SYS_MOVE_MOUNT, NUCLEUS_SYS_MKDIR, NUCLEUS_SYS_WRITE,
    NUCLEUS_SYS_SYMLINK, NUCLEUS_SYS_CHDIR, NUCLEUS_SYS_PIVOT_ROOT, NUCLEUS_SYS_UMOUNT2,
    NUCLEUS_SYS_CHROOT, NUCLEUS_SYS_SETHOSTNAME, NUCLEUS_SYS_SOCKET, NUCLEUS_SYS_IOCTL,
    NUCLEUS_SYS_UNSHARE, NUCLEUS_SYS_CLONE, NUCLEUS_SYS_CAPSET, NUCLEUS_SYS_SETSID,
    NUCLEUS_SYS_SETPGID, NUCLEUS_SYS_TCSETPGRP, NUCLEUS_SYS_CLOSE_RANGE, NUCLEUS_SYS_FCNTL,
    NUCLEUS_SYS_EXECVE, NUCLEUS_SYS_SIGPROCMASK, NUCLEUS_SYS_FAULT_INJECTED, NUCLEUS_SYS_OPENAT2,
    NUCLEUS_SYS_FCHOWN, NUCLEUS_SYS_READ_SECRET, NUCLEUS_SYS_FSOPEN, NUCLEUS_SYS_FSCONFIG,
    NUCLEUS_SYS_FSMOUNT, NUCLEUS_SYS_SECCOMP, NUCLEUS_SYS_LANDLOCK_CREATE_RULESET,
    NUCLEUS_SYS_LANDLOCK_ADD_RULE, NUCLEUS_SYS_LANDLOCK_RESTRICT_SELF, NUCLEUS_SYS_PRLIMIT, NUCLEUS_SYS_GETCWD,
    NUCLEUS_SYS_RECVMSG
};

/* Steps that are not entries of the op list have negative indices. */
enum nucleus_step {
    NUCLEUS_STEP_BECOME_ROOT = -2,
    NUCLEUS_STEP_START_INIT = -3,
    NUCLEUS_STEP_FORK_WORKLOAD = -4,
    NUCLEUS_STEP_IDENTITY = -5,
    NUCLEUS_STEP_CAPABILITIES = -6,
    NUCLEUS_STEP_SESSION = -7,
    NUCLEUS_STEP_FDS = -8,
    NUCLEUS_STEP_WORKDIR = -9,
    NUCLEUS_STEP_EXEC = -10,
    NUCLEUS_STEP_SECCOMP = -11,
    NUCLEUS_STEP_LANDLOCK = -12,
    NUCLEUS_STEP_RLIMITS = -13
};

/* One record on the error pipe: the child failed at `step` in `syscall`. */
struct nucleus_child_error {
    int32_t step;
    int32_t syscall;
    int32_t err;
};

/* Exit codes the container's init uses (and nucleus passes on). */
#define NUCLEUS_EXIT_SETUP_FAILED 125
#define NUCLEUS_EXIT_NOT_EXECUTABLE 126
#define NUCLEUS_EXIT_NOT_FOUND 127

/* A Landlock ruleset to build in the workload, after its identity switch. */
struct nucleus_landlock_path {
    const char *path;             /* container path; missing or unreachable: skipped */
    uint64_t access;
};

struct nucleus_landlock_port {
    uint64_t port;
    uint64_t access;
};

struct nucleus_landlock {
    int32_t abi;
    uint64_t handled_fs;
    uint64_t handled_net;
    uint64_t scoped;
    const struct nucleus_landlock_path *paths;
    uint32_t n_paths;
    const struct nucleus_landlock_port *ports;
    uint32_t n_ports;
};

/* One setrlimit for the workload. */
struct nucleus_rlimit {
    int32_t resource;
    uint64_t soft;
    uint64_t hard;
};

struct nucleus_spec {
    uint64_t clone_flags;         /* CLONE_NEW* passed to clone3 */
    struct nucleus_op *ops;
    uint32_t n_ops;
    const char *root_path;        /* where the new root is assembled (for NUCLEUS_OP_IN_ROOT) */
    int32_t fault_step;           /* op index that fails on purpose (tests); -1: none */
    int32_t skip_step;            /* op index skipped on purpose, for the mount audit's tests; -1: none */

    int32_t setgroups_allowed;    /* 0 when /proc/pid/setgroups is "deny" (rootless) */

    /* The workload. */
    const char *const *argv;
    const char *const *envp;
    const char *search_path;      /* PATH used to find argv[0] when it has no '/' */
    const char *workdir;
    uint32_t uid;
    uint32_t gid;
    const uint32_t *groups;       /* supplementary groups (needs setgroups_allowed) */
    uint32_t n_groups;
    int32_t terminal;             /* keep the caller's session, take the foreground */
    int32_t preserve_fds;         /* keep fds 3 .. 3+preserve_fds-1 */
    uint64_t caps_bounding;       /* capabilities the workload keeps (masks); all zero: none */
    uint64_t caps_inheritable;
    uint64_t caps_ambient;        /* also its permitted and effective sets */
    const struct nucleus_landlock *landlock; /* applied before seccomp; NULL: none */
    const void *seccomp_filter;   /* BPF (struct sock_filter[]) loaded last before exec; NULL: none */
    uint32_t seccomp_instructions;
    uint32_t seccomp_flags;       /* SECCOMP_FILTER_FLAG_* */
    int32_t trace_fd;             /* trace mode: init sends the filter's listener here; else -1 */
    int32_t cgroup_fd;            /* cgroup v2: clone straight into it (CLONE_INTO_CGROUP); else -1 */
    uint32_t cgroup_hierarchies;  /* cgroup v1: how many `tasks` files the join step receives */
    const int32_t *cgroup_tasks;  /* cgroup v1, a check in a running container: the container's
                                     `tasks` files its child moves itself through; else NULL */
    uint32_t n_cgroup_tasks;
    const struct nucleus_rlimit *rlimits;
    uint32_t n_rlimits;

    /* Filled in by nucleus_spawn. */
    int32_t sync_fd;              /* child reads (a socket): one byte once the id maps are written,
                                     one with the `tasks` files at the join step, ... */
    int32_t error_fd;             /* child writes nucleus_child_error records; CLOEXEC */
};

/*
 * Create the container's init with clone3(spec->clone_flags | CLONE_PIDFD).
 * The caller owns the channel ends (*sync_write_fd, *error_read_fd) and *pidfd.
 * Returns the child's pid, or -errno. Signals the parent forwards must be
 * blocked before the call (the child keeps them blocked until its own setup).
 */
pid_t nucleus_spawn(struct nucleus_spec *spec, int *pidfd, int *sync_write_fd, int *error_read_fd);

/* Most cgroup v1 hierarchies a container joins (memory, cpu, cpuacct, cpuset,
 * pids, blkio...: each distinct mount counts once). */
#define NUCLEUS_MAX_CGROUP_HIERARCHIES 16

/* Send one byte carrying `fds` (SCM_RIGHTS) on the sync socket. 0 or -errno. */
int nucleus_send_fds(int sync_write_fd, const int *fds, uint32_t count);

/*
 * For a read-write volume, run by the host side before nucleus_spawn: a
 * detached recursive clone of `source` with `attr_set` and an idmap under
 * which files owned by disk_uid/disk_gid belong to the workload, whose ids the
 * host sees as host_uid/host_gid. Returns the tree's fd (>= min_fd) or -errno,
 * with *failed_syscall naming the step (a nucleus_syscall value).
 */
int nucleus_idmapped_tree(const char *source, uint64_t attr_set, uint32_t disk_uid, uint32_t host_uid,
                          uint32_t disk_gid, uint32_t host_gid, int min_fd, int *failed_syscall);

/*
 * --context trees, built by the host side before nucleus_spawn (host root
 * only: a new tmpfs or overlay outside any namespace needs CAP_SYS_ADMIN over
 * the host). Each returns a detached mount's fd (>= min_fd) or -errno, with
 * *failed_syscall naming the step.
 *
 * nucleus_tmpfs_tree: an empty writable tmpfs of at most size_bytes and
 * inodes entries, to be populated through the fd.
 * nucleus_overlay_tree: a read-only overlay of `source_fd` (a directory)
 * under `whiteouts_fd` (a tree whose 0:0 character devices hide names below
 * it), with attr_set.
 * nucleus_seal_tree: set attr_set (MOUNT_ATTR_RDONLY...) once populated.
 */
int nucleus_tmpfs_tree(uint64_t size_bytes, uint64_t inodes, int min_fd, int *failed_syscall);
int nucleus_overlay_tree(int whiteouts_fd, int source_fd, uint64_t attr_set, int min_fd, int *failed_syscall);
int nucleus_seal_tree(int tree_fd, uint64_t attr_set);

/* statfs(path).f_type, or -errno: <sys/vfs.h> is not part of Swift's Glibc module. */
long long nucleus_filesystem_type(const char *path);

/* The text of /sys/kernel/security/lockdown ("none [integrity] confidentiality"),
 * mounting securityfs in a throwaway child's private mount namespace if the
 * host has not. 0 or -errno. */
int nucleus_read_lockdown(char *buffer, size_t size);

/* The Landlock ABI version this kernel offers; 0 without Landlock. */
int nucleus_landlock_abi(void);

/* openat2 confined beneath dirfd with no symlinks followed anywhere on the
 * path: the context tree may change while it is copied. -1 and errno on failure. */
int nucleus_open_beneath(int dirfd, const char *path, int flags);

/* --secret: read the regular file at `path` (no symlink) into malloc'd memory.
 * Returns 0 or -errno (with *failed_syscall set). Free with nucleus_wipe_secret. */
int nucleus_read_secret(const char *path, char **bytes, uint64_t *length, int *failed_syscall);

/* Overwrite with zeros (not optimized away), then free. */
void nucleus_wipe_secret(char *bytes, uint64_t length);

/* Trace mode (trace.c): a socketpair whose fds are >= min_fd; passing an fd
 * over it; receiving one seccomp notification and letting the syscall run. */
int nucleus_trace_socketpair(int fds[2], int min_fd);
int nucleus_send_fd(int socket, int fd);
int nucleus_receive_fd(int socket);
int nucleus_notif_receive(int listener, int32_t *nr, uint32_t *pid, uint64_t *id);
int nucleus_notif_continue(int listener, uint64_t id);

/* Health checks (health.c): run spec's argv inside the container whose init
 * is init_pidfd, as the workload would run, and in its cgroups
 * (spec->cgroup_fd on v2, spec->cgroup_tasks on v1), so its limits count
 * the check too. Returns the host pid of a child that exits with the
 * command's status (128+N if killed by N), setting *pidfd; or -errno. Its
 * stdin, stdout and stderr are /dev/null. */
pid_t nucleus_spawn_in_container(const struct nucleus_spec *spec, int init_pidfd, int *pidfd);

/* --readiness-tcp: a child in the container's network namespace that exits 0
 * if 127.0.0.1:port accepts a connection, 1 if not. Returns its pid (and
 * *pidfd) or -errno. */
pid_t nucleus_probe_tcp_in_container(int init_pidfd, uint16_t port, int *pidfd);

/* sd_notify: send `message` as one datagram to $NOTIFY_SOCKET's address
 * (a path, or "@name" for the abstract namespace). 0 or -errno. */
int nucleus_sd_notify(const char *socket_path, const char *message);

/* --readiness-sd-notify: a non-blocking datagram socket bound at `path`,
 * writable by any uid (the container's workload sends to it). fd or -errno. */
int nucleus_notify_socket(const char *path);

/* Thin wrappers for system calls glibc 2.36 does not expose. */
int nucleus_pidfd_send_signal(int pidfd, int sig);
int nucleus_wait_pidfd(int pidfd, int *status_code, int *signaled);

#endif
