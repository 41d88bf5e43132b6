import NucleusModel

/// `--context`: a read-only, nosuid, nodev, noexec tree at `/context` that
/// the host side builds before clone (a filtered tmpfs copy, or an overlay
/// that hides the excluded names over the live directory).
public enum ContextPlanner {
    public static let options: MountOptions = [.readOnly, .noSuid, .noDev, .noExec]

    /// - Parameter workloadHostIDs: the workload's ids as the host sees them;
    ///   nil for a rootless caller, who cannot create the tree outside a namespace.
    public static func steps(
        _ context: Context, workloadHostIDs: (uid: UInt32, gid: UInt32)?, host: any HostProbe
    ) throws(NucleusError) -> [SetupStep] {
        let flag = "--context \(context.source)"
        guard context.source.hasPrefix("/") else { throw .invalid("\(flag): the context must be an absolute path") }
        guard let root = host.resolve(context.source), host.entry(at: root) == .directory else {
            throw NucleusError("\(flag): not a directory", syscall: "realpath", path: context.source, errno: 20)
        }
        guard let workload = workloadHostIDs else {
            throw .invalid(
                "\(flag): a context needs nucleus started as root (the tree is built with fsopen outside any namespace)"
            )
        }
        var bind = UserMountPlanner.inRoot(.bind(host: root, at: Context.mountPoint, options: options))
        bind.recursive = false
        bind.context = ContextTree(
            source: root, mode: context.mode, owner: FileOwner(uid: workload.uid, gid: workload.gid),
            verifyIntegrity: context.verifyIntegrity, idmapSource: host.supportsIdmappedMounts(root))
        return [UserMountPlanner.inRoot(.directory(Context.mountPoint)), bind]
    }

    /// The plan's `context` line: where, how, and everything it hides.
    public static func mechanism(_ context: Context) -> Mechanism {
        let how = context.mode == .copy ? "filtered copy" : "read-only view"
        let verified = context.verifyIntegrity ? "; every file's SHA-256 checked against the source before start" : ""
        let hidden = (ContextExclusions.namePatterns + ContextExclusions.otherClasses).joined(separator: ", ")
        return Mechanism(
            name: "context", status: .enforced,
            detail:
                "\(how) of \(context.source) at \(Context.mountPoint) (ro,nosuid,nodev,noexec)\(verified); never visible: \(hidden)"
        )
    }
}
