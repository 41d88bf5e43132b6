import NucleusModel
import NucleusPlan
import Testing

@Suite struct PlannerTests {
    let host = FakeHost()

    func plan(_ configure: (inout Request) -> Void = { _ in }, host: FakeHost? = nil) throws -> Plan {
        try (host ?? self.host).plan(configure)
    }

    func refusal(_ configure: (inout Request) -> Void, host: FakeHost? = nil) -> String? {
        (host ?? self.host).refusal(configure)
    }

    @Test func defaultPlanCreatesEveryNamespaceButTime() throws {
        #expect(try plan().namespaces == [.user, .pid, .mount, .network, .uts, .ipc, .cgroup])
        #expect(try plan { $0.timeNamespace = true }.namespaces.last == .time)
    }

    @Test func hostRootGetsAnUnprivilegedRangeAndRootlessMapsTheCaller() throws {
        let root = try plan { $0.usernsBase = 300_000 }.idMapping
        #expect(root.uidMap == [IDMapEntry(containerID: 0, hostID: 300_000, count: 65_536)])
        #expect(root.setgroupsAllowed)
        var user = FakeHost()
        user.effectiveUID = 1000
        user.effectiveGID = 1001
        let rootless = try plan(host: user).idMapping
        #expect(rootless.uidMap == [IDMapEntry(containerID: 0, hostID: 1000, count: 1)])
        #expect(rootless.gidMap == [IDMapEntry(containerID: 0, hostID: 1001, count: 1)])
        #expect(!rootless.setgroupsAllowed)
        #expect(refusal({ $0.user = "1000" }, host: user)?.contains("rootless") == true)
    }

    @Test func usernsBaseMustLeaveRoomForTheRange() {
        #expect(refusal { $0.usernsBase = 0 } != nil)
        #expect(refusal { $0.usernsBase = UInt32.max - 10 } != nil)
    }

    @Test func usrMergeSymlinksAreRecreatedNotBoundTwice() throws {
        let plan = try plan()
        #expect(plan.step(.bind, "/usr")?.source == "/usr")
        #expect(plan.step(.bind, "/usr")?.options == [.readOnly, .noSuid, .noDev])
        #expect(plan.step(.symlink, "/bin")?.source == "usr/bin")
        #expect(plan.step(.symlink, "/lib64")?.source == "usr/lib64")
        #expect(plan.setup.filter { $0.kind == .bind && $0.target == "/bin" }.isEmpty)
    }

    @Test func splitUsrHostsBindEachTree() throws {
        var split = FakeHost()
        split.entries["/bin"] = .directory
        split.entries["/lib"] = .directory
        let plan = try plan(host: split)
        #expect(plan.step(.bind, "/bin")?.source == "/bin")
        #expect(plan.step(.bind, "/lib")?.source == "/lib")
    }

    @Test func rootfsReplacesTheHostTrees() throws {
        var host = FakeHost()
        host.entries["/srv"] = .directory
        host.entries["/srv/root"] = .directory
        host.entries["/srv/root/bin"] = .directory
        let plan = try plan({ $0.rootfs = "/srv/root" }, host: host)
        #expect(plan.step(.bind, "/bin")?.source == "/srv/root/bin")
        #expect(plan.step(.bind, "/usr") == nil)
        #expect(refusal({ $0.rootfs = "/missing" }, host: host)?.contains("/missing") == true)
        host.entries["/srv/empty"] = .directory
        #expect(refusal({ $0.rootfs = "/srv/empty" }, host: host)?.contains("has none of") == true)
    }

