import NucleusModel

/// The whole filesystem a container sees, as ordered setup steps: a
/// size-limited tmpfs root, the read-only system trees, `/etc`, `/dev`,
/// `/proc`, `/sys`, the scratch tmpfs mounts, then pivot_root and a read-only
/// remount of the root itself.
public struct RootfsLayout: Sendable {
    public var sourceRoot: String
    public var rootSize: ByteSize
    public var hostname: String
    public var identity: EtcTree.Identity
    public var ownNetworkNamespace: Bool
    public var procReadWrite: Bool
    public var ttyGroup: UInt32?
    public var chrootFallback: Bool
    /// `--volume` and `--tmpfs` steps, placed after nucleus's own mounts.
    public var userMounts: [SetupStep]
    /// The container's cgroup, shown read-only at /sys/fs/cgroup.
    public var cgroup: CgroupPlan?
    /// Production: `/proc` with `hidepid=invisible`.
    public var hidePids = false
    /// Bridge mode: the container's `/etc/resolv.conf`.
    public var resolvConf: String?

    public init(
        sourceRoot: String, rootSize: ByteSize, hostname: String, identity: EtcTree.Identity,
        ownNetworkNamespace: Bool, procReadWrite: Bool, ttyGroup: UInt32?, chrootFallback: Bool,
        userMounts: [SetupStep] = [], cgroup: CgroupPlan? = nil
    ) {
        self.cgroup = cgroup
        self.sourceRoot = sourceRoot
        self.rootSize = rootSize
        self.hostname = hostname
        self.identity = identity
        self.ownNetworkNamespace = ownNetworkNamespace
        self.procReadWrite = procReadWrite
        self.ttyGroup = ttyGroup
        self.chrootFallback = chrootFallback
        self.userMounts = userMounts
    }

    public func steps(host: any HostProbe) -> [SetupStep] {
        var steps: [SetupStep] = [.mount("tmpfs", at: "/", options: .hardened, data: "mode=0755,size=\(rootSize)")]
        steps += SystemDirectories.steps(sourceRoot: sourceRoot, host: host)
        steps += EtcTree.steps(
            sourceRoot: sourceRoot, hostname: hostname, identity: identity, resolvConf: resolvConf, host: host)
        steps += DevTree.steps(ttyGroup: ttyGroup, shmSize: rootSize)
        steps += KernelFilesystems.procSteps(readWrite: procReadWrite, hidePids: hidePids)
        steps += KernelFilesystems.sysSteps(ownNetworkNamespace: ownNetworkNamespace)
        steps += [
            .directory("/tmp", mode: 0o1777),
            .mount("tmpfs", at: "/tmp", options: .hardened, data: "mode=1777,size=\(rootSize)"),
        ]
        steps += ContainerPath.ancestors(of: identity.home).map { SetupStep.directory($0) }
        steps += [
            .directory(identity.home, mode: 0o700),
            .mount(
                "tmpfs", at: identity.home, options: .hardened,
                data: "mode=0700,uid=\(identity.uid),gid=\(identity.gid),size=\(rootSize)"),
        ]
        steps += userMounts
        // Last before pivot_root: on v1 it waits for the host side's cgroup join,
        // which thus overlaps everything above.
        steps += KernelFilesystems.cgroupSteps(cgroup, ownNetworkNamespace: ownNetworkNamespace)
        steps += [
            SetupStep(kind: .pivotRoot, target: "/", chrootFallback: chrootFallback),
            .setAttributes("/", options: [.readOnly, .noSuid, .noDev, .noExec]),
        ]
        return steps
    }
}
