import CNucleus
import NucleusModel

/// A `nucleus_child_error` record from the error pipe, turned into the one-line
/// error with the step's words and path taken from the plan.
struct ChildFailure: Equatable {
    var step: Int32
    var syscall: Int32
    var errno: Int32

    func error(in plan: Plan) -> NucleusError {
        let call = Self.syscallNames[syscall] ?? "syscall \(syscall)"
        if step >= 0, Int(step) < plan.setup.count {
            let setupStep = plan.setup[Int(step)]
            let path = setupStep.target.isEmpty ? nil : setupStep.target
            return NucleusError("set up the container: \(setupStep.summary)", syscall: call, path: path, errno: errno)
        }
        switch step {
        case NUCLEUS_STEP_EXEC.rawValue where syscall == Int32(NUCLEUS_SYS_EXECVE.rawValue):
            let program = plan.process.argv.first ?? ""
            let notFound = errno == Self.enoent || errno == Self.enotdir
            return NucleusError(
                notFound ? "command \(program) not found" : "command \(program) cannot be executed",
                syscall: call, errno: errno,
                exitCode: notFound ? Int32(NUCLEUS_EXIT_NOT_FOUND) : Int32(NUCLEUS_EXIT_NOT_EXECUTABLE))
        case NUCLEUS_STEP_WORKDIR.rawValue where syscall == Int32(NUCLEUS_SYS_GETCWD.rawValue) && errno == Self.exdev:
            return NucleusError(
                "the working directory \(plan.process.workdir) lies outside the container's root (an inherited descriptor or a symlink out)"
            )
        case NUCLEUS_STEP_WORKDIR.rawValue:
            return NucleusError("enter the working directory", syscall: call, path: plan.process.workdir, errno: errno)
        default:
            return NucleusError(Self.phaseNames[step] ?? "container setup step \(step)", syscall: call, errno: errno)
        }
    }

    private static let enoent: Int32 = 2
    private static let enotdir: Int32 = 20
    private static let exdev: Int32 = 18

    static let phaseNames: [Int32: String] = [
        NUCLEUS_STEP_BECOME_ROOT.rawValue: "become root of the user namespace",
        NUCLEUS_STEP_START_INIT.rawValue: "start the container's init",
        NUCLEUS_STEP_FORK_WORKLOAD.rawValue: "fork the workload",
        NUCLEUS_STEP_IDENTITY.rawValue: "switch to the workload's uid and gid",
        NUCLEUS_STEP_CAPABILITIES.rawValue: "drop capabilities",
        NUCLEUS_STEP_SESSION.rawValue: "make the workload the terminal's foreground job",
        NUCLEUS_STEP_FDS.rawValue: "close inherited file descriptors",
        NUCLEUS_STEP_EXEC.rawValue: "prepare the workload's exec",
        NUCLEUS_STEP_SECCOMP.rawValue: "install the seccomp filter",
        NUCLEUS_STEP_LANDLOCK.rawValue: "apply the Landlock rules",
        NUCLEUS_STEP_RLIMITS.rawValue: "set the workload's resource limits",
    ]

    /// Also names the failing step of `nucleus_idmapped_tree`.
    static let syscallNames: [Int32: String] = [
        Int32(NUCLEUS_SYS_NONE.rawValue): "setup",
        Int32(NUCLEUS_SYS_SETRESUID.rawValue): "setresuid", Int32(NUCLEUS_SYS_SETRESGID.rawValue): "setresgid",
        Int32(NUCLEUS_SYS_SETGROUPS.rawValue): "setgroups", Int32(NUCLEUS_SYS_PRCTL.rawValue): "prctl",
        Int32(NUCLEUS_SYS_OPEN.rawValue): "open", Int32(NUCLEUS_SYS_MOUNT.rawValue): "mount",
        Int32(NUCLEUS_SYS_OPEN_TREE.rawValue): "open_tree", Int32(NUCLEUS_SYS_MOUNT_SETATTR.rawValue): "mount_setattr",
        Int32(NUCLEUS_SYS_MOVE_MOUNT.rawValue): "move_mount", Int32(NUCLEUS_SYS_MKDIR.rawValue): "mkdir",
        Int32(NUCLEUS_SYS_WRITE.rawValue): "write", Int32(NUCLEUS_SYS_SYMLINK.rawValue): "symlink",
        Int32(NUCLEUS_SYS_CHDIR.rawValue): "chdir", Int32(NUCLEUS_SYS_GETCWD.rawValue): "getcwd",
        Int32(NUCLEUS_SYS_RECVMSG.rawValue): "recvmsg",
        Int32(NUCLEUS_SYS_PIVOT_ROOT.rawValue): "pivot_root",
        Int32(NUCLEUS_SYS_UMOUNT2.rawValue): "umount2", Int32(NUCLEUS_SYS_CHROOT.rawValue): "chroot",
        Int32(NUCLEUS_SYS_SETHOSTNAME.rawValue): "sethostname", Int32(NUCLEUS_SYS_SOCKET.rawValue): "socket",
        Int32(NUCLEUS_SYS_IOCTL.rawValue): "ioctl", Int32(NUCLEUS_SYS_UNSHARE.rawValue): "unshare",
        Int32(NUCLEUS_SYS_CLONE.rawValue): "clone", Int32(NUCLEUS_SYS_CAPSET.rawValue): "capset",
        Int32(NUCLEUS_SYS_SETSID.rawValue): "setsid", Int32(NUCLEUS_SYS_SETPGID.rawValue): "setpgid",
        Int32(NUCLEUS_SYS_TCSETPGRP.rawValue): "tcsetpgrp", Int32(NUCLEUS_SYS_CLOSE_RANGE.rawValue): "close_range",
        Int32(NUCLEUS_SYS_FCNTL.rawValue): "fcntl", Int32(NUCLEUS_SYS_EXECVE.rawValue): "execve",
        Int32(NUCLEUS_SYS_SIGPROCMASK.rawValue): "sigprocmask",
        Int32(NUCLEUS_SYS_FAULT_INJECTED.rawValue): "injected fault (NUCLEUS_FAULT_STEP)",
        Int32(NUCLEUS_SYS_OPENAT2.rawValue): "openat2", Int32(NUCLEUS_SYS_FCHOWN.rawValue): "fchown",
        Int32(NUCLEUS_SYS_READ_SECRET.rawValue): "read", Int32(NUCLEUS_SYS_FSOPEN.rawValue): "fsopen",
        Int32(NUCLEUS_SYS_FSCONFIG.rawValue): "fsconfig", Int32(NUCLEUS_SYS_FSMOUNT.rawValue): "fsmount",
        Int32(NUCLEUS_SYS_SECCOMP.rawValue): "seccomp",
        Int32(NUCLEUS_SYS_LANDLOCK_CREATE_RULESET.rawValue): "landlock_create_ruleset",
        Int32(NUCLEUS_SYS_LANDLOCK_ADD_RULE.rawValue): "landlock_add_rule",
        Int32(NUCLEUS_SYS_LANDLOCK_RESTRICT_SELF.rawValue): "landlock_restrict_self",
        Int32(NUCLEUS_SYS_PRLIMIT.rawValue): "prlimit64",
    ]
}