    @Test func etcHoldsGeneratedFilesAndOnlyTheAllowedHostEntries() throws {
        let plan = try plan {
            $0.user = "1000"; $0.group = "1000"; $0.name = "box1"
        }
        let generated = plan.setup.filter { $0.kind == .writeFile && $0.target.hasPrefix("/etc/") }.map(\.target)
        #expect(generated.contains("/etc/passwd"))
        #expect(
            plan.step(.writeFile, "/etc/passwd")?.data?.contains("agent:x:1000:1000:agent:/home/agent:/bin/sh") == true)
        #expect(plan.step(.writeFile, "/etc/hostname")?.data == "box1\n")
        let bound = Set(plan.setup.filter { $0.kind == .bind && $0.target.hasPrefix("/etc/") }.map(\.target))
        #expect(bound == ["/etc/ssl", "/etc/ld.so.cache", "/etc/alternatives"])
    }

    @Test func procIsReadOnlyUnlessAskedAndItsTunablesStayReadOnly() throws {
        let readOnly = try plan()
        #expect(readOnly.step(.mount, "/proc")?.options.contains(.readOnly) == true)
        #expect(readOnly.step(.bind, "/proc/sys") == nil)
        let readWrite = try plan { $0.procReadWrite = true }
        #expect(readWrite.step(.mount, "/proc")?.options.contains(.readOnly) == false)
        #expect(readWrite.step(.bind, "/proc/sys")?.options.contains(.readOnly) == true)
        #expect(readOnly.step(.bind, "/proc/kcore")?.source == "/dev/null")
        #expect(readOnly.step(.bind, "/proc/kcore")?.optional == true)
    }

    @Test func sysExistsOnlyWithTheContainersOwnNetwork() throws {
        #expect(try plan().step(.mount, "/sys") != nil)
        let host = try plan {
            $0.network = .host; $0.allowHostNetwork = true
        }
        #expect(host.step(.mount, "/sys") == nil)
        #expect(host.step(.loopbackUp, "") == nil)
        #expect(host.mechanisms.first { $0.name == "network" }?.status == .degraded)
        #expect(refusal { $0.network = .host }?.contains("--allow-host-network") == true)
    }

    @Test func stepsRunInASafeOrder() throws {
        let plan = try plan()
        let pivot = try #require(plan.index(.pivotRoot, "/"))
        #expect(pivot == plan.setup.count - 2)
        #expect(plan.setup.last == .setAttributes("/", options: [.readOnly, .noSuid, .noDev, .noExec]))
        #expect(plan.index(.mount, "/")! < plan.index(.bind, "/usr")!)
        #expect(plan.index(.bind, "/dev/null")! < plan.index(.bind, "/proc/kcore")!)
        #expect(plan.index(.mount, "/dev/pts")! < plan.index(.setAttributes, "/dev")!)
        for (index, step) in plan.setup.enumerated() where step.kind == .mount || step.kind == .bind {
            let directory = plan.setup[..<index].contains {
                $0.target == step.target && ($0.kind == .makeDirectory || $0.kind == .writeFile)
            }
            #expect(step.target == "/" || directory || step.optional, "\(step.target) has no mount point")
        }
    }

    @Test func scratchMountsAreHardenedAndOwnedByTheWorkload() throws {
        let plan = try plan {
            $0.user = "1000"; $0.home = "/work/me"
        }
        let home = try #require(plan.step(.mount, "/work/me"))
        #expect(home.options == .hardened)
        #expect(home.data?.contains("mode=0700,uid=1000,gid=1000") == true)
        #expect(plan.step(.mount, "/tmp")?.data?.hasPrefix("mode=1777") == true)
        #expect(plan.step(.makeDirectory, "/work") != nil)
        #expect(refusal { $0.home = "/proc/x" } != nil)
        #expect(refusal { $0.home = "/workspace" } != nil)
        #expect(refusal { $0.home = "/context/me" } != nil)
        #expect(refusal { $0.home = "home" } != nil)
        #expect(refusal { $0.home = "/a/../b" } != nil)
    }

    @Test func timeOffsetsNeedTheTimeNamespace() throws {
        #expect(refusal { $0.timeOffsetBoottime = 5 } != nil)
        let plan = try plan {
            $0.timeNamespace = true; $0.timeOffsetMonotonic = -3
        }
        #expect(plan.setup.first?.kind == .timeOffsets)
        #expect(plan.setup.first?.data == "monotonic -3 0\nboottime 0 0\n")
    }

    @Test func preservedDescriptorsMustBeOpen() throws {
        var host = FakeHost()
        host.openDescriptors = [0, 1, 2, 3]
        #expect(try plan({ $0.preserveFDs = 1 }, host: host).process.preserveFDs == 1)
        #expect(refusal({ $0.preserveFDs = 2 }, host: host)?.contains("fd 4") == true)
        #expect(refusal { $0.preserveFDs = -1 } != nil)
    }

    @Test func emptyCommandAndBadWorkdirAreRefused() throws {
        #expect(refusal { $0.command = [] }?.contains("no command") == true)
        #expect(refusal { $0.workdir = "relative" } != nil)
        #expect(refusal { $0.workdir = "/proc/self/fd/3" }?.contains("may not lie in /proc") == true)
        #expect(refusal { $0.workdir = "/proc" } != nil)
        #expect(try plan { $0.workdir = "/process" }.process.workdir == "/process")
    }

    @Test func weakerKernelsAreShownAsDegraded() throws {
        let degraded = try plan().mechanisms.filter { $0.status == .degraded }.map(\.name)
        #expect(degraded == [])
        var oldKernel = FakeHost()
        oldKernel.landlockABI = 2
        let old = try plan(host: oldKernel).mechanisms.first { $0.name == "landlock" }
        #expect(old?.status == .degraded)
        #expect(old?.detail.contains("no TCP rules (ABI 4)") == true)
        oldKernel.landlockABI = 0
        #expect(try plan(host: oldKernel).landlock == nil)
    }

    @Test func jsonRoundTripsThePlan() throws {
        let plan = try plan {
            $0.name = "box1"; $0.environment = ["A=1"]
        }
        let decoded = try JSONDecoding.decode(PlanRenderer.json(plan))
        #expect(decoded == plan)
    }
}

