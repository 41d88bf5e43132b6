import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One container's claim on a bridge address, its veth and its published
/// ports, kept as a small file so that the next nucleus (or `nucleus gc`)
/// can undo what a killed one left behind.
public struct Lease: Sendable, Equatable {
    public var address: IPAddress
    /// The nucleus process holding it, with its start time: a reused pid is not the owner.
    public var pid: Int32
    public var startTime: UInt64
    public var veth: String
    public var publish: [PortMapping]

    public init(address: IPAddress, pid: Int32, startTime: UInt64, veth: String, publish: [PortMapping]) {
        self.address = address
        self.pid = pid
        self.startTime = startTime
        self.veth = veth
        self.publish = publish
    }

    var text: String {
        "pid \(pid)\nstart \(startTime)\nveth \(veth)\n" + publish.map { "publish \($0)\n" }.joined()
    }

    init?(address: IPAddress, text: String) {
        self.address = address
        var pid: Int32?
        var start: UInt64?
        var veth = ""
        var publish: [PortMapping] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            switch parts[0] {
            case "pid": pid = Int32(parts[1])
            case "start": start = UInt64(parts[1])
            case "veth": veth = parts[1]
            case "publish":
                guard let mapping = try? PortMapping(parsing: parts[1]) else { return nil }
                publish.append(mapping)
            default: return nil
            }
        }
        guard let pid, let start else { return nil }
        self.pid = pid
        startTime = start
        self.veth = veth
        self.publish = publish
    }

    public var ownerAlive: Bool { ProcessIdentity.startTime(of: pid) == startTime }
}

/// Start times from `/proc/PID/stat`: (pid, start time) names a process for good.
public enum ProcessIdentity {
    public static func startTime(of pid: Int32) -> UInt64? {
        guard let text = try? SmallFiles.text("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else {
            return nil
        }
        // Fields after the command's closing parenthesis; start time is field 22 overall, 20th here.
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}

/// The lease store: one directory, one lock file, one file per address.
/// Every change happens under an exclusive `flock`, so concurrent `nucleus
/// run`s never hand out the same address.
public final class AddressLeases {
    public static let root = "/run/nucleus/network"

    /// Leases, bridges and tables belong to one network namespace: each gets its own store.
    public static func directory(for namespace: NetworkNamespace) -> String { root + "/netns-\(namespace.inode)" }

    let directory: String
    private var lockFD: Int32

    /// Takes the store's lock; held until `unlock()` or deinit.
    public init(directory: String) throws(NucleusError) {
        self.directory = directory
        try makeDirectories(directory)
        let path = directory + "/lock"
        lockFD = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else {
            throw NucleusError("open the address lease lock", syscall: "open", path: path, errno: errno)
        }
        while flock(lockFD, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let error = errno
                close(lockFD)
                throw NucleusError("lock the address leases", syscall: "flock", path: path, errno: error)
            }
        }
    }

    deinit { unlock() }

    public func unlock() {
        if lockFD >= 0 { close(lockFD) }
        lockFD = -1
    }

    /// Every lease on file.
    public func all() -> [Lease] {
        directoryNames(at: directory).compactMap { name in
            guard name.hasSuffix(".lease"), let address = IPAddress(String(name.dropLast(6))),
                let text = try? SmallFiles.text(directory + "/" + name)
            else { return nil }
            return Lease(address: address, text: text)
        }
    }

    /// The lowest free host address after the gateway.
    public func allocate(in subnet: IPNetwork, gateway: IPAddress, taken: [Lease]) throws(NucleusError) -> IPAddress {
        let used = Set(taken.map(\.address.ipv4Value)).union([gateway.ipv4Value])
        let first = subnet.address.ipv4Value + 1
        for value in first..<(first + subnet.hostCount) where !used.contains(value) {
            return subnet.address.advanced(by: value - subnet.address.ipv4Value)
        }
        throw NucleusError("no free address left in \(subnet): \(taken.count) containers hold one")
    }

    public func record(_ lease: Lease) throws(NucleusError) {
        try writeText(path(lease.address), lease.text)
    }

    public func remove(_ address: IPAddress) {
        unlink(path(address))
    }

    func path(_ address: IPAddress) -> String { directory + "/\(address).lease" }

    /// `--subnet` is fixed once the bridge exists: the store remembers it.
    public func checkSubnet(_ subnet: IPNetwork, bridge: String) throws(NucleusError) {
        let path = directory + "/subnet"
        if let recorded = try? SmallFiles.text(path), let known = IPNetwork(recorded.trimmingNewline) {
            guard known == subnet else {
                throw .invalid(
                    "--subnet \(subnet): bridge \(bridge) already serves \(known); delete the bridge to change it")
            }
            return
        }
        try writeText(path, "\(subnet)\n")
    }
}

/// Written to a temporary name and renamed: a reader never sees half a file.
func writeText(_ path: String, _ text: String) throws(NucleusError) {
    let temporary = path + ".tmp\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw NucleusError("write", syscall: "open", path: temporary, errno: errno) }
    let bytes = Array(text.utf8)
    let written = write(fd, bytes, bytes.count)
    let error = errno
    close(fd)
    guard written == bytes.count else {
        unlink(temporary)
        throw NucleusError("write", syscall: "write", path: temporary, errno: error)
    }
    guard rename(temporary, path) == 0 else {
        let error = errno
        unlink(temporary)
        throw NucleusError("write", syscall: "rename", path: path, errno: error)
    }
}

func makeDirectories(_ path: String) throws(NucleusError) {
    var current = ""
    for component in path.split(separator: "/") {
        current += "/" + component
        if mkdir(current, 0o700) != 0 && errno != EEXIST {
            throw NucleusError("create the network state directory", syscall: "mkdir", path: current, errno: errno)
        }
    }
}
