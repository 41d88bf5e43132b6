import Foundation
import Testing

/// The kernel's own interfaces as ways out: cgroup release agents
/// (CVE-2022-0492), core_pattern and sysrq, file handles ("shocker"),
/// terminal injection, new namespaces, and the syscalls an escape needs.
@Suite(.serialized) struct KernelInterfaceEscapeTests {
    @Test(arguments: EscapeMode.allCases) func cgroupProcAndSysKnobsAreOutOfReach(mode: EscapeMode) throws {
        let results = try Probe.attempt(
            [
                "open-write:/sys/fs/cgroup/memory/release_agent", "open-write:/sys/fs/cgroup/memory/notify_on_release",
                "open-write:/sys/fs/cgroup/cgroup.procs", "mount-cgroup:memory",
                "open-write:/proc/sys/kernel/core_pattern",
                "open-write:/proc/sysrq-trigger", "is-dev-null:/proc/sysrq-trigger",
                "open-write:/sys/kernel/uevent_helper",
                "open-write:/sys/kernel/mm/transparent_hugepage/enabled",
            ], mode: mode)
        expectBlocked(
            results,
            [
                // The container's cgroup is mounted read-only, and a release
                // agent exists only at a hierarchy's root, which is not there.
                "open-write:/sys/fs/cgroup/memory/release_agent": [Errno.enoent, Errno.erofs],
                "open-write:/sys/fs/cgroup/memory/notify_on_release": [Errno.enoent, Errno.erofs],
                "open-write:/sys/fs/cgroup/cgroup.procs": [Errno.enoent, Errno.erofs],
                "mount-cgroup:memory": [Errno.eperm],
                "open-write:/proc/sys/kernel/core_pattern": [Errno.erofs],
                "open-write:/sys/kernel/uevent_helper": [Errno.enoent, Errno.erofs],
                "open-write:/sys/kernel/mm/transparent_hugepage/enabled": [Errno.enoent, Errno.erofs],
            ], mode: mode)
        // Masked by /dev/null where the kernel has it; absent otherwise.
        let sysrq = results["open-write:/proc/sysrq-trigger"]
        #expect(
            sysrq == Errno.enoent || results["is-dev-null:/proc/sysrq-trigger"] == 0, "\(mode.rawValue): \(results)")
    }

    @Test(arguments: EscapeMode.allCases) func handlesNamespacesAndTracingAreDenied(mode: EscapeMode) throws {
        let results = try Probe.attempt(
            [
                "open-by-handle", "name-to-handle", "unshare-user", "unshare-mount", "unshare-net",
                "setns:/proc/1/ns/net", "setns:/proc/1/ns/mnt", "ptrace-attach-init",
            ], mode: mode)
        expectBlocked(
            results,
            [
                "open-by-handle": [Errno.eperm], "name-to-handle": [Errno.eperm], "unshare-user": [Errno.eperm],
                "unshare-mount": [Errno.eperm], "unshare-net": [Errno.eperm],
                // Init's namespaces are the container's own, and init is not
                // dumpable: its ns links do not even open.
                "setns:/proc/1/ns/net": [Errno.eacces, Errno.eperm],
                "setns:/proc/1/ns/mnt": [Errno.eacces, Errno.eperm],
                "ptrace-attach-init": [Errno.eperm],
            ], mode: mode)
    }

    @Test(arguments: EscapeMode.allCases) func escapeSyscallsAndOtherEntryPointsAreDenied(mode: EscapeMode) throws {
        let attempts = [
            "keyctl", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "mknod-char", "mknod-block",
            "socket-raw", "socket-packet", "socket-netlink-audit", "i386", "x32",
        ]
        let results = try Probe.attempt(attempts, mode: mode)
        expectBlocked(results, Dictionary(uniqueKeysWithValues: attempts.map { ($0, [Errno.eperm]) }), mode: mode)
    }

    /// TIOCSTI and TIOCLINUX on a terminal the caller owns: the workload has
    /// no controlling terminal (new session) and the filter refuses both.
    @Test(arguments: EscapeMode.allCases) func theCallersTerminalCannotBeInjected(mode: EscapeMode) throws {
        let script =
            "exec \(NucleusBinary.path) run \(mode.flags.joined(separator: " ")) --volume \(Probe.directory):/probe:ro -- /probe/probe tiocsti tiocsti-high-bits tioclinux open-read:/dev/tty"
        // `script` gives nucleus a real terminal on stdin.
        let result = try Process.runCapturing("/usr/bin/script", ["-qec", script, "/dev/null"])
        let lines = result.stdout.replacingOccurrences(of: "\r", with: "").lines
        #expect(
            lines == ["tiocsti=1", "tiocsti-high-bits=1", "tioclinux=1", "open-read:/dev/tty=\(Errno.enxio)"],
            "\(mode.rawValue): \(result.stdout) \(result.stderr)")
    }
}
