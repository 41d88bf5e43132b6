import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Brings a copy-in-out workspace's changes back to the host, all or none:
/// refuse if the host changed any affected path during the run; build every
/// new entry under a temporary name beside its target; then a short run of
/// renames (old entries moved aside first), undone in reverse if one fails.
/// Only after the last rename are the old entries removed.
final class WorkspaceSync {
    private let staging: WorkspaceStaging
    private let token: String
    /// Test hook: fail after this many renames, as a full disk would.
    private let failAfterRenames: Int?
    private var parents: [String: Int32] = [:]
    private var temporaries: [(parent: Int32, name: String)] = []
    private var journal: [Undo] = []

    private enum Undo {
        case movedAside(parent: Int32, name: String, backup: String)
        case placed(parent: Int32, temporary: String, name: String)
        case chmod(parent: Int32, name: String, permissions: mode_t)
    }

    init(_ staging: WorkspaceStaging, failAfterRenames: Int? = nil) {
        self.staging = staging
        self.failAfterRenames = failAfterRenames
        token = String(UInt64.random(in: .min ... .max), radix: 16)
    }

    deinit {
        for fd in parents.values { close(fd) }
    }

    /// Returns the number of changes applied. On failure the host tree is as
    /// it was and the error names the staged copy, which is kept.
    func run() throws(NucleusError) -> Int {
        let savedMask = umask(0)
        defer { umask(savedMask) }
        do throws(NucleusError) {
            let sourceFD = try openDirectory(staging.staged.source)
            parents[""] = sourceFD
            let stagedFD = try openDirectory(staging.tree)
            defer { close(stagedFD) }
            let staged = try TreeWalk.walk(rootFD: stagedFD, rules: .everything, origin: staging.tree)
            let changes = WorkspaceChanges.between(manifest: staging.manifest, staged: staged)
            for change in changes { try checkHostUnchanged(change) }
            do throws(NucleusError) {
                for change in changes where change.action == .create || change.action == .replace {
                    try prepare(change, stagedFD: stagedFD)
                }
                for change in changes { try commit(change) }
            } catch {
                rollBack()
                throw error
            }
            finish()
            return changes.count
        } catch {
            staging.keep = true
            throw NucleusError(
                "sync the workspace back: \(error); the host tree is unchanged and the staged copy is kept at \(staging.tree)"
            )
        }
    }

