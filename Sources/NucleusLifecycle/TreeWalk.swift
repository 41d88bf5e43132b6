import NucleusFilesystem
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One entry of a walked tree, relative to its root.
struct TreeEntry: Equatable {
    enum Kind: Equatable {
        case directory
        case file(size: Int64)
        case symlink(target: String)
    }

    var path: String
    var kind: Kind
    /// Permission bits without setuid, setgid and sticky (every copy is mounted nosuid).
    var permissions: mode_t
    /// Setuid, setgid and sticky, which copies drop but an attestation records.
    var specialBits: mode_t = 0
    var modified: timespec

    static func == (left: TreeEntry, right: TreeEntry) -> Bool {
        left.path == right.path && left.kind == right.kind
    }
}

/// A walked tree: what is kept, what the rules hide, and its size.
struct TreeListing {
    var root: TreeEntry
    var kept: [TreeEntry] = []
    /// Paths of entries left out, each whole (a directory with its contents).
    var hidden: [String] = []
    var bytes: Int64 = 0

    var files: [TreeEntry] { kept.filter { if case .file = $0.kind { true } else { false } } }
}

/// Walks a directory through descriptors only, never following a symlink
/// and never leaving its file system, so a tree that changes underneath
/// cannot lead the walk to host paths.
enum TreeWalk {
    enum Rules {
        /// `ContextExclusions`, escaping symlinks, special files and other
        /// file systems left out.
        case context
        /// Everything, as it is: a special file or a mount point is an error.
        case exact
        /// Everything but special files and other file systems (a workspace).
        case everything
    }

    /// - Parameters:
    ///   - rootFD: the tree's root directory, opened for reading.
    ///   - origin: the tree's path, for error lines.
    static func walk(rootFD: Int32, rules: Rules, origin: String) throws(NucleusError) -> TreeListing {
        var status = stat()
        guard fstat(rootFD, &status) == 0 else {
            throw NucleusError("walk \(origin)", syscall: "fstat", path: origin, errno: errno)
        }
        var listing = TreeListing(root: entry("", status, kind: .directory))
        let walker = Walker(device: status.st_dev, rules: rules, origin: origin)
        try walker.directory(dup(rootFD), relative: "", into: &listing)
        return listing
    }

    static func entry(_ path: String, _ status: stat, kind: TreeEntry.Kind) -> TreeEntry {
        TreeEntry(
            path: path, kind: kind, permissions: status.st_mode & 0o777, specialBits: status.st_mode & 0o7000,
            modified: status.st_mtim)
    }

    private struct Walker {
        var device: dev_t
        var rules: Rules
        var origin: String

        func directory(_ fd: Int32, relative: String, into listing: inout TreeListing) throws(NucleusError) {
            guard fd >= 0, let stream = fdopendir(fd) else {
                if fd >= 0 { close(fd) }
                throw NucleusError("walk \(origin)", syscall: "opendir", path: path(relative), errno: errno)
            }
            defer { closedir(stream) }
            let parent = dirfd(stream)
            while let record = readdir(stream) {
                let name = directoryEntryName(record)
                if name == "." || name == ".." { continue }
                let child = relative.isEmpty ? name : relative + "/" + name
                if rules == .context && ContextExclusions.excludes(name: name) {
                    listing.hidden.append(child)
                    continue
                }
                var status = stat()
                guard fstatat(parent, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
                    throw NucleusError("walk \(origin)", syscall: "fstatat", path: path(child), errno: errno)
                }
                switch status.st_mode & S_IFMT {
                case S_IFDIR where status.st_dev == device:
                    listing.kept.append(TreeWalk.entry(child, status, kind: .directory))
                    let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    try directory(fd, relative: child, into: &listing)
                case S_IFREG:
                    listing.kept.append(TreeWalk.entry(child, status, kind: .file(size: Int64(status.st_size))))
                    listing.bytes += Int64(status.st_size)
                case S_IFLNK:
                    let target = try linkText(parent, name, child: child)
                    if rules != .context || ContextExclusions.symlinkStaysInside(path: child, target: target) {
                        listing.kept.append(TreeWalk.entry(child, status, kind: .symlink(target: target)))
                    } else {
                        listing.hidden.append(child)
                    }
                default:
                    guard rules != .exact else {
                        throw NucleusError("walk \(origin): unexpected special file or mount", path: path(child))
                    }
                    listing.hidden.append(child)
                }
            }
        }

        func linkText(_ parent: Int32, _ name: String, child: String) throws(NucleusError) -> String {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlinkat(parent, name, &buffer, buffer.count - 1)
            guard length >= 0 else {
                throw NucleusError("walk \(origin)", syscall: "readlinkat", path: path(child), errno: errno)
            }
            return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        func path(_ relative: String) -> String { relative.isEmpty ? origin : origin + "/" + relative }
    }
}
