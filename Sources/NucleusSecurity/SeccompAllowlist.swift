import NucleusModel

/// The built-in agent allowlist: what ordinary tools (coreutils, busybox,
/// bash, tar, python3, git, gcc, make) need, grouped by why. Everything else
/// fails with EPERM; syscalls newer than this list fail with ENOSYS so libc
/// falls back (glibc's clone3 -> clone). docs/security-model.md lists it.
public enum SeccompAllowlist {
    public struct Group: Sendable {
        public var reason: String
        public var names: [String]
    }

    public static let groups: [Group] = [
        Group(
            reason: "memory and threads",
            names: [
                "brk", "munmap", "mremap", "madvise", "rseq", "set_tid_address", "set_robust_list", "futex",
                "arch_prctl",
            ]),
        Group(
            reason: "processes (clone/unshare only without namespace flags, see conditions)",
            names: [
                "vfork", "execve", "exit", "exit_group", "wait4", "waitid", "kill", "tgkill", "getpid", "getppid",
                "gettid", "getpgrp", "getpgid",
                "setpgid", "getsid", "setsid", "prlimit64", "getrlimit", "setrlimit", "getrusage", "getpriority",
                "setpriority", "sched_yield", "sched_getaffinity",
                "uname",
                "sysinfo", "umask", "restart_syscall", "getrandom",
            ]),
        Group(
            reason: "identity (no capabilities: these can only drop privilege)",
            names: [
                "getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid", "getresgid", "setuid", "setgid",
                "setresuid", "setresgid", "setgroups", "capget",
            ]),
        Group(
            reason: "signals and time",
            names: [
                "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "sigaltstack",
                "nanosleep", "clock_nanosleep", "clock_gettime",
                "clock_getres", "gettimeofday", "times", "alarm", "setitimer", "timer_create",
                "timer_settime", "timer_gettime", "timer_delete", "timerfd_create",
                "timerfd_settime",
            ]),
        Group(
            reason: "files and directories (Landlock and the mounts decide which)",
            names: [
                "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "openat", "openat2",
                "creat", "close", "close_range", "dup", "dup2", "dup3",
                "fcntl", "flock", "fsync", "fdatasync", "ftruncate", "truncate", "lseek", "stat", "lstat", "fstat",
                "newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat", "faccessat2", "readlink",
                "readlinkat", "getdents64", "getcwd", "chdir", "fchdir", "rename", "renameat",
                "renameat2", "mkdir", "mkdirat", "rmdir", "link", "linkat", "unlink", "unlinkat", "symlink",
                "symlinkat", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
                "utimensat", "copy_file_range", "sendfile", "splice", "fallocate", "fadvise64", "memfd_create",
                "inotify_init1",
                "inotify_add_watch", "inotify_rm_watch",
            ]),
        Group(
            reason: "extended attributes (cp -a, tar)",
            names: [
                "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "setxattr",
                "lsetxattr", "fsetxattr", "removexattr",
            ]),
        Group(
            reason: "waiting on descriptors",
            names: [
                "pipe", "pipe2", "poll", "ppoll", "select", "pselect6", "epoll_create1", "epoll_ctl",
                "epoll_wait", "epoll_pwait", "eventfd2", "signalfd4",
            ]),
        Group(
            reason: "sockets (families limited, see conditions)",
            names: [
                "bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername", "sendto", "recvfrom",
                "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "setsockopt", "getsockopt",
            ]),
        Group(
            reason: "System V IPC (the container's own ipc namespace)",
            names: [
                "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
            ]),
        Group(
            reason: "restricting itself further",
            names: ["seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"]),
    ]

    /// Syscalls allowed only with some arguments.
    public static func conditionalRules(network: NetworkMode, allowJIT: Bool) -> [SeccompRule] {
        let namespaceFlags: UInt64 = 0x7E02_0000  // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
        var rules = [
            SeccompRule(["clone"], when: [.masked(0, namespaceFlags, equals: 0)]),
            SeccompRule(["unshare"], when: [.masked(0, namespaceFlags | 0x80, equals: 0)]),  // and CLONE_NEWTIME
            SeccompRule(["clone3"], .errno(38)),  // ENOSYS: its flags live in memory; glibc falls back to clone
            SeccompRule(["personality"], when: [SeccompCondition(0, .equal, 0)]),  // PER_LINUX
            SeccompRule(["personality"], when: [SeccompCondition(0, .equal, 0xFFFF_FFFF)]),  // query
            SeccompRule(["socket", "socketpair"], when: [SeccompCondition(0, .equal, 1)]),  // AF_UNIX
            SeccompRule(["socket"], when: [SeccompCondition(0, .equal, 16), SeccompCondition(2, .equal, 0)]),  // NETLINK_ROUTE
            SeccompRule(["mknodat"], when: [.masked(2, 0o170000, equals: 0o010000)]),  // fifos only
        ]
        if network != .none {
            for family: UInt64 in [2, 10] {  // AF_INET, AF_INET6: stream and datagram, never raw or packet
                for type: UInt64 in [1, 2] {
                    rules.append(
                        SeccompRule(
                            ["socket"],
                            when: [SeccompCondition(0, .equal, family), .masked(1, 0xF, equals: type)]))
                }
            }
        }
        // ioctl: everything but TIOCSTI (0x5412) and TIOCLINUX (0x541C). The
        // kernel reads the command as 32 bits, so compare the low 32 only.
        for (low, high) in [(0, 0x5411), (0x5413, 0x541B), (0x541D, 0xFFFF_FFFF)] as [(UInt64, UInt64)] {
            rules.append(contentsOf: ioctlRange(low, high))
        }
        let writeExec: UInt64 = 0x2 | 0x4  // PROT_WRITE | PROT_EXEC
        for name in ["mmap", "mprotect"] {
            if allowJIT {
                rules.append(SeccompRule([name]))
            } else {
                for allowed: UInt64 in [0, 0x2, 0x4] {
                    rules.append(SeccompRule([name], when: [.masked(2, writeExec, equals: allowed)]))
                }
            }
        }
        rules.append(contentsOf: prctlRules)
        return rules
    }

