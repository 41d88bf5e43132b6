import CNucleus
import NucleusFilesystem
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Builds the detached tree for `/context` on the host side before clone:
/// a populated tmpfs (copy) or an overlay whose top layer hides the excluded
/// names (bind). Either way the child only attaches it; nothing exists
/// outside this process until then, so a failure leaves nothing behind.
struct ContextTreeBuilder {
    var tree: ContextTree
    var minFD: Int32
    /// Test hook (`NUCLEUS_FAULT_STEP=context-tamper`): change a source file
    /// after it was hashed, as a concurrent writer would.
    var tamper = false

    func build() throws(NucleusError) -> Int32 {
        let sourceFD = open(tree.source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard sourceFD >= 0 else {
            throw NucleusError("open the context", syscall: "open", path: tree.source, errno: errno)
        }
        defer { close(sourceFD) }
        let listing = try TreeWalk.walk(rootFD: sourceFD, rules: .context, origin: tree.source)
        let integrity =
            tree.verifyIntegrity
            ? try ContextIntegrity.hash(files: listing.files, rootFD: sourceFD, origin: tree.source) : nil
        if tamper { try tamperWithFirstFile(listing, sourceFD: sourceFD) }
        let mountFD: Int32
        switch tree.mode {
        case .copy: mountFD = try copyTree(listing, sourceFD: sourceFD)
        case .bind: mountFD = try overlayTree(listing, sourceFD: sourceFD)
        }
        do throws(NucleusError) {
            if let integrity {
                let rootFD = try Self.openDirectory(mountFD, "verify the context")
                defer { close(rootFD) }
                let view = try TreeWalk.walk(rootFD: rootFD, rules: .exact, origin: Context.mountPoint)
                try integrity.verify(tree: view, expected: listing, treeRootFD: mountFD)
            }
            return mountFD
        } catch {
            close(mountFD)
            throw error
        }
    }

    private func copyTree(_ listing: TreeListing, sourceFD: Int32) throws(NucleusError) -> Int32 {
        // Room for every file rounded up to pages, plus directories and slack.
        let pages = listing.kept.reduce(Int64(0)) { total, entry in
            if case .file(let size) = entry.kind { return total + (size + 4095) / 4096 }
            return total + 1
        }
        let mountFD = try Self.detachedTmpfs(
            bytes: UInt64(pages * 4096 + (1 << 20)), entries: listing.kept.count, minFD: minFD)
        do throws(NucleusError) {
            let rootFD = try Self.openDirectory(mountFD, "populate the context")
            defer { close(rootFD) }
            try TreeCopier(
                sourceFD: sourceFD, treeFD: rootFD, owner: tree.owner, origin: tree.source,
                destination: Context.mountPoint
            ).populate(listing)
            let rc = nucleus_seal_tree(mountFD, ContextPlanner.options.rawValue)
            guard rc == 0 else {
                throw NucleusError(
                    "make the context read-only", syscall: "mount_setattr", path: Context.mountPoint, errno: -rc)
            }
            return mountFD
        } catch {
            close(mountFD)
            throw error
        }
    }

    /// A lower-only overlay: the top layer holds a 0:0 character device (a
    /// whiteout) at every hidden path, in directories that carry the source's
    /// permissions and times (overlayfs shows the top layer's). The source
    /// layer is idmapped like a workspace: its owner's files are the workload's.
    private func overlayTree(_ listing: TreeListing, sourceFD: Int32) throws(NucleusError) -> Int32 {
        let whiteouts = try Self.detachedTmpfs(bytes: 16 << 20, entries: listing.hidden.count * 2 + 16, minFD: minFD)
        defer { close(whiteouts) }
        try hide(listing, in: whiteouts)
        let lower = tree.idmapSource ? try idmappedSource(sourceFD) : sourceFD
        defer { if lower != sourceFD { close(lower) } }
        var failedSyscall: Int32 = 0
        let overlay = nucleus_overlay_tree(whiteouts, lower, ContextPlanner.options.rawValue, minFD, &failedSyscall)
        guard overlay >= 0 else {
            throw NucleusError(
                "build the context's read-only view", syscall: ChildFailure.syscallNames[failedSyscall] ?? "overlay",
                path: tree.source, errno: -overlay)
        }
        return overlay
    }

    private func idmappedSource(_ sourceFD: Int32) throws(NucleusError) -> Int32 {
        var sourceStatus = stat()
        guard fstat(sourceFD, &sourceStatus) == 0 else {
            throw NucleusError("build the context's read-only view", syscall: "fstat", path: tree.source, errno: errno)
        }
        var failedSyscall: Int32 = 0
        let lower = nucleus_idmapped_tree(
            tree.source, 0, sourceStatus.st_uid, tree.owner.uid, sourceStatus.st_gid, tree.owner.gid, minFD,
            &failedSyscall)
        guard lower >= 0 else {
            throw NucleusError(
                "idmap the context \(tree.source)", syscall: ChildFailure.syscallNames[failedSyscall] ?? "setup",
                path: tree.source, errno: -lower)
        }
        return lower
    }

    /// Whiteouts for every hidden path, under directories owned by the workload.
    private func hide(_ listing: TreeListing, in whiteouts: Int32) throws(NucleusError) {
        let rootFD = try Self.openDirectory(whiteouts, "hide the context's excluded names")
        defer { close(rootFD) }
        let directories = Dictionary(
            listing.kept.filter { $0.kind == .directory }.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first }
        )
        let savedMask = umask(0)
        defer { umask(savedMask) }
        var created: Set<String> = []
        var parents: [TreeEntry] = [listing.root]
        for hidden in listing.hidden {
            var prefix = ""
            for component in hidden.split(separator: "/").dropLast() {
                prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
                guard created.insert(prefix).inserted, let directory = directories[prefix] else { continue }
                try whiteoutCheck(mkdirat(rootFD, prefix, directory.permissions), "mkdirat", prefix)
                parents.append(directory)
            }
            try whiteoutCheck(mknodat(rootFD, hidden, S_IFCHR, 0), "mknodat", hidden)
        }
        for directory in parents.reversed() {
            let name = directory.path.isEmpty ? "." : directory.path
            try whiteoutCheck(
                fchownat(rootFD, name, tree.owner.uid, tree.owner.gid, AT_SYMLINK_NOFOLLOW), "fchownat", name)
            try whiteoutCheck(fchmodat(rootFD, name, directory.permissions, 0), "fchmodat", name)
            try whiteoutCheck(
                utimensat(rootFD, name, [directory.modified, directory.modified], AT_SYMLINK_NOFOLLOW), "utimensat",
                name)
        }
    }