    private func openDirectory(_ path: String) throws(NucleusError) -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw NucleusError("open", syscall: "open", path: path, errno: errno) }
        return fd
    }

    /// The host directory holding `path`, reached without following any symlink.
    private func parent(of path: String) throws(NucleusError) -> (fd: Int32, name: String) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        if let fd = parents[directory] { return (fd, name) }
        let fd = nucleus_open_beneath(parents[""] ?? -1, directory, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw hostError("openat2", directory, errno) }
        parents[directory] = fd
        return (fd, name)
    }

    private func checkHostUnchanged(_ change: WorkspaceChange) throws(NucleusError) {
        let (parentFD, name) = try parent(of: change.path)
        var status = stat()
        let exists = fstatat(parentFD, name, &status, AT_SYMLINK_NOFOLLOW) == 0
        guard let original = change.original else {
            if exists { throw conflict(change.path, "was created on the host") }
            return
        }
        guard exists else { throw conflict(change.path, "was removed on the host") }
        let current = TreeEntry(
            path: change.path, kind: try kind(of: status, parentFD: parentFD, name: name),
            permissions: status.st_mode & 0o777, modified: status.st_mtim)
        guard WorkspaceChanges.sameContent(original, current), current.permissions == original.permissions else {
            throw conflict(change.path, "was changed on the host")
        }
    }

    private func kind(of status: stat, parentFD: Int32, name: String) throws(NucleusError) -> TreeEntry.Kind {
        switch status.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file(size: Int64(status.st_size))
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlinkat(parentFD, name, &buffer, buffer.count - 1)
            guard length >= 0 else { throw hostError("readlinkat", name, errno) }
            return .symlink(target: String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        default: return .file(size: -1)
        }
    }

    /// Builds the staged entry under a temporary name beside its target.
    private func prepare(_ change: WorkspaceChange, stagedFD: Int32) throws(NucleusError) {
        guard let entry = change.staged else { return }
        let (parentFD, name) = try parent(of: change.path)
        let temporary = ".\(name).nucleus-sync-\(token)"
        let owner = try ownerOfOriginal(change, parentFD: parentFD, name: name)
        let sourceFD = try stagedParentDirectory(stagedFD, change.path)
        defer { close(sourceFD) }
        switch entry.kind {
        case .directory:
            guard mkdirat(parentFD, temporary, 0o700) == 0 else { throw hostError("mkdirat", change.path, errno) }
            temporaries.append((parentFD, temporary))
            let subtreeFD = nucleus_open_beneath(stagedFD, change.path, O_RDONLY | O_DIRECTORY)
            guard subtreeFD >= 0 else { throw hostError("openat2", staging.tree + "/" + change.path, errno) }
            defer { close(subtreeFD) }
            let targetFD = openat(parentFD, temporary, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard targetFD >= 0 else { throw hostError("openat", change.path, errno) }
            defer { close(targetFD) }
            let listing = try TreeWalk.walk(
                rootFD: subtreeFD, rules: .everything, origin: staging.tree + "/" + change.path)
            try TreeCopier(
                sourceFD: subtreeFD, treeFD: targetFD, owner: owner, origin: staging.tree + "/" + change.path,
                destination: staging.staged.source + "/" + change.path
            ).populate(listing)
        case .symlink(let target):
            guard symlinkat(target, parentFD, temporary) == 0 else { throw hostError("symlinkat", change.path, errno) }
            temporaries.append((parentFD, temporary))
            guard fchownat(parentFD, temporary, owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw hostError("fchownat", change.path, errno)
            }
        case .file:
            var file = entry
            file.path = name
            try TreeCopier(
                sourceFD: sourceFD, treeFD: parentFD, owner: owner, origin: staging.tree,
                destination: staging.staged.source
            ).copyFile(file, as: temporary)
            temporaries.append((parentFD, temporary))
        }
    }

    /// A replaced entry keeps its host owner; a new one belongs to the workspace's owner.
    private func ownerOfOriginal(_ change: WorkspaceChange, parentFD: Int32, name: String) throws(NucleusError)
        -> FileOwner
    {
        guard change.action == .replace else { return staging.staged.owner }
        var status = stat()
        guard fstatat(parentFD, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw hostError("fstatat", change.path, errno)
        }
        return FileOwner(uid: status.st_uid, gid: status.st_gid)
    }

    private func stagedParentDirectory(_ stagedFD: Int32, _ path: String) throws(NucleusError) -> Int32 {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = nucleus_open_beneath(stagedFD, directory, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw hostError("openat2", staging.tree + "/" + directory, errno) }
        return fd
    }

    private func commit(_ change: WorkspaceChange) throws(NucleusError) {
        let (parentFD, name) = try parent(of: change.path)
        switch change.action {
        case .chmod:
            guard let entry = change.staged, let original = change.original else { return }
            try step("fchmodat") { fchmodat(parentFD, name, entry.permissions, 0) }
            journal.append(.chmod(parent: parentFD, name: name, permissions: original.permissions))
        case .delete, .replace, .create:
            if change.action != .create {
                let backup = ".\(name).nucleus-old-\(token)"
                try step("renameat") { renameat(parentFD, name, parentFD, backup) }
                journal.append(.movedAside(parent: parentFD, name: name, backup: backup))
            }
            if change.action != .delete {
                let temporary = ".\(name).nucleus-sync-\(token)"
                try step("renameat") { renameat(parentFD, temporary, parentFD, name) }
                journal.append(.placed(parent: parentFD, temporary: temporary, name: name))
            }
        }

        func step(_ syscall: String, _ call: () -> Int32) throws(NucleusError) {
            if let limit = failAfterRenames, journal.count >= limit {
                throw hostError("injected fault (NUCLEUS_FAULT_STEP=workspace-sync)", change.path, EIO)
            }
            guard call() == 0 else { throw hostError(syscall, change.path, errno) }
        }
    }

    private func rollBack() {
        for undo in journal.reversed() {
            switch undo {
            case .placed(let parent, let temporary, let name): renameat(parent, name, parent, temporary)
            case .movedAside(let parent, let name, let backup): renameat(parent, backup, parent, name)
            case .chmod(let parent, let name, let permissions): fchmodat(parent, name, permissions, 0)
            }
        }
        journal = []
        for (parent, name) in temporaries { try? TreeRemoval.remove(name, in: parent) }
        temporaries = []
    }

    /// Past the last rename: the old entries go; nothing can be undone now.
    private func finish() {
        for case .movedAside(let parent, _, let backup) in journal { try? TreeRemoval.remove(backup, in: parent) }
        journal = []
    }

    private func conflict(_ path: String, _ what: String) -> NucleusError {
        NucleusError("\(staging.staged.source)/\(path) \(what) during the run")
    }

    private func hostError(_ syscall: String, _ path: String, _ code: Int32) -> NucleusError {
        NucleusError(
            "update the host tree", syscall: syscall,
            path: path.hasPrefix("/") ? path : staging.staged.source + "/" + path, errno: code)
    }
}