    /// `ioctl` with the low 32 bits of the command in [low, high], as masked
    /// comparisons libseccomp can express: split into aligned power-of-two blocks.
    static func ioctlRange(_ low: UInt64, _ high: UInt64) -> [SeccompRule] {
        var rules: [SeccompRule] = []
        var start = low
        while start <= high {
            var size: UInt64 = 1
            while start % (size * 2) == 0 && start + size * 2 - 1 <= high && size < (1 << 32) { size *= 2 }
            let mask = 0xFFFF_FFFF & ~(size - 1)
            rules.append(SeccompRule(["ioctl"], when: [.masked(1, mask, equals: start)]))
            start += size
        }
        return rules
    }

    /// prctl options that read state or only tighten it.
    static let prctlRules: [SeccompRule] = [
        1, 2,  // PR_SET_PDEATHSIG, PR_GET_PDEATHSIG
        3,  // PR_GET_DUMPABLE
        15, 16,  // PR_SET_NAME, PR_GET_NAME
        21,  // PR_GET_SECCOMP
        22,  // PR_SET_SECCOMP (only adds filters)
        23,  // PR_CAPBSET_READ
        27,  // PR_GET_SECUREBITS
        29, 30,  // PR_SET_TIMERSLACK, PR_GET_TIMERSLACK
        36, 37,  // PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER
        38, 39,  // PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS
        40,  // PR_GET_TID_ADDRESS
        41, 42,  // PR_SET_THP_DISABLE, PR_GET_THP_DISABLE
        52, 53,  // PR_GET_SPECULATION_CTRL, PR_SET_SPECULATION_CTRL (only restricts)
        0x5356_4d41,  // PR_SET_VMA (glibc names its mappings)
    ].map { SeccompRule(["prctl"], when: [SeccompCondition(0, .equal, $0)]) }

    /// Newer than this list: ENOSYS, so callers fall back instead of failing.
    public static let newerThanList = [
        "clone3", "io_pgetevents", "process_madvise", "process_mrelease", "memfd_secret", "cachestat",
        "map_shadow_stack", "set_mempolicy_home_node", "mseal", "listmount", "statmount", "lsm_get_self_attr",
        "lsm_set_self_attr", "lsm_list_modules", "getxattrat", "setxattrat", "listxattrat", "removexattrat",
        "open_tree_attr", "file_getattr", "file_setattr", "uretprobe",
    ]

    /// What `--seccomp-allow` may add, and why someone would.
    public static let optIns: [String: String] = [
        "io_uring_setup": "io_uring (databases, runtimes); needs io_uring_enter and io_uring_register too",
        "io_uring_enter": "io_uring", "io_uring_register": "io_uring",
        "ptrace": "debuggers and strace inside the sandbox",
        "process_vm_readv": "debuggers", "process_vm_writev": "debuggers",
        "perf_event_open": "profilers", "userfaultfd": "live migration and some garbage collectors",
        "mbind": "NUMA-aware allocators", "sched_setattr": "real-time scheduling", "sched_getattr": "schedulers",
        "sched_setscheduler": "real-time scheduling", "mlock2": "memory locking", "mlockall": "memory locking",
        "munlockall": "memory locking", "pause": "old-style signal waiting (sigsuspend is allowed)",
        "mlock": "memory locking (gpg)", "munlock": "memory locking",
        "membarrier": "runtimes with user-space RCU", "pidfd_open": "process managers",
        "pidfd_getfd": "process managers", "execveat": "fexecve", "get_mempolicy": "NUMA-aware allocators",
        "set_mempolicy": "NUMA-aware allocators", "sched_setaffinity": "pinning threads (taskset)",
        "msgget": "System V message queues", "msgsnd": "System V message queues",
        "msgrcv": "System V message queues", "msgctl": "System V message queues", "fanotify_init": "file watchers",
        "fanotify_mark": "file watchers", "name_to_handle_at": "file servers", "chroot": "build tools",
    ]

    /// The whole default policy for a network mode.
    public static func policy(network: NetworkMode, allowJIT: Bool, additions: [String], logDenied: Bool)
        -> SeccompPolicy
    {
        var rules = [SeccompRule(groups.flatMap(\.names))]
        rules += conditionalRules(network: network, allowJIT: allowJIT)
        rules.append(SeccompRule(newerThanList.filter { $0 != "clone3" }, .errno(38)))
        if !additions.isEmpty { rules.append(SeccompRule(additions)) }
        return SeccompPolicy(
            defaultAction: .errno(1), rules: rules, logDenied: logDenied, origin: "built-in agent allowlist",
            additions: additions)
    }
}
