import Glibc

/// What the workload changed in a staged workspace, against the manifest
/// taken when it was copied. A change to a directory as a whole (created,
/// replaced, deleted) covers everything below it.
struct WorkspaceChange: Equatable {
    enum Action: Equatable {
        /// A new entry (a directory with its whole subtree).
        case create
        /// Different content, type or link target: the staged entry replaces the host's.
        case replace
        case delete
        /// Only the permission bits differ.
        case chmod
    }

    var path: String
    var action: Action
    /// The staged entry (nil for delete).
    var staged: TreeEntry?
    /// The entry as it was copied (nil for create).
    var original: TreeEntry?
}

enum WorkspaceChanges {
    static func between(manifest: TreeListing, staged: TreeListing) -> [WorkspaceChange] {
        let before = Dictionary(manifest.kept.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(staged.kept.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        var covered: Set<String> = []
        var changes: [WorkspaceChange] = []
        func isCovered(_ path: String) -> Bool {
            var prefix = Substring(path)
            while let slash = prefix.lastIndex(of: "/") {
                prefix = prefix[..<slash]
                if covered.contains(String(prefix)) { return true }
            }
            return false
        }
        for entry in staged.kept where !isCovered(entry.path) {
            guard let original = before[entry.path] else {
                changes.append(WorkspaceChange(path: entry.path, action: .create, staged: entry, original: nil))
                covered.insert(entry.path)
                continue
            }
            if !sameContent(original, entry) {
                changes.append(WorkspaceChange(path: entry.path, action: .replace, staged: entry, original: original))
                covered.insert(entry.path)
            } else if original.permissions != entry.permissions {
                changes.append(WorkspaceChange(path: entry.path, action: .chmod, staged: entry, original: original))
            }
        }
        for entry in manifest.kept where after[entry.path] == nil && !isCovered(entry.path) {
            changes.append(WorkspaceChange(path: entry.path, action: .delete, staged: nil, original: entry))
            covered.insert(entry.path)
        }
        return changes
    }

    /// Same type and, for files, the same size and modification time (what
    /// rsync and make trust); for symlinks the same target.
    static func sameContent(_ left: TreeEntry, _ right: TreeEntry) -> Bool {
        switch (left.kind, right.kind) {
        case (.directory, .directory): return true
        case (.file(let a), .file(let b)):
            return a == b && left.modified.tv_sec == right.modified.tv_sec
                && left.modified.tv_nsec == right.modified.tv_nsec
        case (.symlink(let a), .symlink(let b)): return a == b
        default: return false
        }
    }
}
