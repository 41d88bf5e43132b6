import Foundation
import Testing

/// Resource limits on this host's cgroups (v1 hierarchies of a hybrid host
/// here), observed from inside.
@Suite(.serialized) struct ResourceTests {
    /// The cgroup directories nucleus `pid` made under the hierarchies it
    /// uses. Named by pid, because other suites start containers meanwhile.
    static func cgroups(of pid: Int32) -> Set<String> {
        let membership = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        var found: Set<String> = []
        for line in membership.lines {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let mount = fields[0] == "0" ? "/sys/fs/cgroup" : "/sys/fs/cgroup/" + fields[1]
            let directory = mount + (fields[2] == "/" ? "" : String(fields[2]))
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            where name.hasPrefix("nucleus-\(pid)-") {
                found.insert(directory + "/" + name)
            }
        }
        return found
    }

    @Test func theBackEndIsDetectedAndCanBeOverriddenForTests() throws {
        let detected = try NucleusBinary.run(["run", "--dry-run", "--memory", "64M", "--", "/bin/true"])
        #expect(detected.stdout.contains("enforced  cgroups          cgroup v1 (hybrid host)"), "\(detected.stdout)")
        let root = "/tmp/nucleus-cgroup-root-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "cpuset cpu io memory pids\n".write(toFile: root + "/cgroup.controllers", atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["NUCLEUS_CGROUP_ROOT"] = root
        let overridden = try NucleusBinary.run(
            ["run", "--dry-run", "--memory", "64M", "--", "/bin/true"], environment: environment)
        #expect(overridden.stdout.contains("cgroup v2 child of \(root)"), "\(overridden.stdout)")
    }

    @Test func theCgroupNamespaceIsRootedAtTheContainersCgroup() throws {
        let result = try NucleusBinary.sh("cat /proc/self/cgroup")
        for line in result.stdout.lines {
            #expect(line.hasSuffix(":/"), "\(line)")
        }
    }

    @Test func toolsFindTheirLimitsReadOnlyUnderSysFsCgroup() throws {
        let result = try NucleusBinary.sh(
            "cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes pids/pids.max cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us;"
                + " echo 1 > pids/pids.max",
            flags: ["--memory", "64M", "--pids", "20", "--cpus", "0.5"])
        // The period is the kernel's default for a new cgroup, which nucleus relies on.
        #expect(result.stdout.lines == ["67108864", "20", "50000", "100000"], "\(result.stderr)")
        #expect(result.stderr.contains("Read-only file system"))
    }

