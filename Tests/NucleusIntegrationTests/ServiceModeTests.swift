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

    /// The hook skips a setup step; production's audit must notice before the workload runs.
    @Test(arguments: [
        ("set-attributes:/", "mount audit: / is mounted", "the plan requires ro"),
        ("mount:/proc", "mount audit: /proc is not mounted", "the plan mounts it"),
    ])
    func theMountAuditRefusesASetupThatDiffersFromThePlan(_ skipped: String, _ what: String, _ why: String) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["NUCLEUS_FAULT_STEP"] = "skip:" + skipped
        let mountsBefore = try HostState.mountTable()
        let result = try NucleusBinary.run(
            ["run"] + Self.production + ["--", "/bin/sh", "-c", "echo RAN"], environment: environment)
        #expect(result.status == 125)
        #expect(!result.stdout.contains("RAN"))
        #expect(result.stderr.lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(what) && result.stderr.contains(why), "\(result.stderr)")
        #expect(try HostState.mountTable() == mountsBefore)
        // Agent mode does not audit, so the hook refuses to skip there: it
        // must never weaken a sandbox that nothing checks.
        let agent = try NucleusBinary.run(
            ["run", "--rootfs", Self.rootfs, "--", "/bin/sh", "-c", "echo RAN"], environment: environment)
        #expect(agent.status == 125 && agent.stdout.isEmpty)
        #expect(agent.stderr.contains("can be skipped"), "\(agent.stderr)")
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

/// `--require-kernel-lockdown`, against this host's real level (the QEMU
/// guest in tests/vm checks a kernel booted with lockdown=integrity).
@Suite struct KernelLockdownTests {
    /// This kernel's level, read the way an operator would.
    static func hostLevel() throws -> String {
        let text = try Process.runCapturing(
            "/usr/bin/unshare",
            [
                "-m", "/bin/sh", "-c",
                "mount -t securityfs securityfs /sys/kernel/security && cat /sys/kernel/security/lockdown",
            ]
        ).stdout
        guard let open = text.firstIndex(of: "["), let close = text.firstIndex(of: "]") else { return "absent" }
        return String(text[text.index(after: open)..<close])
    }

    @Test func aWeakerKernelIsRefusedAndAStrongEnoughOneRuns() throws {
        let level = try Self.hostLevel()
        let levels = ["none", "integrity", "confidentiality"]
        for required in ["integrity", "confidentiality"] {
            let result = try NucleusBinary.run(["run", "--require-kernel-lockdown", required, "--", "/bin/echo", "RAN"])
            if let actual = levels.firstIndex(of: level), actual >= levels.firstIndex(of: required)! {
                #expect(result.stdout == "RAN\n", "\(required) on \(level): \(result.stderr)")
            } else {
                #expect(result.status == 125)
                #expect(!result.stdout.contains("RAN"))
                #expect(
                    result.stderr
                        == "nucleus: error: --require-kernel-lockdown \(required): this kernel's lockdown is \(level)\n",
                    "\(result.stderr)")
            }
        }
        let bad = try NucleusBinary.run(["run", "--require-kernel-lockdown", "max", "--", "/bin/true"])
        #expect(bad.status == 125)
    }
}
