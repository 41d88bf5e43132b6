import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Writes `/proc/PID/{setgroups,uid_map,gid_map}` for the new user namespace.
/// Only the parent can: the child has no privilege over the host's ids.
struct IDMapWriter {
    var pid: pid_t
    var mapping: IDMapping
    var failOnPurpose: Bool

    func write() throws(NucleusError) {
        if !mapping.setgroupsAllowed { try writeFile("setgroups", "deny\n") }
        try writeFile("uid_map", mapping.uidMap.map(\.line).concatenated())
        try writeFile("gid_map", mapping.gidMap.map(\.line).concatenated())
    }

    private func writeFile(_ name: String, _ contents: String) throws(NucleusError) {
        let path = "/proc/\(pid)/\(name)"
        if failOnPurpose {
            throw NucleusError("write the user namespace map", syscall: "write", path: path, errno: EIO)
        }
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw NucleusError("write the user namespace map", syscall: "open", path: path, errno: errno)
        }
        defer { close(fd) }
        let written = contents.withCString { Glibc.write(fd, $0, strlen($0)) }
        guard written == contents.utf8.count else {
            throw NucleusError("write the user namespace map", syscall: "write", path: path, errno: errno)
        }
    }
}
