import NucleusFilesystem
import NucleusModel
import NucleusPlan
import NucleusResources
import Testing

@Suite struct ResourcePlanningTests {
    func plan(_ configure: (inout ResourceRequest) -> Void, host: FakeHost = FakeHost()) throws -> Plan {
        var request = Request(command: ["/bin/true"])
        configure(&request.resources)
        return try Planner.plan(request, host: host)
    }

    var unified: FakeHost {
        var host = FakeHost()
        host.cgroupLayout = CgroupLayout(
            kind: .unified, unifiedDirectory: "/sys/fs/cgroup/box",
            unifiedControllers: ["cpuset", "cpu", "io", "memory", "pids"])
        return host
    }

    @Test func v2WritesTheUnifiedFiles() throws {
        let cgroup = try #require(
            try plan(
                {
                    $0.memory = ByteSize(bytes: 100 << 20)
                    $0.cpus = 0.5
                    $0.cpuWeight = 200
                    $0.pids = 8
                    $0.ioLimits = ["8:0 rbps=1048576 wiops=10"]
                }, host: unified
            ).resources?.cgroup)
        #expect(cgroup.version == .v2)
        #expect(cgroup.parents == ["unified": "/sys/fs/cgroup/box"])
        let files = Dictionary(cgroup.settings.map { ($0.file, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(files["memory.max"] == "104857600")
        #expect(files["memory.high"] == "94371840")
        #expect(files["memory.swap.max"] == "0")
        #expect(files["cpu.max"] == "50000 100000")
        #expect(files["cpu.weight"] == "200")
        #expect(files["pids.max"] == "8")
        #expect(files["io.max"] == "8:0 rbps=1048576 wiops=10")
        #expect(Set(cgroup.controllers) == ["memory", "pids", "cpu", "io"])
    }

    /// Init joins its v1 cgroups as late as it can: the inside view's tmpfs and
    /// mount points are made before, charged to nucleus's own memory cgroup;
    /// the cgroup mounts after, from inside the new cgroup namespace.
    @Test func v1InsideViewIsPreparedBeforeTheJoinAndMountedAfterIt() throws {
        let setup = try plan({ $0.memory = ByteSize(bytes: 64 << 20) }).setup
        let join = try #require(setup.firstIndex { $0.kind == .joinCgroup })
        let prepared = setup.indices.filter {
            setup[$0].target.hasPrefix("/sys/fs/cgroup") && setup[$0].kind != .setAttributes
                && setup[$0].fstype != "cgroup"
        }
        let cgroupMounts = setup.indices.filter { setup[$0].fstype == "cgroup" }
        #expect(prepared.count >= 3 && prepared.allSatisfy { $0 < join })
        #expect(!cgroupMounts.isEmpty && cgroupMounts.allSatisfy { $0 > join })
        #expect(setup.firstIndex { $0.kind == .pivotRoot }! > cgroupMounts.max()!)
    }

    /// Co-mounted v1 controllers share one directory and one mount inside,
    /// named like the host's, with a symlink for each controller.
    @Test func coMountedControllersShareOneMountInside() {
        let cgroup = CgroupPlan(
            version: .v1,
            parents: [
                "cpu": "/sys/fs/cgroup/cpu,cpuacct/box", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct/box",
                "memory": "/sys/fs/cgroup/memory/box",
            ], settings: [], controllers: [], memoryLimit: nil)
        let steps = KernelFilesystems.cgroupSteps(cgroup, ownNetworkNamespace: true).map {
            "\($0.kind.rawValue) \($0.target) \($0.source ?? "") \($0.data ?? "")"
        }
        #expect(
            steps == [
                "mkdir /sys/fs/cgroup  ", "mount /sys/fs/cgroup tmpfs mode=0755,size=0",
                "mkdir /sys/fs/cgroup/cpu,cpuacct  ", "symlink /sys/fs/cgroup/cpu cpu,cpuacct ",
                "symlink /sys/fs/cgroup/cpuacct cpu,cpuacct ", "mkdir /sys/fs/cgroup/memory  ", "join-cgroup   ",
                "mount /sys/fs/cgroup/cpu,cpuacct cgroup cpu,cpuacct", "mount /sys/fs/cgroup/memory cgroup memory",
                "set-attributes /sys/fs/cgroup  ",
            ], "\(steps)")
    }

    @Test func v1WritesEachHierarchyBelowNucleusOwnCgroup() throws {
        var host = FakeHost()
        host.entries["/sys/fs/cgroup/memory/box/memory.memsw.limit_in_bytes"] = .file
        host.files["/sys/fs/cgroup/cpuset/cpuset.mems"] = "0\n"
        let cgroup = try #require(
            try plan(
                {
                    $0.memory = ByteSize(bytes: 64 << 20)
                    $0.memorySwap = ByteSize(bytes: 96 << 20)
                    $0.cpus = 1
                    $0.cpuWeight = 100
                    $0.cpuset = "0-1"
                    $0.pids = 0
                }, host: host
            ).resources?.cgroup)
        #expect(cgroup.version == .v1)
        #expect(cgroup.parents["memory"] == "/sys/fs/cgroup/memory/box")
        let settings = cgroup.settings.map { "\($0.hierarchy) \($0.file)=\($0.value)" }
        #expect(
            settings == [
                "memory memory.limit_in_bytes=67108864", "memory memory.memsw.limit_in_bytes=100663296",
                "cpu cpu.cfs_quota_us=100000", "cpu cpu.shares=2597",
                "cpuset cpuset.cpus=0-1", "cpuset cpuset.mems=0", "pids pids.max=max",
            ])
        // Cgroup detection looks only for the hierarchies in this list.
        #expect(Set(cgroup.parents.keys).isSubset(of: ResourcePlanner.legacyControllers))
    }

    @Test func rlimitsFollowTheFlagsAndNeverRiseAboveTheHost() throws {
        var host = FakeHost()
        host.hardLimits[7] = 2048
        let limits = try #require(try plan({ $0.pids = 16 }, host: host).resources?.rlimits)
        let byName = Dictionary(limits.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byName["NOFILE"].map { [$0.soft, $0.hard] } == [1024, 2048])
        #expect(byName["NPROC"].map { [$0.soft, $0.hard] } == [16, 16])
        #expect(byName["MEMLOCK"].map { [$0.soft, $0.hard] } == [65536, 65536])
        #expect(byName["CORE"].map { [$0.soft, $0.hard] } == [0, 0])
        #expect(throws: NucleusError.self) { try self.plan({ $0.nofile = 4096 }, host: host) }
    }

    @Test func limitsWithoutCgroupsAreBestEffortAndThePlanSaysWhy() throws {
        var host = FakeHost()
        host.cgroupLayout = CgroupLayout(kind: .unavailable("no cgroup file system at /sys/fs/cgroup"))
        let plain = try plan({ _ in }, host: host)
        #expect(plain.resources?.cgroup == nil)
        #expect(plain.mechanisms.first { $0.name == "cgroups" }?.status == .degraded)
        // Agent mode: best effort, and the plan says the limit is not enforced.
        let asked = try plan({ $0.memory = ByteSize(bytes: 64 << 20) }, host: host)
        #expect(asked.resources?.cgroup == nil)
        #expect(asked.mechanisms.first { $0.name == "cgroups" }?.detail.contains("NOT enforced: memory 64M") == true)
    }

    @Test func aCgroupTheCallerCannotWriteIsSkippedAndThePlanSaysSo() throws {
        var host = unified
        host.effectiveUID = 1000
        host.readOnlyDirectories = ["/sys/fs/cgroup/box"]
        let plain = try plan({ _ in }, host: host)
        #expect(plain.resources?.cgroup == nil)
        #expect(plain.mechanisms.first { $0.name == "cgroups" }?.detail.contains("not writable for uid 1000") == true)
        let asked = try plan({ $0.pids = 8 }, host: host)
        #expect(asked.mechanisms.first { $0.name == "cgroups" }?.status == .degraded)
        #expect(asked.mechanisms.first { $0.name == "cgroups" }?.detail.contains("NOT enforced") == true)
    }

    @Test func v1HostsUseNoCgroupUnlessALimitNeedsOne() throws {
        let plain = try plan({ _ in })
        #expect(plain.resources?.cgroup == nil)
        #expect(plain.resources?.rlimits.first { $0.name == "NPROC" }?.hard == 512)
        #expect(try plan({ $0.pids = 512 }).resources?.cgroup != nil)
        #expect(
            try plan({ $0.statsJSON = "/s.json" }).resources?.cgroup?.parents.keys.sorted() == [
                "cpuacct", "memory", "pids",
            ])
        #expect(try plan({ _ in }, host: unified).resources?.cgroup?.controllers == ["pids"])
    }

    @Test func v1DetectionLooksOnlyForTheHierarchiesTheLimitsNeed() throws {
        let host = FakeHost()
        _ = try plan({ $0.memory = ByteSize(bytes: 64 << 20) }, host: host)
        _ = try plan({ $0.cpus = 1 }, host: host)
        #expect(host.layoutRequests.controllers == [["pids", "memory"], ["pids", "cpu"]])
    }

    /// Regression: a `--cpuset` on a v1 host without a cpuset hierarchy was
    /// dropped from the plan without a word.
    @Test func aMissingV1HierarchyIsRefusedNotSkipped() {
        var host = FakeHost()
        host.cgroupLayout.legacyDirectories["cpuset"] = nil
        #expect {
            try self.plan({ $0.cpuset = "0" }, host: host)
        } throws: { error in
            "\(error)".contains("no cpuset hierarchy")
        }
    }

    @Test func missingV2ControllersAreRefused() {
        var host = unified
        host.cgroupLayout.unifiedControllers = ["memory", "pids"]
        #expect(throws: NucleusError.self) { try self.plan({ $0.cpus = 1 }, host: host) }
    }
}
