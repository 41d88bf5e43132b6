import NucleusModel

/// `--secret SRC:DEST`: every secret is written into a dedicated tmpfs at
/// `/run/secrets` (nosuid, nodev, noexec, 0700, read-only once written), each
/// file 0400 and owned by the workload; a DEST outside `/run/secrets` gets a
/// read-only bind of its copy. The plan holds only the source path: the bytes
/// are read by the host side just before clone.
public enum SecretsPlanner {
    public static let root = "/run/secrets"
    static let size = "16M"
    /// Trees a secret's DEST may not be, enter or shadow (plus every `/lib*`).
    static let protectedTrees = ["/proc", "/dev", "/sys", "/usr", "/bin", "/sbin", "/nix"]

    /// - Parameters:
    ///   - taken: destinations other mounts already use.
    ///   - hostContent: volume destinations, inside which a mount point would be created in host content.
    public static func steps(
        _ secrets: [SecretMount], identity: EtcTree.Identity, taken: Set<String>, hostContent: [String],
        host: any HostProbe
    ) throws(NucleusError) -> [SetupStep] {
        guard !secrets.isEmpty else { return [] }
        var taken = taken
        let owner = FileOwner(uid: identity.uid, gid: identity.gid)
        var steps: [SetupStep] = [
            .directory("/run"), .directory(root, mode: 0o700),
            .mount(
                "tmpfs", at: root, options: .hardened,
                data: "mode=0700,uid=\(identity.uid),gid=\(identity.gid),size=\(size)"),
        ]
        var binds: [SetupStep] = []
        for secret in secrets {
            let flag = "--secret \(secret.source):\(secret.destination)"
            let source = try checkSource(secret.source, flag: flag, host: host)
            let inside = secret.destination.hasPrefix(root + "/")
            if let volume = hostContent.first(where: { secret.destination.hasPrefix($0 + "/") }) {
                throw .invalid("\(flag): \(secret.destination) lies inside the volume at \(volume)")
            }
            if !inside {
                try UserMountPlanner.checkDestination(
                    secret.destination, flag: flag, protectedTrees: protectedTrees, taken: &taken)
            } else if !ContainerPath.isNormalizedAbsolute(secret.destination)
                || !taken.insert(secret.destination).inserted
            {
                throw .invalid("\(flag): the destination must be a normalized path used by no other mount")
            }
            let stored = inside ? secret.destination : root + secret.destination
            steps += ContainerPath.ancestors(of: stored).filter { $0.count > root.count }.map {
                SetupStep.directory($0)
            }
            var file = SetupStep.file(stored, contents: "", mode: 0o400)
            file.data = nil
            file.secretSource = source
            file.owner = owner
            steps.append(file)
            if !inside {
                binds += UserMountPlanner.parents(of: secret.destination)
                binds.append(UserMountPlanner.inRoot(.file(secret.destination, contents: "")))
                var bind = SetupStep.restrict(secret.destination, options: [.readOnly, .noSuid, .noDev, .noExec])
                bind.source = stored
                bind.recursive = false
                binds.append(UserMountPlanner.inRoot(bind))
            }
        }
        steps.append(.setAttributes(root, options: [.readOnly, .noSuid, .noDev, .noExec]))
        return steps + binds
    }

    static func checkSource(_ source: String, flag: String, host: any HostProbe) throws(NucleusError) -> String {
        guard source.hasPrefix("/") else { throw .invalid("\(flag): the source must be an absolute path") }
        guard let resolved = host.resolve(source) else {
            throw NucleusError("\(flag): the source does not exist", syscall: "realpath", path: source, errno: 2)
        }
        guard host.entry(at: resolved) == .file else { throw .invalid("\(flag): the source is not a regular file") }
        return resolved
    }
}
