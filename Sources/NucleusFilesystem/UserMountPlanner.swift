import NucleusModel

/// `--volume` and `--tmpfs`: checked against the trees nucleus builds, then
/// planned as steps whose paths resolve inside the new root (a volume's
/// contents are the host's, and a symlink in them must not lead a later
/// mount out of the container).
public enum UserMountPlanner {
    /// Trees a user mount may not be, enter or shadow (plus every `/lib*`).
    static let protectedTrees = ["/proc", "/dev", "/sys", "/usr", "/bin", "/sbin", "/etc", "/nix", "/run/secrets"]

    /// - Parameters:
    ///   - builtInMounts: destinations nucleus itself mounts (`/tmp`, the home).
    ///   - workloadHostIDs: the workload's uid and gid as the host sees them, when
    ///     read-write volumes should be idmapped to their owner (host root); nil
    ///     for a rootless caller, whose workload already is the owner.
    public static func steps(
        volumes: [VolumeMount], tmpfs: [TmpfsMount], builtInMounts: [String], identity: EtcTree.Identity,
        workloadHostIDs: (uid: UInt32, gid: UInt32)?, host: any HostProbe
    ) throws(NucleusError) -> [SetupStep] {
        var planned: [(destination: String, steps: [SetupStep])] = []
        var taken = Set(builtInMounts)
        for volume in volumes {
            let flag = "\(volume.flagName) \(volume.source):\(volume.destination)"
            try checkDestination(volume.destination, flag: flag, taken: &taken)
            planned.append(
                (volume.destination, try volumeSteps(volume, flag: flag, workloadHostIDs: workloadHostIDs, host: host)))
        }
        for scratch in tmpfs {
            try checkDestination(scratch.destination, flag: "--tmpfs \(scratch.destination)", taken: &taken)
            planned.append((scratch.destination, tmpfsSteps(scratch, identity: identity)))
        }
        // Parents before children, so a mount inside another lands on top of it.
        let ordered = planned.enumerated().sorted {
            let (left, right) = (depth($0.element.destination), depth($1.element.destination))
            return left != right ? left < right : $0.offset < $1.offset
        }
        return ordered.flatMap { $0.element.steps }
    }

    static func checkDestination(
        _ destination: String, flag: String, protectedTrees: [String] = protectedTrees, taken: inout Set<String>
    ) throws(NucleusError) {
        guard ContainerPath.isNormalizedAbsolute(destination), destination != "/" else {
            throw .invalid("\(flag): the destination must be an absolute path other than / without '.', '..' or '//'")
        }
        let firstComponent = ContainerPath.components(of: destination).first ?? ""
        if firstComponent.hasPrefix("lib") {
            throw .invalid(
                "\(flag): \(destination) would replace or enter /\(firstComponent), which nucleus mounts read-only")
        }
        for tree in protectedTrees
        where destination == tree || destination.hasPrefix(tree + "/") || tree.hasPrefix(destination + "/") {
            throw .invalid("\(flag): \(destination) would replace, enter or shadow \(tree)")
        }
        guard taken.insert(destination).inserted else {
            throw .invalid("\(flag): \(destination) already has a mount")
        }
    }

    static func volumeSteps(
        _ volume: VolumeMount, flag: String, workloadHostIDs: (uid: UInt32, gid: UInt32)?, host: any HostProbe
    ) throws(NucleusError) -> [SetupStep] {
        guard volume.source.hasPrefix("/") else { throw .invalid("\(flag): the source must be an absolute path") }
        guard let resolved = host.resolve(volume.source) else {
            throw NucleusError("\(flag): the source does not exist", syscall: "realpath", path: volume.source, errno: 2)
        }
        var steps = parents(of: volume.destination)
        switch host.entry(at: resolved) {
        case .directory:
            steps.append(inRoot(.directory(volume.destination)))
        case .file:
            steps.append(inRoot(.file(volume.destination, contents: "")))
        case .missing, .symlink, .other:
            throw .invalid("\(flag): the source is neither a file nor a directory")
        }
        var options: MountOptions = [.noSuid, .noDev]
        if volume.readOnly { options.insert(.readOnly) }
        var bind = inRoot(.bind(host: resolved, at: volume.destination, options: options))
        if !volume.readOnly || volume.ownedByWorkload, let workload = workloadHostIDs,
            let owner = host.owner(of: resolved)
        {
            bind.idmap = MountIDMap(
                diskUID: owner.uid, diskGID: owner.gid, hostUID: workload.uid, hostGID: workload.gid)
        }
        steps.append(bind)
        return steps
    }

    static func tmpfsSteps(_ scratch: TmpfsMount, identity: EtcTree.Identity) -> [SetupStep] {
        var options: MountOptions = [.noSuid, .noDev]
        if scratch.readOnly { options.insert(.readOnly) }
        let data = "mode=0700,uid=\(identity.uid),gid=\(identity.gid),size=\(scratch.size)"
        return parents(of: scratch.destination) + [
            inRoot(.directory(scratch.destination, mode: 0o700)),
            inRoot(.mount("tmpfs", at: scratch.destination, options: options, data: data)),
        ]
    }

    static func parents(of destination: String) -> [SetupStep] {
        ContainerPath.ancestors(of: destination).map { inRoot(.directory($0)) }
    }

    static func inRoot(_ step: SetupStep) -> SetupStep {
        var step = step
        step.resolveInRoot = true
        return step
    }

    static func depth(_ path: String) -> Int { ContainerPath.components(of: path).count }
}
