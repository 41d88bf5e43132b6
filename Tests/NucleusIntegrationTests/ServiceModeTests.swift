import Foundation
import Testing

/// `--service-mode`: every cell of the decision table that refuses or
/// requires something, through the real binary; nothing starts on a refusal.
@Suite struct ServiceModeTests {
    /// A busybox root for production, which requires `--rootfs`.
    static let rootfs: String = {
        let root = "/srv/nucleus-production-root-\(getpid())"
        try? FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try? FileManager.default.copyItem(atPath: "/bin/busybox", toPath: root + "/bin/busybox")
        try? FileManager.default.createSymbolicLink(atPath: root + "/bin/sh", withDestinationPath: "busybox")
        return root
    }()

    static let production = ["--service-mode", "production", "--rootfs", rootfs, "--memory", "64M"]
    static let strict = ["--service-mode", "strict-agent"]

    struct Cell: Sendable, CustomStringConvertible {
        var flags: [String]
        var refusal: String
        var description: String { flags.joined(separator: " ") }
    }

    static var refused: [Cell] {
        var cells: [Cell] = []
        for (mode, base) in [("strict-agent", strict), ("production", production)] {
            cells += [
                Cell(
                    flags: base + ["--allow-degraded-security"],
                    refusal: "--allow-degraded-security is refused in \(mode) mode"),
                Cell(
                    flags: base + ["--allow-chroot-fallback"],
                    refusal: "--allow-chroot-fallback is refused in \(mode) mode"),
                Cell(
                    flags: base + ["--network", "host", "--allow-host-network"],
                    refusal: "--network host is refused in \(mode) mode"),
                Cell(
                    flags: base + ["--seccomp-mode", "trace", "--seccomp-log", "/tmp/t.ndjson"],
                    refusal: "--seccomp-mode trace is refused in \(mode) mode"),
                Cell(
                    flags: base + ["--seccomp-allow", "ptrace"],
                    refusal: "\(mode) mode refuses degraded security: seccomp"),
            ]
        }
        cells += [
            Cell(flags: ["--strict-agent", "--allow-degraded-security"], refusal: "refused in strict-agent mode"),
            Cell(
                flags: ["--service-mode", "mitos-agent", "--allow-chroot-fallback"],
                refusal: "refused in strict-agent mode"),
            Cell(
                flags: ["--service-mode", "production", "--memory", "64M"], refusal: "production mode requires --rootfs"
            ),
            Cell(
                flags: ["--service-mode", "production", "--rootfs", rootfs],
                refusal: "production mode requires --memory"),
            Cell(
                flags: production + ["--workspace", "/tmp", "--workspace-exec"],
                refusal: "--workspace-exec on a writable workspace is refused in production mode"),
            Cell(flags: production + ["--trust-level", "untrusted"], refusal: "needs the gVisor runtime"),
            Cell(flags: ["--service-mode", "paranoid"], refusal: "--service-mode paranoid: expected agent"),
        ]
        return cells
    }

    @Test(arguments: refused)
    func refusedCellsStopBeforeStart(_ cell: Cell) throws {
        let result = try NucleusBinary.run(["run"] + cell.flags + ["--", "/bin/echo", "RAN"])
        #expect(result.status == 125, "\(cell)")
        #expect(!result.stdout.contains("RAN"))
        #expect(result.stderr.lines.count == 1, "\(cell): \(result.stderr)")
        #expect(result.stderr.contains(cell.refusal), "\(cell): \(result.stderr)")
    }

    @Test func agentModeAllowsWhatTheOthersRefuseAndWarns() throws {
        let degraded = try NucleusBinary.sh("echo ran", flags: ["--seccomp-allow", "ptrace"])
        #expect(degraded.stdout == "ran\n")
        #expect(degraded.stderr.contains("degraded: seccomp"))
        let accepted = try NucleusBinary.sh(
            "echo ran", flags: ["--seccomp-allow", "ptrace", "--allow-degraded-security"])
        #expect(accepted.stdout == "ran\n")
        #expect(!accepted.stderr.contains("degraded"))
        let host = try NucleusBinary.sh("echo ran", flags: ["--network", "host", "--allow-host-network"])
        #expect(host.stdout == "ran\n")
    }

    @Test func strictAgentRequiresAndGetsACgroupEvenOnAV1Host() throws {
        let plan = try NucleusBinary.run(["run", "--dry-run"] + Self.strict + ["--", "/bin/true"])
        #expect(plan.stdout.contains("nucleus plan (strict-agent mode)"))
        #expect(plan.stdout.contains("enforced  cgroups          cgroup"), "\(plan.stdout)")
        #expect(!plan.stdout.contains("degraded"))
        let run = try NucleusBinary.sh("cat /proc/self/cgroup | grep -c ':/$'", flags: Self.strict)
        #expect(run.status == 0, "\(run.stderr)")
    }

    @Test func productionRunsFromItsRootfsWithHiddenPids() throws {
        let result = try NucleusBinary.run(
            ["run"] + Self.production + [
                "--", "/bin/sh", "-c", "busybox grep ' /proc ' /proc/self/mountinfo; echo production",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("hidepid=invisible"))
        #expect(result.stdout.hasSuffix("production\n"))
    }
}
