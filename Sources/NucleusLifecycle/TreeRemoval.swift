import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `rm -rf` relative to a directory descriptor, never following a symlink.
enum TreeRemoval {
    static func remove(_ name: String, in parentFD: Int32) throws(NucleusError) {
        var status = stat()
        guard fstatat(parentFD, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }
            throw NucleusError("remove", syscall: "fstatat", path: name, errno: errno)
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            let fd = openat(parentFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0, let stream = fdopendir(fd) else {
                if fd >= 0 { close(fd) }
                throw NucleusError("remove", syscall: "openat", path: name, errno: errno)
            }
            defer { closedir(stream) }
            var children: [String] = []
            while let record = readdir(stream) {
                let child = directoryEntryName(record)
                if child != "." && child != ".." { children.append(child) }
            }
            for child in children { try remove(child, in: dirfd(stream)) }
        }
        let flags = status.st_mode & S_IFMT == S_IFDIR ? AT_REMOVEDIR : 0
        guard unlinkat(parentFD, name, flags) == 0 || errno == ENOENT else {
            throw NucleusError("remove", syscall: "unlinkat", path: name, errno: errno)
        }
    }

    static func remove(path: String) throws(NucleusError) {
        try remove(path, in: AT_FDCWD)
    }
}
