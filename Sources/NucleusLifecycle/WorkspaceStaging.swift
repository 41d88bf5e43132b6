import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A copy-in-out workspace's private copy: `/var/tmp/nucleus-staging-XXXXXX`
/// (0700, root's) holding `workspace/`, a copy of the source owned by its
/// owner. The manifest (the source as it was copied) is what the sync
/// compares against, both the staged tree and the host.
final class WorkspaceStaging {
    let staged: StagedWorkspace
    let directory: String
    let manifest: TreeListing
    /// Kept after a failed sync: the workload's changes live only here.
    var keep = false

    var tree: String { directory + "/workspace" }

    init(_ staged: StagedWorkspace) throws(NucleusError) {
        self.staged = staged
        var template = Array((WorkspaceStagingArea.prefix + "XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw NucleusError(
                "stage the workspace", syscall: "mkdtemp", path: WorkspaceStagingArea.prefix + "XXXXXX", errno: errno)
        }
        directory = String(cString: made)
        do throws(NucleusError) {
            manifest = try Self.copy(staged, into: directory + "/workspace")
        } catch {
            try? TreeRemoval.remove(path: directory)
            throw error
        }
    }

    private static func copy(_ staged: StagedWorkspace, into tree: String) throws(NucleusError) -> TreeListing {
        let sourceFD = open(staged.source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard sourceFD >= 0 else {
            throw NucleusError("stage the workspace", syscall: "open", path: staged.source, errno: errno)
        }
        defer { close(sourceFD) }
        let listing = try TreeWalk.walk(rootFD: sourceFD, rules: .everything, origin: staged.source)
        guard mkdir(tree, 0o700) == 0 else {
            throw NucleusError("stage the workspace", syscall: "mkdir", path: tree, errno: errno)
        }
        let treeFD = open(tree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard treeFD >= 0 else { throw NucleusError("stage the workspace", syscall: "open", path: tree, errno: errno) }
        defer { close(treeFD) }
        try TreeCopier(
            sourceFD: sourceFD, treeFD: treeFD, owner: staged.owner, origin: staged.source, destination: tree
        ).populate(listing)
        return listing
    }

    /// Removes the staging directory unless a failed sync must keep it.
    func discard() {
        guard !keep else { return }
        try? TreeRemoval.remove(path: directory)
    }
}
