import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Detached mount trees the host side builds before clone, because the
/// container's child is not privileged over the host's filesystems: idmapped
/// read-write volumes, the `/context` tree and a copy-in-out workspace's
/// staging copy. Handed to the child by descriptor and closed again once the
/// child has its copies.
final class PreparedTrees {
    /// Setup step index -> detached tree fd.
    private(set) var trees: [Int: Int32] = [:]
    /// The copy-in-out workspace, synced back by the launcher after exit.
    private(set) var staging: WorkspaceStaging?
    /// `--readiness-sd-notify`: the socket the workload sends READY=1 to.
    private(set) var notify: NotifyEndpoint?
    /// The plan to launch: a staged workspace's bind takes its source from the staging copy.
    private(set) var plan: Plan

    init(plan: Plan, tamperWithContext: Bool = false) throws(NucleusError) {
        self.plan = plan
        let lowestFD = Int32(3 + plan.process.preserveFDs)
        for placeholder in plan.setup.compactMap(\.hostPlaceholder) { try Self.create(placeholder) }
        for (index, step) in plan.setup.enumerated() {
            do throws(NucleusError) {
                if step.notifyDirectory {
                    let endpoint = try NotifyEndpoint()
                    notify = endpoint
                    self.plan.setup[index].source = endpoint.directory
                } else if let staged = step.stagedWorkspace {
                    let staging = try WorkspaceStaging(staged)
                    self.staging = staging
                    self.plan.setup[index].source = staging.tree
                    if let idmap = step.idmap {
                        trees[index] = try Self.idmappedTree(staging.tree, step: step, idmap: idmap, minFD: lowestFD)
                    }
                } else if let context = step.context {
                    trees[index] = try ContextTreeBuilder(tree: context, minFD: lowestFD, tamper: tamperWithContext)
                        .build()
                } else if let idmap = step.idmap, let source = step.source {
                    trees[index] = try Self.idmappedTree(source, step: step, idmap: idmap, minFD: lowestFD)
                }
            } catch {
                close()
                throw error
            }
        }
    }

    private static func idmappedTree(_ source: String, step: SetupStep, idmap: MountIDMap, minFD: Int32)
        throws(NucleusError) -> Int32
    {
        var failedSyscall: Int32 = 0
        let fd = nucleus_idmapped_tree(
            source, step.options.rawValue, idmap.diskUID, idmap.hostUID, idmap.diskGID, idmap.hostGID, minFD,
            &failedSyscall)
        guard fd >= 0 else {
            throw NucleusError(
                "idmap the volume \(source) for \(step.target)",
                syscall: ChildFailure.syscallNames[failedSyscall] ?? "setup", path: source, errno: -fd)
        }
        return fd
    }

    /// Creates a missing placeholder, never through a symlink; one that
    /// appeared meanwhile is left as it is.
    private static func create(_ placeholder: HostPlaceholder) throws(NucleusError) {
        let path = placeholder.path
        if placeholder.directory {
            guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
                throw NucleusError("create the placeholder", syscall: "mkdir", path: path, errno: errno)
            }
        } else {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 || errno == EEXIST else {
                throw NucleusError("create the placeholder", syscall: "open", path: path, errno: errno)
            }
            if fd >= 0 { Glibc.close(fd) }
        }
        guard lchown(path, placeholder.owner.uid, placeholder.owner.gid) == 0 else {
            throw NucleusError("create the placeholder", syscall: "lchown", path: path, errno: errno)
        }
    }

    /// Closes the trees and removes the staging copy unless a failed sync kept it.
    func close() {
        for fd in trees.values { Glibc.close(fd) }
        trees = [:]
        staging?.discard()
        staging = nil
        notify?.close()
        notify = nil
    }
}
