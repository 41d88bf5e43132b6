import NucleusModel
import NucleusPlan

/// A host described in memory, so the planner can be tested without root.
struct FakeHost: HostProbe {
    var effectiveUID: UInt32 = 0
    var effectiveGID: UInt32 = 0
    var environment: [String: String] = ["TERM": "xterm-256color", "SECRET_TOKEN": "s3cret"]
    var hasTerminal = false
    var entries: [String: HostEntry] = [
        "/usr": .directory, "/bin": .symlink("usr/bin"), "/sbin": .symlink("usr/sbin"), "/lib": .symlink("usr/lib"),
        "/lib64": .symlink("usr/lib64"), "/usr/bin": .directory, "/usr/sbin": .directory, "/usr/lib": .directory,
        "/usr/lib64": .directory, "/etc": .directory, "/etc/ssl": .directory, "/etc/ld.so.cache": .file,
        "/etc/alternatives": .directory,
    ]
    var files: [String: String] = [:]
    var openDescriptors: Set<Int32> = [0, 1, 2]

    func entry(at path: String) -> HostEntry { entries[path] ?? .missing }

    func environmentValue(_ name: String) -> String? { environment[name] }

    func resolve(_ path: String) -> String? {
        var resolved = ""
        for component in path.split(separator: "/") {
            let candidate = resolved + "/" + component
            switch entries[candidate] {
            case .symlink(let text):
                resolved = text.hasPrefix("/") ? text : resolved + "/" + text
            case .none:
                return nil
            default:
                resolved = candidate
            }
        }
        return resolved.isEmpty ? "/" : resolved
    }

    func readTextFile(_ path: String) throws(NucleusError) -> String {
        guard let text = files[path] else {
            throw NucleusError("cannot read \(path)", syscall: "open", path: path, errno: 2)
        }
        return text
    }

    func readFile(_ path: String) throws(NucleusError) -> [UInt8] { Array(try readTextFile(path).utf8) }

    func isOpen(fileDescriptor: Int32) -> Bool { openDescriptors.contains(fileDescriptor) }

    var owners: [String: (uid: UInt32, gid: UInt32)] = [:]

    func owner(of path: String) -> (uid: UInt32, gid: UInt32)? { owners[path] ?? (entries[path] == nil ? nil : (0, 0)) }

    var notIdmappable: Set<String> = []
    var landlockABI = 7
    var kernelLockdown: KernelLockdown? = KernelLockdown.none
    var cgroupLayout = CgroupLayout(
        kind: .legacy,
        legacyDirectories: [
            "memory": "/sys/fs/cgroup/memory/box", "pids": "/sys/fs/cgroup/pids", "cpuacct": "/sys/fs/cgroup/cpuacct",
            "cpu": "/sys/fs/cgroup/cpu", "cpuset": "/sys/fs/cgroup/cpuset", "blkio": "/sys/fs/cgroup/blkio",
        ])
    var cgroupKind: CgroupLayout.Kind { cgroupLayout.kind }
    /// The controllers each layout request named, in order.
    let layoutRequests = LayoutRequests()
    func cgroupLayout(_ kind: CgroupLayout.Kind, controllers: [String]) -> CgroupLayout {
        layoutRequests.controllers.append(controllers)
        return cgroupLayout
    }
    var onlineCPUs = 2
    var readOnlyDirectories: Set<String> = []

    func isWritable(_ path: String) -> Bool { !readOnlyDirectories.contains(path) }
    var hardLimits: [Int32: UInt64] = [:]

    func resourceLimit(_ resource: Int32) -> (soft: UInt64, hard: UInt64) {
        let hard = hardLimits[resource] ?? UInt64.max
        return (hard, hard)
    }

    func supportsIdmappedMounts(_ path: String) -> Bool { !notIdmappable.contains(path) }
    var drops: [ForwardDrop] = []
    func forwardDrops(ignoring bridge: String, ipv6: Bool) -> [ForwardDrop] {
        drops.filter { ipv6 || !$0.chain.hasPrefix("ip6 ") }
    }
    var hostAddresses = [IPAddress("192.0.2.7")!, IPAddress("127.0.0.1")!]

    func directoryNames(at path: String) -> [String] {
        entries.keys.filter { $0.hasPrefix(path + "/") && !$0.dropFirst(path.count + 1).contains("/") }
            .map { String($0.dropFirst(path.count + 1)) }.sorted()
    }
}

extension Plan {
    func step(_ kind: SetupStep.Kind, _ target: String) -> SetupStep? {
        setup.first { $0.kind == kind && $0.target == target }
    }

    func index(_ kind: SetupStep.Kind, _ target: String) -> Int? {
        setup.firstIndex { $0.kind == kind && $0.target == target }
    }
}

extension FakeHost {
    /// The plan for `/bin/true` with `configure` applied, on this host.
    func plan(_ configure: (inout Request) -> Void = { _ in }) throws -> Plan {
        var request = Request(command: ["/bin/true"])
        configure(&request)
        return try Planner.plan(request, host: self)
    }

    /// The planner's refusal, or nil when it plans.
    func refusal(_ configure: (inout Request) -> Void) -> String? {
        do {
            _ = try plan(configure)
            return nil
        } catch {
            return "\(error)"
        }
    }
}

/// Written and read by the one test that made the host, on its own task.
final class LayoutRequests: @unchecked Sendable {
    var controllers: [[String]] = []
}