@Suite struct UserMountPlannerTests {
    func plan(_ configure: (inout Request) -> Void, host: FakeHost = FakeHost()) throws -> Plan {
        var request = Request(command: ["/bin/true"])
        configure(&request)
        return try Planner.plan(request, host: host)
    }

    var hostWithData: FakeHost {
        var host = FakeHost()
        host.entries["/srv"] = .directory
        host.entries["/srv/data"] = .directory
        host.entries["/srv/file"] = .file
        host.owners["/srv/data"] = (1234, 4321)
        return host
    }

    @Test func parentsMountBeforeChildrenAndEverythingResolvesInRoot() throws {
        let plan = try plan(
            {
                $0.tmpfsMounts = [TmpfsMount(destination: "/data/scratch")]
                $0.volumes = [VolumeMount(source: "/srv/data", destination: "/data", readOnly: true)]
            }, host: hostWithData)
        let volume = try #require(plan.index(.bind, "/data"))
        let scratch = try #require(plan.index(.mount, "/data/scratch"))
        #expect(volume < scratch)
        #expect(scratch < plan.index(.pivotRoot, "/")!)
        for step in plan.setup[volume...scratch] { #expect(step.resolveInRoot, "\(step.summary)") }
    }

    @Test func onlyReadWriteVolumesOfHostRootAreIdmappedToTheirOwner() throws {
        let plan = try plan(
            {
                $0.user = "1000"
                $0.volumes = [
                    VolumeMount(source: "/srv/data", destination: "/rw", readOnly: false),
                    VolumeMount(source: "/srv/data", destination: "/ro", readOnly: true),
                ]
            }, host: hostWithData)
        #expect(
            plan.step(.bind, "/rw")?.idmap
                == MountIDMap(diskUID: 1234, diskGID: 4321, hostUID: 101_000, hostGID: 101_000))
        #expect(plan.step(.bind, "/ro")?.idmap == nil)
        #expect(plan.mechanisms.first { $0.name == "volume_ownership" }?.status == .enforced)
        var rootless = hostWithData
        rootless.effectiveUID = 1000
        let rootlessPlan = try self.plan(
            { $0.volumes = [VolumeMount(source: "/srv/data", destination: "/rw", readOnly: false)] }, host: rootless)
        #expect(rootlessPlan.step(.bind, "/rw")?.idmap == nil)
    }

    @Test func fileVolumesGetAFileMountPoint() throws {
        let plan = try plan(
            { $0.volumes = [VolumeMount(source: "/srv/file", destination: "/etc2/app.conf", readOnly: true)] },
            host: hostWithData)
        #expect(plan.step(.writeFile, "/etc2/app.conf") != nil)
        #expect(plan.step(.makeDirectory, "/etc2")?.resolveInRoot == true)
    }
}

@Suite struct IdentityPlanningTests {
    @Test func supplementaryGroupsNeedSetgroupsAndAMapping() throws {
        var rootless = FakeHost()
        rootless.effectiveUID = 1000
        var request = Request(command: ["/bin/true"])
        request.additionalGroups = ["0"]
        #expect(throws: NucleusError.self) { try Planner.plan(request, host: rootless) }
        request.additionalGroups = ["70000"]
        #expect(throws: NucleusError.self) { try Planner.plan(request, host: FakeHost()) }
        request.additionalGroups = ["44"]
        #expect(try Planner.plan(request, host: FakeHost()).process.supplementaryGroups == [44])
    }
}
