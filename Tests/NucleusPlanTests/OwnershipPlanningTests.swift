import NucleusFilesystem
import NucleusIsolation
import NucleusModel
import NucleusPlan
import Testing

@Suite struct CopyInOutPlanningTests {
    @Test func theWorkspaceBindComesFromAStagingCopyOwnedLikeTheSource() throws {
        var host = FakeHost()
        host.entries["/srv"] = .directory
        host.entries["/srv/project"] = .directory
        host.owners["/srv/project"] = (1234, 4321)
        var request = Request(command: ["/bin/true"])
        request.workspace = Workspace(source: "/srv/project", mode: .copyInOut)
        let plan = try Planner.plan(request, host: host)
        let bind = try #require(plan.step(.bind, "/workspace"))
        #expect(bind.stagedWorkspace == StagedWorkspace(source: "/srv/project", owner: FileOwner(uid: 1234, gid: 4321)))
        #expect(bind.idmap?.diskUID == 1234)
        #expect(!bind.options.contains(.readOnly))
        #expect(bind.summary.contains("staging copy of /srv/project"))
        #expect(plan.mechanisms.first { $0.name == "workspace" }?.detail.contains("all or none") == true)
    }
}

@Suite struct OwnershipFallbackTests {
    var host: FakeHost {
        var host = FakeHost()
        for path in ["/srv", "/srv/a", "/srv/b", "/srv/c"] { host.entries[path] = .directory }
        host.owners["/srv/a"] = (1234, 1234)
        host.owners["/srv/b"] = (1234, 1234)
        host.owners["/srv/c"] = (4321, 4321)
        return host
    }

    func plan(_ volumes: [String], host: FakeHost) throws -> Plan {
        var request = Request(command: ["/bin/true"])
        request.user = "1000"
        request.volumes = volumes.map { VolumeMount(source: $0, destination: "/mnt" + $0, readOnly: false) }
        return try Planner.plan(request, host: host)
    }

    @Test func carvingOutMapsOnlyTheWorkloadsIds() throws {
        let range = try UserNamespaceMapping.plan(euid: 0, egid: 0, base: 100_000)
        let carved = try #require(
            UserNamespaceMapping.carvingOut(range, uid: 1000, hostUID: 1234, gid: 100, hostGID: 1234))
        #expect(
            carved.uidMap == [
                IDMapEntry(containerID: 0, hostID: 100_000, count: 1000),
                IDMapEntry(containerID: 1000, hostID: 1234, count: 1),
                IDMapEntry(containerID: 1001, hostID: 101_001, count: 64_535),
            ])
        #expect(carved.gidMap[1] == IDMapEntry(containerID: 100, hostID: 1234, count: 1))
        let atZero = try #require(UserNamespaceMapping.carvingOut(range, uid: 0, hostUID: 7, gid: 0, hostGID: 7))
        #expect(atZero.uidMap.first == IDMapEntry(containerID: 0, hostID: 7, count: 1))
        #expect(UserNamespaceMapping.carvingOut(range, uid: 1000, hostUID: 100_500, gid: 0, hostGID: 7) == nil)
    }

    @Test func idmappableFileSystemsKeepTheSingleRange() throws {
        let plan = try plan(["/srv/a", "/srv/c"], host: host)
        #expect(plan.idMapping.uidMap.count == 1)
        #expect(plan.step(.bind, "/mnt/srv/a")?.idmap != nil)
        #expect(plan.mechanisms.first { $0.name == "volume_ownership" }?.status == .enforced)
    }

    @Test func oneOwnerOnAFileSystemThatCannotBeIdmappedGetsTheUidMap() throws {
        var host = host
        host.notIdmappable = ["/srv/a"]
        let plan = try plan(["/srv/a", "/srv/b", "/srv/c"], host: host)
        #expect(plan.idMapping.uidMap[1] == IDMapEntry(containerID: 1000, hostID: 1234, count: 1))
        #expect(plan.step(.bind, "/mnt/srv/a")?.idmap == nil)
        #expect(plan.step(.bind, "/mnt/srv/b")?.idmap == nil)
        #expect(plan.step(.bind, "/mnt/srv/c")?.idmap?.hostUID == 1234)
        let ownership = try #require(plan.mechanisms.first { $0.name == "volume_ownership" })
        #expect(ownership.status == .enforced)
        #expect(ownership.detail.contains("1234:1234"))
    }

    @Test func twoOwnersThatCannotBeIdmappedAreDegradedAndSaySo() throws {
        var host = host
        host.notIdmappable = ["/srv/a", "/srv/c"]
        let plan = try plan(["/srv/a", "/srv/c"], host: host)
        #expect(plan.idMapping.uidMap.count == 1)
        #expect(plan.step(.bind, "/mnt/srv/a")?.idmap == nil)
        let ownership = try #require(plan.mechanisms.first { $0.name == "volume_ownership" })
        #expect(ownership.status == .degraded)
        #expect(ownership.detail.contains("different owners"))
    }
}

@Suite struct ServiceModePlanningTests {
    func plan(_ mode: ServiceMode, host: FakeHost, configure: (inout Request) -> Void = { _ in }) throws -> Plan {
        var request = Request(command: ["/bin/true"])
        var host = host
        request.serviceMode = mode
        if mode == .production {
            for path in ["/srv", "/srv/root", "/srv/root/usr"] { host.entries[path] = .directory }
            request.rootfs = "/srv/root"
            request.resources.memory = ByteSize(bytes: 64 << 20)
        }
        configure(&request)
        return try Planner.plan(request, host: host)
    }

    @Test func landlockFloorsFollowTheMode() throws {
        var host = FakeHost()
        host.landlockABI = 5
        #expect(throws: NucleusError.self) { try self.plan(.strictAgent, host: host) }
        host.landlockABI = 6
        #expect(try plan(.strictAgent, host: host).mode == "strict-agent")
        host.landlockABI = 2
        #expect(throws: NucleusError.self) { try self.plan(.production, host: host) }
        host.landlockABI = 0
        #expect(throws: NucleusError.self) { try self.plan(.strictAgent, host: host) }
        #expect(try plan(.agent, host: host).landlock == nil)
    }

    @Test func cgroupsAreRequiredOutsideAgentMode() throws {
        var host = FakeHost()
        host.cgroupLayout = CgroupLayout(kind: .unavailable("no cgroup file system at /sys/fs/cgroup"))
        #expect(throws: NucleusError.self) { try self.plan(.strictAgent, host: host) }
        #expect(throws: NucleusError.self) { try self.plan(.production, host: host) }
        #expect(try plan(.agent, host: host).resources?.cgroup == nil)
        #expect(try plan(.strictAgent, host: FakeHost()).resources?.cgroup != nil)
    }

    @Test func productionHidesOtherPids() throws {
        let plan = try plan(.production, host: FakeHost())
        #expect(plan.step(.mount, "/proc")?.data == "hidepid=invisible")
        #expect(try self.plan(.agent, host: FakeHost()).step(.mount, "/proc")?.data == nil)
    }
}
