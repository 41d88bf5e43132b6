import CNucleus
import NucleusModel
import NucleusNetwork
import NucleusResources

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The real host, answered with plain system calls.
public struct LiveHost: HostProbe {
    public let effectiveUID: UInt32
    public let effectiveGID: UInt32
    public let hasTerminal: Bool

    public init() {
        effectiveUID = geteuid()
        effectiveGID = getegid()
        hasTerminal = isatty(0) == 1 || isatty(1) == 1 || isatty(2) == 1
    }

    /// Looked up on demand: copying the whole environment into a dictionary
    /// cost a measurable share of every start.
    public func environmentValue(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    public func entry(at path: String) -> HostEntry {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(path, &buffer, buffer.count - 1)
            guard length >= 0 else { return .other }
            return .symlink(String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        default: return .other
        }
    }

    public func resolve(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public func readTextFile(_ path: String) throws(NucleusError) -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    /// Not part of `HostProbe`: only commands that produce files write.
    public func writeFile(_ path: String, contents: String) throws(NucleusError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw NucleusError("cannot write \(path)", syscall: "open", path: path, errno: errno) }
        defer { close(fd) }
        let written = contents.withCString { write(fd, $0, strlen($0)) }
        guard written == contents.utf8.count else {
            throw NucleusError("cannot write \(path)", syscall: "write", path: path, errno: errno)
        }
    }

    public func readFile(_ path: String) throws(NucleusError) -> [UInt8] { try SmallFiles.read(path) }

    /// Reads an inherited descriptor (`--config-fd`, `--env-fd`) to its end and closes it.
    public func readDescriptor(_ fd: Int32, flag: String) throws(NucleusError) -> String {
        guard fd > 2 else { throw .invalid("\(flag) \(fd): use a descriptor above 2, not stdin, stdout or stderr") }
        defer { close(fd) }
        return String(decoding: try SmallFiles.readAll(fd, what: "\(flag) \(fd)"), as: UTF8.self)
    }

    public func owner(of path: String) -> (uid: UInt32, gid: UInt32)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (info.st_uid, info.st_gid)
    }

    public func directoryNames(at path: String) -> [String] { NucleusModel.directoryNames(at: path) }

    /// `statfs` magic numbers of the file systems Linux 6.x lets idmap
    /// (FS_ALLOW_IDMAP); anything else takes the uid-map fallback.
    static let idmappableFilesystems: Set<Int> = [
        0xEF53, 0x5846_5342, 0x9123_683E, 0xF2F5_2010, 0x4D44, 0x0102_1994, 0x794C_7630, 0xE0F5_E1E2, 0x7371_7368,
        0x00C3_6400,
    ]

    public var landlockABI: Int { max(0, Int(nucleus_landlock_abi())) }

    public var kernelLockdown: KernelLockdown? {
        var buffer = [CChar](repeating: 0, count: 128)
        guard nucleus_read_lockdown(&buffer, buffer.count) == 0 else { return nil }
        let text = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return KernelLockdown(securityfsText: String(decoding: text, as: UTF8.self))
    }

    public var cgroupKind: CgroupLayout.Kind {
        CgroupDetection.kind(environment: environmentValue)
    }

    /// Every hierarchy a start may use (`nucleus gc` sweeps them all).
    public var everyCgroupHierarchy: CgroupLayout {
        cgroupLayout(cgroupKind, controllers: ResourcePlanner.legacyControllers)
    }

    public func cgroupLayout(_ kind: CgroupLayout.Kind, controllers: [String]) -> CgroupLayout {
        CgroupDetection.layout(kind, wanted: controllers, environment: environmentValue) { path in
            try? readTextFile(path)
        }
    }

    public func isWritable(_ path: String) -> Bool { access(path, W_OK) == 0 }

    public var onlineCPUs: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    public func resourceLimit(_ resource: Int32) -> (soft: UInt64, hard: UInt64) {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(UInt32(resource)), &limit) == 0 else { return (0, 0) }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    public func supportsIdmappedMounts(_ path: String) -> Bool {
        let type = nucleus_filesystem_type(path)
        return type >= 0 && Self.idmappableFilesystems.contains(Int(type))
    }

    public func forwardDrops(ignoring bridge: String, ipv6: Bool) -> [ForwardDrop] {
        ForwardPolicy.drops(ignoring: bridge, ipv6: ipv6)
    }

    public var hostAddresses: [IPAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var result: [IPAddress] = []
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let address = entry.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    let bytes = withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) }
                    if let ip = IPAddress(bytes: bytes) { result.append(ip) }
                }
            case AF_INET6:
                address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    let bytes = withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }
                    if let ip = IPAddress(bytes: bytes) { result.append(ip) }
                }
            default: continue
            }
        }
        return result
    }

    public func isOpen(fileDescriptor: Int32) -> Bool {
        fcntl(fileDescriptor, F_GETFD) >= 0
    }
}
