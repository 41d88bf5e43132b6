import Foundation
import Testing

/// The runtime itself as a way out: its binary (CVE-2019-5736), descriptors
/// and working directory it leaves behind (CVE-2024-21626).
@Suite(.serialized) struct RuntimeEscapeTests {
    /// PID 1 is a clone of nucleus, so `/proc/1/exe` would be nucleus's own
    /// binary: init is non-dumpable before the workload starts, so neither
    /// the link nor the file behind it opens. The workload's own executable
    /// is a read-only host file it does not own.
    @Test(arguments: EscapeMode.allCases) func theRuntimeBinaryIsNeitherWritableNorReachable(mode: EscapeMode) throws {
        let results = try Probe.attempt(
            [
                "open-write:/proc/1/exe", "open-read:/proc/1/exe", "readlink:/proc/1/exe", "open-write:/proc/self/exe",
                "proc-pids",
            ], mode: mode)
        expectBlocked(
            results,
            [
                "open-write:/proc/1/exe": [Errno.eacces], "open-read:/proc/1/exe": [Errno.eacces],
                "readlink:/proc/1/exe": [Errno.eacces], "open-write:/proc/self/exe": [Errno.eacces, Errno.erofs],
            ], mode: mode)
        #expect(results["proc-pids"] == 2, "only init and the workload are visible: no host process")
    }

    /// A descriptor the caller left open is closed before the workload runs,
    /// and the workload's directory is inside its root.
    @Test(arguments: EscapeMode.allCases) func noHostDescriptorOrDirectoryReachesTheWorkload(mode: EscapeMode) throws {
        let script =
            "exec 3</etc 4</; exec \(NucleusBinary.path) run \(mode.flags.joined(separator: " ")) --volume \(Probe.directory):/probe:ro -- /probe/probe extra-fds cwd-reachable open-read:/proc/self/fd/3"
        let result = try Process.runCapturing("/bin/sh", ["-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.lines == ["extra-fds=0", "cwd-reachable=0", "open-read:/proc/self/fd/3=\(Errno.enoent)"])
    }

    /// `--workdir /proc/self/fd/N` is refused by the planner; a symlink in a
    /// `--rootfs` that points there is caught by init after chdir, because
    /// inherited descriptors are still open (close-on-exec) at that moment.
    @Test(arguments: EscapeMode.allCases) func aWorkdirThroughAnInheritedDescriptorIsRefused(mode: EscapeMode) throws {
        let planned = try NucleusBinary.run(["run"] + mode.flags + ["--workdir", "/proc/self/fd/3", "--", "/bin/true"])
        #expect(planned.status == 125)
        #expect(planned.stderr.contains("may not lie in /proc"), "\(planned.stderr)")
        let root = try RootfsFixture.busybox()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // In bin/: --rootfs brings its usr, bin, sbin and lib trees.
        try FileManager.default.createSymbolicLink(atPath: root + "/bin/work", withDestinationPath: "/proc/self/fd/3")
        let script =
            "exec 3</etc; exec \(NucleusBinary.path) run \(mode.flags.joined(separator: " ")) --rootfs \(root) --workdir /bin/work -- /bin/sh -c 'ls ..; cat passwd'"
        let result = try Process.runCapturing("/bin/sh", ["-c", script])
        #expect(result.status == 125, "\(result.stdout)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("lies outside the container's root"), "\(result.stderr)")
    }
}

/// A minimal root for `--rootfs`: busybox and its `sh`, `ls` and `cat`.
enum RootfsFixture {
    static func busybox() throws -> String {
        let root = "/tmp/nucleus-escape-root-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: root + "/bin/busybox")
        for tool in ["sh", "ls", "cat"] {
            try FileManager.default.createSymbolicLink(atPath: root + "/bin/" + tool, withDestinationPath: "busybox")
        }
        return root
    }
}