    /// Hierarchies mounted somewhere other than `/sys/fs/cgroup/<controllers>`
    /// are found through mountinfo (the fast path looks only there). The test
    /// mounts memory and pids elsewhere in a private mount namespace.
    @Test func hierarchiesMountedElsewhereAreFoundThroughMountinfo() throws {
        let script = """
            mount -t tmpfs tmpfs /sys/fs/cgroup && mkdir /sys/fs/cgroup/m /sys/fs/cgroup/p \
            && mount -t cgroup -o memory cgroup /sys/fs/cgroup/m && mount -t cgroup -o pids cgroup /sys/fs/cgroup/p \
            && echo $$ && exec \(NucleusBinary.path) run --memory 48M --pids 20 -- \
            /bin/cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
            """
        let result = try Process.runCapturing(
            "/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.lines
        #expect(Array(lines.dropFirst()) == ["50331648", "20"], "\(result.stderr)")
        let pid = try #require(lines.first.flatMap { Int32($0) })
        #expect(Self.cgroups(of: pid).isEmpty)
    }

    /// Regression: `--cpuset` on a v1 host without a cpuset hierarchy was
    /// dropped from the plan and the start went on without it. The hierarchy
    /// is unmounted in a private mount namespace only; the host keeps it.
    @Test func aLimitWithoutItsHierarchyIsRefusedAndLeavesNothing() throws {
        let script = """
            umount /sys/fs/cgroup/cpuset && echo $$ && exec \(NucleusBinary.path) run --cpuset 0 --memory 48M -- \
            /bin/echo started
            """
        let result = try Process.runCapturing(
            "/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script])
        #expect(result.status == 125)
        #expect(result.stderr == "nucleus: error: cgroup v1: no cpuset hierarchy is mounted\n", "\(result.stderr)")
        let lines = result.stdout.lines
        #expect(lines.count == 1, "the workload must not start: \(result.stdout)")
        let pid = try #require(lines.first.flatMap { Int32($0) })
        #expect(Self.cgroups(of: pid).isEmpty)
    }

    /// On v1 init moves itself into its cgroups through `tasks` files
    /// nucleus opened for it as root: none of them reaches the workload.
    @Test func joiningTheCgroupLeavesNoDescriptorBehind() throws {
        let result = try NucleusBinary.sh("ls /proc/self/fd", flags: ["--memory", "64M", "--pids", "20"])
        #expect(result.stdout.lines == ["0", "1", "2", "3"], "\(result.stderr)")
    }

    @Test func exceedingMemoryIsAnOOMKillReportedAsSuch() throws {
        let result = try NucleusBinary.run([
            "run", "--memory", "32M", "--", "/usr/bin/python3", "-c", "x = bytearray(200 * 1024 * 1024)",
        ])
        #expect(result.status == 137)
        #expect(result.stderr.contains("nucleus: out of memory (limit 32M)"), "\(result.stderr)")
        #expect(Self.cgroups(of: result.pid).isEmpty)
    }

    @Test func forkFailsWithEAGAINPastThePidLimit() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fork-until-refused.py")
        let result = try NucleusBinary.run([
            "run", "--pids", "8", "--", "/usr/bin/python3", "-c", try String(contentsOf: script, encoding: .utf8),
        ])
        #expect(result.stdout == "fork failed: EAGAIN\n", "\(result.stderr)")
    }

    @Test func halfACPUGivesAboutHalfTheCPUTime() throws {
        let stats = "/tmp/nucleus-stats-\(getpid()).json"
        defer { unlink(stats) }
        let result = try NucleusBinary.run([
            "run", "--cpus", "0.5", "--stats-json", stats, "--", "/usr/bin/timeout", "2", "/bin/sh", "-c",
            "while :; do :; done",
        ])
        #expect(result.status == 124)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats)))
        let report = try #require(object as? [String: Any])
        let cpu = try #require(report["cpu_seconds"] as? Double)
        let wall = try #require(report["wall_time_seconds"] as? Double)
        #expect(wall >= 1.9)
        // 0.5 CPU over 2 s is 1 s; wide enough for a noisy shared machine.
        #expect(cpu > 0.6 && cpu < 1.4, "cpu \(cpu)")
        #expect(report["oom_kills"] as? Int == 0)
        #expect((report["memory_peak_bytes"] as? Int ?? 0) > 0)
    }

    @Test func rlimitsAreSetAndShownInsideProcSelfLimits() throws {
        let defaults = try NucleusBinary.sh(
            "grep -E '^Max (open files|processes|locked memory|core file size)' /proc/self/limits")
        let rows = defaults.stdout.lines.map {
            $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        }
        #expect(rows.contains("Max core file size 0 0 bytes"))
        #expect(rows.contains("Max processes 512 512 processes"))
        #expect(rows.contains("Max open files 1024 4096 files"))
        #expect(rows.contains("Max locked memory 65536 65536 bytes"))
        let custom = try NucleusBinary.sh(
            "ulimit -n; grep -E '^Max locked memory' /proc/self/limits", flags: ["--nofile", "100", "--memlock", "1M"])
        #expect(custom.stdout.lines.first == "100")
        #expect(custom.stdout.contains("1048576"))
    }

    @Test func impossibleValuesAreRefusedBeforeStart() throws {
        for flags in [
            ["--memory", "0"], ["--memory", "-5M"], ["--memory", "lots"], ["--cpus", "0"], ["--cpus", "999"],
            ["--cpu-weight", "0"], ["--cpu-weight", "10001"], ["--pids", "-1"], ["--cpuset", "99"],
            ["--memory-swap", "64M"], ["--memory", "64M", "--memory-swap", "32M"], ["--io-limit", "8:0 fast=1"],
            ["--nofile", "0"], ["--nofile", "999999999"],
        ] {
            let result = try NucleusBinary.run(["run"] + flags + ["--", "/bin/echo", "RAN"])
            #expect(result.status != 0, "\(flags)")
            #expect(!result.stdout.contains("RAN"))
            #expect(result.stderr.lines.count == 1, "\(flags): \(result.stderr)")
            #expect(Self.cgroups(of: result.pid).isEmpty)
        }
    }

    @Test func nothingIsLeftAfterAnyKindOfEnd() throws {
        let ended = try NucleusBinary.sh("true", flags: ["--memory", "64M"])
        let killed = try NucleusBinary.sh("kill -9 $$", flags: ["--memory", "64M"])
        var environment = ProcessInfo.processInfo.environment
        environment["NUCLEUS_FAULT_STEP"] = "after-cgroup"
        let injected = try NucleusBinary.run(["run", "--memory", "64M", "--", "/bin/true"], environment: environment)
        #expect(injected.status == 125)
        #expect(injected.stderr.contains("injected fault"))
        for run in [ended, killed, injected] { #expect(Self.cgroups(of: run.pid).isEmpty) }
    }

    /// A health check is in the container's cgroups (HealthTests): one still
    /// running when the workload ends is killed with them, and they go.
    @Test func aHealthCheckStillRunningAtTheEndLeavesNothing() throws {
        let marker = "33\(getpid() % 1000).5"
        let result = try NucleusBinary.run([
            "run", "--memory", "64M", "--health-cmd", "sleep \(marker)", "--health-interval", "0.1",
            "--health-timeout", "60", "--health-start-period", "0", "--", "/bin/sleep", "1",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.cgroups(of: result.pid).isEmpty)
        #expect(HostState.processes(containing: "sleep \(marker)").isEmpty)
    }

    @Test func aKilledNucleusLeavesNoProcessAndItsCgroupGoesAtTheNextStart() throws {
        let marker = "32\(getpid() % 1000).5"
        let running = try NucleusBinary.start([
            "run", "--memory", "64M", "--", "/bin/sh", "-c", "echo ready; exec sleep \(marker)",
        ])
        #expect(running.stdout.fileHandleForReading.availableLine() == "ready")
        let pid = running.process.processIdentifier
        #expect(!Self.cgroups(of: pid).isEmpty)
        kill(pid, SIGKILL)
        running.process.waitUntilExit()
        for _ in 0..<100 where !HostState.processes(containing: "sleep \(marker)").isEmpty { usleep(20_000) }
        #expect(HostState.processes(containing: "sleep \(marker)").isEmpty)
        // The next start that uses the same hierarchies sweeps what the killed one left.
        _ = try NucleusBinary.sh("true", flags: ["--memory", "64M"])
        #expect(Self.cgroups(of: pid).isEmpty)
    }

    /// `nucleus gc` sweeps a killed nucleus's cgroups without waiting for a start.
    @Test func gcRemovesTheCgroupsOfAKilledNucleus() throws {
        let running = try NucleusBinary.start([
            "run", "--memory", "64M", "--pids", "16", "--", "/bin/sh", "-c", "echo ready; exec sleep 30",
        ])
        #expect(running.stdout.fileHandleForReading.availableLine() == "ready")
        let pid = running.process.processIdentifier
        kill(pid, SIGKILL)
        running.process.waitUntilExit()
        usleep(100_000)
        #expect(!Self.cgroups(of: pid).isEmpty, "left behind by the kill")
        let gc = try NucleusBinary.run(["gc"])
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(gc.stdout.contains("cgroup(s)"), "\(gc.stdout)")
        #expect(Self.cgroups(of: pid).isEmpty)
    }

    @Test func twoHundredRunsLeaveTheCgroupTreeAsItWas() throws {
        var pids: [Int32] = []
        for _ in 0..<200 {
            let result = try NucleusBinary.run(["run", "--memory", "64M", "--pids", "16", "--", "/bin/true"])
            #expect(result.status == 0)
            pids.append(result.pid)
        }
        #expect(pids.allSatisfy { Self.cgroups(of: $0).isEmpty })
    }
}
