/// Everything nucleus will do, decided before it touches the kernel. The
/// applier walks it without making decisions of its own; `--dry-run` prints it.
public struct Plan: Sendable, Equatable, Codable {
    public var mode: String
    public var name: String?
    public var hostname: String
    public var namespaces: [Namespace]
    public var idMapping: IDMapping
    public var setup: [SetupStep]
    public var process: ProcessPlan
    public var mechanisms: [Mechanism]
    /// The workload's syscall filter; nil only for plans that cannot have one.
    public var seccomp: SeccompPolicy?
    /// The workload's Landlock ruleset; nil when the kernel has none.
    public var landlock: LandlockPolicy?
    /// What the workload keeps; empty by default.
    public var capabilities = CapabilitySets()
    /// The cgroup and rlimits; nil only in plans built without resource planning.
    public var resources: ResourcePlan?
    /// The resolved `--rootfs` to verify against its manifest before anything is created.
    public var attestedRootfs: String?
    /// `--events-jsonl` / `--events-fd`.
    public var events: EventsTarget?
    public var health: HealthCheck?
    public var readiness: Readiness?
    /// Bridge mode: the interface, NAT, ports and egress rules; nil for none and host.
    public var network: NetworkPlan?
    /// The caller's `$NOTIFY_SOCKET`, told READY=1 when readiness is reached.
    public var notifySocket: String?

    public init(
        mode: String, name: String?, hostname: String, namespaces: [Namespace], idMapping: IDMapping,
        setup: [SetupStep], process: ProcessPlan, mechanisms: [Mechanism]
    ) {
        self.mode = mode
        self.name = name
        self.hostname = hostname
        self.namespaces = namespaces
        self.idMapping = idMapping
        self.setup = setup
        self.process = process
        self.mechanisms = mechanisms
    }
}

public enum Namespace: String, Sendable, Equatable, Codable, CaseIterable {
    case user, pid, mount, network, uts, ipc, cgroup, time
}

/// One line of `/proc/PID/uid_map` or `gid_map`.
public struct IDMapEntry: Sendable, Equatable, Codable {
    public var containerID: UInt32
    public var hostID: UInt32
    public var count: UInt32

    public init(containerID: UInt32, hostID: UInt32, count: UInt32) {
        self.containerID = containerID
        self.hostID = hostID
        self.count = count
    }

    public var line: String { "\(containerID) \(hostID) \(count)\n" }

    /// `0-65535 -> host 100000-165535`
    public var rangeDescription: String {
        "\(containerID)-\(containerID + count - 1) -> host \(hostID)-\(hostID + count - 1)"
    }

    public func contains(_ id: UInt32) -> Bool { id >= containerID && UInt64(id) < UInt64(containerID) + UInt64(count) }
}

public struct IDMapping: Sendable, Equatable, Codable {
    public var uidMap: [IDMapEntry]
    public var gidMap: [IDMapEntry]
    /// False when the kernel requires `setgroups` to be denied (an unprivileged caller).
    public var setgroupsAllowed: Bool
    public var rootless: Bool

    public init(uidMap: [IDMapEntry], gidMap: [IDMapEntry], setgroupsAllowed: Bool, rootless: Bool) {
        self.uidMap = uidMap
        self.gidMap = gidMap
        self.setgroupsAllowed = setgroupsAllowed
        self.rootless = rootless
    }
}

/// The workload as it will be exec'd.
public struct ProcessPlan: Sendable, Equatable, Codable {
    public var argv: [String]
    public var environment: [String]
    /// The PATH used to find `argv[0]` inside the container.
    public var searchPath: String
    public var workdir: String
    public var uid: UInt32
    public var gid: UInt32
    public var supplementaryGroups: [UInt32] = []
    public var terminal: Bool
    public var preserveFDs: Int
    /// Seconds from a forwarded SIGTERM/SIGINT to SIGKILL.
    public var stopTimeout: Double = 10
    /// Variables from `--env-fd`: passed to the workload, never printed or
    /// encoded (only their names are, in `sensitiveNames`).
    public var sensitiveEnvironment: [String] = []
    public var sensitiveNames: [String]

    enum CodingKeys: String, CodingKey {
        case argv, environment, searchPath, workdir, uid, gid, supplementaryGroups, terminal, preserveFDs,
            sensitiveNames, stopTimeout
    }

    public init(
        argv: [String], environment: [String], sensitiveEnvironment: [String] = [], searchPath: String,
        workdir: String, uid: UInt32, gid: UInt32, terminal: Bool, preserveFDs: Int
    ) {
        self.argv = argv
        self.environment = environment
        self.sensitiveEnvironment = sensitiveEnvironment
        sensitiveNames = sensitiveEnvironment.map { String($0.prefix { $0 != "=" }) }
        self.searchPath = searchPath
        self.workdir = workdir
        self.uid = uid
        self.gid = gid
        self.terminal = terminal
        self.preserveFDs = preserveFDs
    }
}

/// A security mechanism and what this plan does with it on this host.
public struct Mechanism: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Equatable, Codable {
        case enforced, degraded, refused
    }

    public var name: String
    public var status: Status
    /// What is enforced, or why it is degraded or refused.
    public var detail: String

    public init(name: String, status: Status, detail: String) {
        self.name = name
        self.status = status
        self.detail = detail
    }
}

/// Where lifecycle records go.
public enum EventsTarget: Sendable, Equatable, Codable {
    case path(String)
    case descriptor(Int32)
}
