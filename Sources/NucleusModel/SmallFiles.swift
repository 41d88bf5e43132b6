#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Whole-file reads and single writes of the small files nucleus handles:
/// config and policy files, `/proc` and `/sys` values, cgroup interface
/// files, lease records.
public enum SmallFiles {
    /// Everything `fd` holds, to its end (EINTR retried).
    public static func readAll(_ fd: Int32, what: String) throws(NucleusError) -> [UInt8] {
        var bytes: [UInt8] = []
        var failure: Int32 = 0
        // On the stack: a fresh 64 KiB heap buffer per read cost page faults
        // and a memset on every start.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { chunk in
            while true {
                let count = Glibc.read(fd, chunk.baseAddress, chunk.count)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else {
                    if count < 0 { failure = errno }
                    return
                }
                bytes.append(contentsOf: chunk[..<count])
            }
        }
        guard failure == 0 else { throw NucleusError("cannot read \(what)", syscall: "read", errno: failure) }
        return bytes
    }

    public static func read(_ path: String) throws(NucleusError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NucleusError("cannot read \(path)", syscall: "open", path: path, errno: errno) }
        defer { close(fd) }
        return try readAll(fd, what: path)
    }

    public static func text(_ path: String) throws(NucleusError) -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// One write to an existing file (a sysctl, a cgroup interface file): the
    /// kernel takes the value whole or refuses it.
    public static func set(_ path: String, to value: String) throws(NucleusError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NucleusError("set \(path) to \(value)", syscall: "open", path: path, errno: errno) }
        defer { close(fd) }
        let written = value.withCString { Glibc.write(fd, $0, strlen($0)) }
        guard written == value.utf8.count else {
            throw NucleusError("set \(path) to \(value)", syscall: "write", path: path, errno: errno)
        }
    }
}

extension String {
    /// A sysctl or one-line file's value without its newline.
    public var trimmingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}
