/// The resource flags as asked: `--memory`, `--cpus`, `--pids`, ... and
/// `--stats-json`. Validated and turned into a `ResourcePlan` by the planner.
public struct ResourceRequest: Sendable, Equatable, Codable {
    public static let defaultPids = 512

    public var memory: ByteSize?
    /// `--memory-swap`: memory plus swap, as Docker spells it; nil means no swap when `--memory` is set.
    public var memorySwap: ByteSize?
    public var cpus: Double?
    public var cpuWeight: Int?
    public var cpuset: String?
    /// 0 means unlimited; nil the default (512).
    public var pids: Int?
    public var ioLimits: [String] = []
    public var memlock: ByteSize?
    public var nofile: Int?
    public var statsJSON: String?

    public init() {}
}

/// What nucleus does about resources on this host.
public struct ResourcePlan: Sendable, Equatable, Codable {
    /// Nil when this host offers no cgroup nucleus may use (the plan says why).
    public var cgroup: CgroupPlan?
    public var rlimits: [ResourceLimit]
    public var statsJSON: String?

    public init(cgroup: CgroupPlan?, rlimits: [ResourceLimit], statsJSON: String?) {
        self.cgroup = cgroup
        self.rlimits = rlimits
        self.statsJSON = statsJSON
    }
}

/// A child cgroup below nucleus's own, in the unified hierarchy (v2) or in
/// each v1 hierarchy a limit needs.
public struct CgroupPlan: Sendable, Equatable, Codable {
    public enum Version: String, Sendable, Equatable, Codable {
        case v2, v1
    }

    public var version: Version
    /// Controller (v1) or `unified` (v2) -> the directory the child is created in.
    public var parents: [String: String]
    /// Written in order after the child directories exist.
    public var settings: [CgroupSetting]
    /// v2: controllers to enable in the parent's `cgroup.subtree_control`.
    public var controllers: [String]
    /// For "out of memory (limit 32M)".
    public var memoryLimit: ByteSize?

    /// Each distinct parent directory once, in controller order: co-mounted
    /// v1 controllers share one. A plain array, not a `Set`: this runs on
    /// every start, where a new generic type costs its instantiation.
    public var parentDirectories: [String] {
        var distinct: [String] = []
        for controller in parents.keys.sorted() where !distinct.contains(parents[controller]!) {
            distinct.append(parents[controller]!)
        }
        return distinct
    }

    /// Distinct hierarchies, one join each for init.
    public var hierarchyCount: Int { parentDirectories.count }

    /// The controllers whose child is created in `parent`, sorted: more than
    /// one where v1 co-mounts them (`cpu,cpuacct`).
    public func controllers(in parent: String) -> [String] {
        parents.keys.sorted().filter { parents[$0] == parent }
    }

    public init(
        version: Version, parents: [String: String], settings: [CgroupSetting], controllers: [String],
        memoryLimit: ByteSize?
    ) {
        self.version = version
        self.parents = parents
        self.settings = settings
        self.controllers = controllers
        self.memoryLimit = memoryLimit
    }
}

/// `value` written to `file` in the child cgroup of `hierarchy` (a v1
/// controller, or `unified`).
public struct CgroupSetting: Sendable, Equatable, Codable {
    public var hierarchy: String
    public var file: String
    public var value: String

    public init(_ hierarchy: String, _ file: String, _ value: String) {
        self.hierarchy = hierarchy
        self.file = file
        self.value = value
    }
}

/// One `setrlimit` for the workload.
public struct ResourceLimit: Sendable, Equatable, Codable {
    public var name: String
    /// `RLIMIT_*` number.
    public var resource: Int32
    public var soft: UInt64
    public var hard: UInt64

    public static let unlimited = UInt64.max

    public init(name: String, resource: Int32, soft: UInt64, hard: UInt64) {
        self.name = name
        self.resource = resource
        self.soft = soft
        self.hard = hard
    }
}

/// The cgroup hierarchies this host offers, as nucleus's own process sees them.
public struct CgroupLayout: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Everything on the unified hierarchy.
        case unified
        /// v1 controllers (possibly beside a v2 hierarchy holding few or none).
        case legacy
        case unavailable(String)
    }

    public var kind: Kind
    /// v2: the directory of nucleus's own cgroup.
    public var unifiedDirectory: String?
    /// v2: controllers available in it (`cgroup.controllers`).
    public var unifiedControllers: [String]
    /// v1: controller -> the directory of nucleus's own cgroup in its hierarchy.
    public var legacyDirectories: [String: String]

    public init(
        kind: Kind, unifiedDirectory: String? = nil, unifiedControllers: [String] = [],
        legacyDirectories: [String: String] = [:]
    ) {
        self.kind = kind
        self.unifiedDirectory = unifiedDirectory
        self.unifiedControllers = unifiedControllers
        self.legacyDirectories = legacyDirectories
    }
}