    private func whiteoutCheck(_ result: Int32, _ syscall: String, _ path: String) throws(NucleusError) {
        guard result < 0 else { return }
        throw NucleusError("hide the context's excluded names", syscall: syscall, path: path, errno: errno)
    }

    private func tamperWithFirstFile(_ listing: TreeListing, sourceFD: Int32) throws(NucleusError) {
        guard let file = listing.files.first else { return }
        let fd = nucleus_open_beneath(sourceFD, file.path, O_WRONLY | O_APPEND)
        guard fd >= 0, write(fd, "tampered\n", 9) == 9 else {
            throw NucleusError("tamper with the context (test hook)", syscall: "write", path: file.path, errno: errno)
        }
        close(fd)
    }

    static func detachedTmpfs(bytes: UInt64, entries: Int, minFD: Int32) throws(NucleusError) -> Int32 {
        var failedSyscall: Int32 = 0
        let fd = nucleus_tmpfs_tree(bytes, UInt64(entries + 16), minFD, &failedSyscall)
        guard fd >= 0 else {
            throw NucleusError(
                "create the context's tmpfs", syscall: ChildFailure.syscallNames[failedSyscall] ?? "fsopen", errno: -fd)
        }
        return fd
    }

    /// A readable directory fd for a detached mount (fsmount gives an O_PATH one).
    static func openDirectory(_ mountFD: Int32, _ what: String) throws(NucleusError) -> Int32 {
        let fd = openat(mountFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw NucleusError(what, syscall: "openat", path: Context.mountPoint, errno: errno) }
        return fd
    }
}
