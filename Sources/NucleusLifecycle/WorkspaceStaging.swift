import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A copy-in-out workspace's private copy:
/// `/var/tmp/nucleus-staging-<pid>-XXXXXX` (0700, root's) holding
/// `workspace/`, a copy of the source owned by its owner. The manifest (the
/// source as it was copied) is what the sync compares against, both the
/// staged tree and the host. The pid names the nucleus that owns it: a
/// killed run's copy (its changes land all or none: none) is swept by the
/// next copy-in-out start and by `nucleus gc`; a copy kept after a failed
/// sync carries a `KEPT` marker and is left for its owner.
final class WorkspaceStaging {
    static let keptMarker = "KEPT"

    let staged: StagedWorkspace
    let directory: String
    let manifest: TreeListing
    /// Kept after a failed sync: the workload's changes live only here.
    var keep = false

    var tree: String { directory + "/workspace" }

    init(_ staged: StagedWorkspace) throws(NucleusError) {
        self.staged = staged
        StaleStaging.sweep()
        var template = Array((WorkspaceStagingArea.prefix + "\(getpid())-XXXXXX").utf8CString)
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
        guard !keep else {
            let marker = open(directory + "/" + Self.keptMarker, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            if marker >= 0 { close(marker) }
            return
        }
        try? TreeRemoval.remove(path: directory)
    }
}

/// Staging copies of nucleus processes that no longer exist and whose sync
/// did not fail: leftovers of a killed run.
public enum StaleStaging {
    @discardableResult
    public static func sweep() -> Int {
        let base = WorkspaceStagingArea.directory
        var removed = 0
        for entry in directoryNames(at: base) where entry.hasPrefix(WorkspaceStagingArea.namePrefix) {
            let fields = entry.dropFirst(WorkspaceStagingArea.namePrefix.count).split(separator: "-")
            guard fields.count == 2, let pid = pid_t(fields[0]), pid != getpid(),
                kill(pid, 0) != 0 && errno == ESRCH
            else { continue }
            let path = base + "/" + entry
            guard access(path + "/" + WorkspaceStaging.keptMarker, F_OK) != 0 else { continue }
            if (try? TreeRemoval.remove(path: path)) != nil { removed += 1 }
        }
        return removed
    }
}
