import Foundation
import Testing

/// Failures give one line and exit 125, and leave nothing behind: no process,
/// no mount on the host.
@Suite struct FailureTests {
    /// Steps at which a fault is injected, from the host side to the last mount.
    static let faultPoints = [
        "id-maps", "sethostname:", "loopback-up:", "mount:/", "bind:/usr", "write:/etc/passwd", "mount:/dev",
        "bind:/dev/null", "mount:/proc", "mount:/sys", "mount:/tmp", "pivot-root:/", "set-attributes:/",
    ]

    @Test(arguments: faultPoints)
    func aFailureAtAnyStepLeavesNothingBehind(_ point: String) throws {
        let marker = "nucleus-fault-\(getpid())-\(point.hashValue & 0xffff)"
        let mountsBefore = try HostState.mountTable()
        var environment = ProcessInfo.processInfo.environment
        environment["NUCLEUS_FAULT_STEP"] = point.replacingOccurrences(of: "write:", with: "write-file:")
        let result = try NucleusBinary.run(["run", "--", "/bin/echo", marker], environment: environment)
        #expect(result.status == 125)
        #expect(!result.stdout.contains(marker), "the workload ran despite the fault")
        #expect(result.stderr.lines.count == 1)
        #expect(result.stderr.hasPrefix("nucleus: error: "))
        #expect(result.stderr.contains("Input/output error"))
        #expect(HostState.processes(containing: marker).isEmpty)
        #expect(try HostState.mountTable() == mountsBefore)
    }

    @Test func anUnknownFaultPointIsRefused() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["NUCLEUS_FAULT_STEP"] = "mount:/nowhere"
        let result = try NucleusBinary.run(["run", "--", "/bin/true"], environment: environment)
        #expect(result.status == 125)
    }

    @Test func killingNucleusKillsTheContainer() throws {
        let marker = "31\(getpid() % 1000).5"
        let running = try NucleusBinary.start(["run", "--", "/bin/sh", "-c", "echo ready; exec sleep \(marker)"])
        #expect(running.stdout.fileHandleForReading.availableLine() == "ready")
        #expect(!HostState.processes(containing: "sleep \(marker)").isEmpty)
        kill(running.process.processIdentifier, SIGKILL)
        running.process.waitUntilExit()
        var remaining = HostState.processes(containing: "sleep \(marker)")
        for _ in 0..<50 where !remaining.isEmpty {
            usleep(20_000)
            remaining = HostState.processes(containing: "sleep \(marker)")
        }
        #expect(remaining.isEmpty, "orphaned workload: \(remaining)")
    }

    @Test func fiftyConcurrentRunsAllSucceedAndLeaveNothing() throws {
        let mountsBefore = try HostState.mountTable()
        let prefix = "conc\(getpid())x"
        let results = try (0..<50).map { index in
            try NucleusBinary.start(["run", "--name", "\(prefix)\(index)", "--", "/bin/sh", "-c", "hostname"])
        }.map(NucleusBinary.finish)
        for (index, result) in results.enumerated() {
            #expect(result.status == 0, "run \(index): \(result.stderr)")
            #expect(result.stdout == "\(prefix)\(index)\n")
        }
        #expect(try HostState.mountTable() == mountsBefore)
        #expect(HostState.processes(containing: prefix).isEmpty)
    }
}

/// `--allow-chroot-fallback`: used only when pivot_root fails (forced here by the fault hook).
@Suite struct ChrootFallbackTests {
    static var faultAtPivot: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["NUCLEUS_FAULT_STEP"] = "pivot-root:/"
        return environment
    }

    @Test func withoutTheFlagAFailedPivotRootIsFatal() throws {
        let result = try NucleusBinary.run(["run", "--", "/bin/echo", "RAN"], environment: Self.faultAtPivot)
        #expect(result.status == 125)
        #expect(!result.stdout.contains("RAN"))
        #expect(result.stderr.contains("pivot_root"))
    }

    @Test func withTheFlagTheContainerRunsChrootedAndStillIsolated() throws {
        let result = try NucleusBinary.run(
            [
                "run", "--allow-chroot-fallback", "--", "/bin/sh", "-c",
                "ls / | tr '\\n' ' '; test -e /root && echo HOST-ROOT; grep CapEff /proc/self/status",
            ],
            environment: Self.faultAtPivot)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("HOST-ROOT"))
        #expect(result.stdout.contains("CapEff:\t0000000000000000"))
        let plan = try NucleusBinary.run(["run", "--dry-run", "--allow-chroot-fallback", "--", "/bin/true"])
        #expect(plan.stdout.contains("degraded  root_filesystem"))
    }
}
