import Testing

@testable import NucleusPlan

/// Reading a v1/hybrid host's layout from its mountinfo and /proc/self/cgroup.
@Suite struct CgroupDetectionTests {
    static let mountinfo = """
        25 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw
        31 25 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
        33 31 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        34 31 0:31 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
        35 31 0:32 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """

    @Test func controllersMapToTheirMountPointsCoMountedOnesToTheSameOne() {
        let mounts = CgroupDetection.legacyMounts(Self.mountinfo)
        #expect(mounts["cpu"] == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(mounts["cpuacct"] == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(mounts["memory"] == "/sys/fs/cgroup/memory")
        #expect(mounts["name=systemd"] == nil && mounts["systemd"] == nil)
        #expect(!mounts.values.contains("/sys/fs/cgroup/unified"), "cgroup2 is not a v1 hierarchy")
    }

    @Test func ourDirectoriesAreTheMountPointsPlusOurPaths() {
        let membership = """
            4:memory:/process_api/abc
            3:cpu,cpuacct:/
            2:name=systemd:/user.slice
            0::/ignored
            """
        let directories = CgroupDetection.legacyDirectories(
            membership: membership, mounts: CgroupDetection.legacyMounts(Self.mountinfo))
        #expect(
            directories == [
                "memory": "/sys/fs/cgroup/memory/process_api/abc", "cpu": "/sys/fs/cgroup/cpu,cpuacct",
                "cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
            ])
    }

    /// The kernel's own text: a trailing newline, and a path may hold colons.
    @Test func pathsKeepTheirColonsAndBlankLinesAreSkipped() {
        let directories = CgroupDetection.legacyDirectories(
            membership: "4:memory:/a:b\n\n3:cpu,cpuacct:/c\n",
            mounts: CgroupDetection.legacyMounts(Self.mountinfo))
        #expect(
            directories == [
                "memory": "/sys/fs/cgroup/memory/a:b", "cpu": "/sys/fs/cgroup/cpu,cpuacct/c",
                "cpuacct": "/sys/fs/cgroup/cpu,cpuacct/c",
            ])
    }
}

/// The fast path that skips mountinfo: hierarchies where distributions mount them.
@Suite struct ConventionalCgroupPathTests {
    static let membership = """
        9:name=systemd:/user.slice
        4:memory:/process_api/abc
        3:cpu,cpuacct:/
        0::/ignored
        """
    static let all = ["blkio", "cpu", "cpuacct", "cpuset", "memory", "pids"]

    @Test func eachHierarchyIsAtSysFsCgroupNamedAfterItsControllers() {
        var asked: [String] = []
        let directories = CgroupDetection.conventionalDirectories(membership: Self.membership, wanted: Self.all) {
            asked.append($0)
            return CgroupDetection.cgroupMagic
        }
        #expect(
            directories == [
                "memory": "/sys/fs/cgroup/memory/process_api/abc", "cpu": "/sys/fs/cgroup/cpu,cpuacct",
                "cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
            ])
        #expect(asked == ["/sys/fs/cgroup/memory/process_api/abc", "/sys/fs/cgroup/cpu,cpuacct"])
    }

    @Test func hierarchiesNucleusNeverUsesAreNotLookedAt() {
        var asked: [String] = []
        let directories = CgroupDetection.conventionalDirectories(
            membership: "12:rdma:/\n5:devices:/x\n" + Self.membership, wanted: Self.all
        ) {
            asked.append($0)
            return $0.contains("rdma") || $0.contains("devices") ? -2 : CgroupDetection.cgroupMagic
        }
        #expect(asked == ["/sys/fs/cgroup/memory/process_api/abc", "/sys/fs/cgroup/cpu,cpuacct"])
        #expect(directories?["devices"] == nil && directories?["memory"] != nil)
    }

    /// The kind comes from the one statfs `cgroupKind` made; a host without
    /// cgroups is not looked at again.
    @Test func anUnavailableKindIsTakenAsFound() {
        var reads: [String] = []
        let layout = CgroupDetection.layout(.unavailable("none here"), wanted: ["memory"], environment: { _ in nil }) {
            reads.append($0)
            return nil
        }
        #expect(layout.kind == .unavailable("none here"))
        #expect(reads.isEmpty)
    }

    @Test func onlyTheHierarchiesThisPlanUsesAreLookedAt() {
        var asked: [String] = []
        let directories = CgroupDetection.conventionalDirectories(membership: Self.membership, wanted: ["memory"]) {
            asked.append($0)
            return CgroupDetection.cgroupMagic
        }
        #expect(asked == ["/sys/fs/cgroup/memory/process_api/abc"])
        #expect(directories == ["memory": "/sys/fs/cgroup/memory/process_api/abc"])
    }

    @Test func oneHierarchyElsewhereSendsEveryLookupToMountinfo() {
        let directories = CgroupDetection.conventionalDirectories(membership: Self.membership, wanted: Self.all) {
            $0.hasPrefix("/sys/fs/cgroup/memory") ? CgroupDetection.tmpfsMagic : CgroupDetection.cgroupMagic
        }
        #expect(directories == nil)
        #expect(CgroupDetection.conventionalDirectories(membership: "4:memory:/a", wanted: Self.all) { _ in -2 } == nil)
    }
}
