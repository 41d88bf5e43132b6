import CNucleus
import Crypto
import NucleusModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `--verify-context-integrity`: SHA-256 of every source file before the
/// tree is built, checked against the tree the workload will see, together
/// with the tree's exact list of entries (so a missing exclusion fails too).
struct ContextIntegrity {
    /// Relative path -> SHA-256 digest bytes.
    var digests: [String: [UInt8]]

    static func hash(files: [TreeEntry], rootFD: Int32, origin: String) throws(NucleusError) -> ContextIntegrity {
        let results = Mutex<[String: [UInt8]]>([:])
        try ParallelWork.forEach(files.count) { index throws(NucleusError) in
            let path = files[index].path
            let digest = try digest(of: path, rootFD: rootFD, origin: origin)
            results.withLock { $0[path] = digest }
        }
        return ContextIntegrity(digests: results.withLock { $0 })
    }

    /// Refuses the tree unless it holds exactly `expected` and every file's digest matches.
    func verify(tree: TreeListing, expected: TreeListing, treeRootFD: Int32) throws(NucleusError) {
        let wanted = Dictionary(expected.kept.map { ($0.path, $0.kind) }, uniquingKeysWith: { first, _ in first })
        let found = Dictionary(tree.kept.map { ($0.path, $0.kind) }, uniquingKeysWith: { first, _ in first })
        if let extra = found.keys.sorted().first(where: { wanted[$0] == nil }) {
            throw Self.mismatch(extra, "is in the tree but not among the source's kept entries")
        }
        if let missing = wanted.keys.sorted().first(where: { found[$0] == nil }) {
            throw Self.mismatch(missing, "is missing")
        }
        for (path, kind) in wanted where !Self.sameShape(kind, found[path]) {
            throw Self.mismatch(path, "changed type, size or link target")
        }
        let treeDigests = try Self.hash(files: tree.files, rootFD: treeRootFD, origin: Context.mountPoint)
        for path in digests.keys.sorted() where treeDigests.digests[path] != digests[path] {
            throw Self.mismatch(path, "does not match the source's SHA-256")
        }
    }

    private static func sameShape(_ left: TreeEntry.Kind, _ right: TreeEntry.Kind?) -> Bool {
        switch (left, right) {
        case (.directory, .directory?): return true
        case (.file, .file?): return true  // sizes are covered by the digests
        case (.symlink(let a), .symlink(let b)?): return a == b
        default: return false
        }
    }

    private static func mismatch(_ path: String, _ problem: String) -> NucleusError {
        NucleusError("context integrity check failed: \(Context.mountPoint)/\(path) \(problem); refusing to start")
    }

    private static func digest(of path: String, rootFD: Int32, origin: String) throws(NucleusError) -> [UInt8] {
        let fd = nucleus_open_beneath(rootFD, path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else {
            throw NucleusError("hash the context", syscall: "openat2", path: origin + "/" + path, errno: errno)
        }
        defer { close(fd) }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw NucleusError("hash the context", syscall: "read", path: origin + "/" + path, errno: errno)
            }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return Array(hasher.finalize())
    }
}
