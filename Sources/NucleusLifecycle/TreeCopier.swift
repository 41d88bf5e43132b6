import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Copies walked entries into an empty directory (the context's tmpfs, a
/// workspace's staging copy), every one owned by `owner`, permissions and
/// modification times kept. Directories and symlinks first (cheap,
/// ordered), then files in parallel with sendfile.
struct TreeCopier: Sendable {
    var sourceFD: Int32
    var treeFD: Int32
    var owner: FileOwner
    /// Source and destination paths for error lines.
    var origin: String
    var destination: String

    func populate(_ listing: TreeListing) throws(NucleusError) {
        let savedMask = umask(0)
        defer { umask(savedMask) }
        try check(fchmod(treeFD, listing.root.permissions), "fchmod", "")
        try check(fchown(treeFD, owner.uid, owner.gid), "fchown", "")
        for entry in listing.kept {
            switch entry.kind {
            case .directory:
                try check(mkdirat(treeFD, entry.path, entry.permissions | 0o700), "mkdirat", entry.path)
                try check(
                    fchownat(treeFD, entry.path, owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW), "fchownat", entry.path)
            case .symlink(let target):
                try check(symlinkat(target, treeFD, entry.path), "symlinkat", entry.path)
                try check(
                    fchownat(treeFD, entry.path, owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW), "fchownat", entry.path)
            case .file:
                continue
            }
        }
        let files = listing.files
        try ParallelWork.forEach(files.count) { index throws(NucleusError) in
            try copyFile(files[index], as: files[index].path)
        }
        // Last, and deepest first: creating entries moved the directories' times.
        for entry in listing.kept.reversed() + [listing.root] where entry.kind == .directory {
            let times = [entry.modified, entry.modified]
            let name = entry.path.isEmpty ? "." : entry.path
            try check(utimensat(treeFD, name, times, AT_SYMLINK_NOFOLLOW), "utimensat", entry.path)
            if !entry.path.isEmpty {
                try check(fchmodat(treeFD, entry.path, entry.permissions, 0), "fchmodat", entry.path)
            }
        }
    }

    /// Copies the file at `entry.path` under `sourceFD` to `name` under `treeFD`.
    func copyFile(_ entry: TreeEntry, as name: String) throws(NucleusError) {
        let source = nucleus_open_beneath(sourceFD, entry.path, O_RDONLY | O_NONBLOCK)
        guard source >= 0 else {
            throw NucleusError("copy \(origin)", syscall: "openat2", path: origin + "/" + entry.path, errno: errno)
        }
        defer { close(source) }
        var status = stat()
        guard fstat(source, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw NucleusError("copy \(origin): changed while copying", path: origin + "/" + entry.path)
        }
        let target = openat(treeFD, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, entry.permissions)
        try check(target, "openat", name)
        defer { close(target) }
        while true {
            let sent = sendfile(target, source, nil, 1 << 30)
            if sent == 0 { break }
            if sent < 0 && errno == EINTR { continue }
            try check(sent < 0 ? -1 : 0, "sendfile", entry.path)
        }
        try check(fchown(target, owner.uid, owner.gid), "fchown", entry.path)
        try check(futimens(target, [status.st_atim, entry.modified]), "futimens", entry.path)
    }

    private func check<T: BinaryInteger>(_ result: T, _ syscall: String, _ path: String) throws(NucleusError) {
        guard result < 0 else { return }
        let inside = path.isEmpty ? destination : destination + "/" + path
        throw NucleusError("copy \(origin) to \(destination)", syscall: syscall, path: inside, errno: errno)
    }
}
