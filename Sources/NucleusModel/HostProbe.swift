/// What the planner may learn about the host: read-only questions, so that
/// planning never changes anything and tests can answer them with a fake.
public protocol HostProbe: Sendable {
    var effectiveUID: UInt32 { get }
    var effectiveGID: UInt32 { get }
    /// One variable of the caller's environment (for `-e KEY` and `TERM`).
    func environmentValue(_ name: String) -> String?
    /// Whether any of stdin, stdout, stderr is a terminal.
    var hasTerminal: Bool { get }
    /// What is at `path`, without following a final symlink.
    func entry(at path: String) -> HostEntry
    /// The canonical path with every symlink resolved, or nil if it does not exist.
    func resolve(_ path: String) -> String?
    func readTextFile(_ path: String) throws(NucleusError) -> String
    /// The file's exact bytes: policy files are hashed as they are.
    func readFile(_ path: String) throws(NucleusError) -> [UInt8]
    func isOpen(fileDescriptor: Int32) -> Bool
    /// The owner of `path` (following symlinks), or nil if it does not exist.
    func owner(of path: String) -> (uid: UInt32, gid: UInt32)?
    /// The names in directory `path` (no `.`, `..`), sorted; empty if unreadable.
    func directoryNames(at path: String) -> [String]
    /// The Landlock ABI version this kernel offers; 0 without Landlock.
    var landlockABI: Int { get }
    /// The kernel's lockdown level; nil when the kernel has no lockdown LSM.
    var kernelLockdown: KernelLockdown? { get }
    /// Which cgroup hierarchy the host mounts at /sys/fs/cgroup (one statfs).
    var cgroupKind: CgroupLayout.Kind { get }
    /// Nucleus's own place in the hierarchies of `kind` (what `cgroupKind`
    /// found): reads /proc/self/cgroup and, on v1, looks only for the
    /// hierarchies of `controllers`. Asked only when a cgroup is needed.
    func cgroupLayout(_ kind: CgroupLayout.Kind, controllers: [String]) -> CgroupLayout
    var onlineCPUs: Int { get }
    /// Whether this process may create entries in directory `path`.
    func isWritable(_ path: String) -> Bool
    /// This process's soft and hard limit for `RLIMIT_*` number `resource`.
    func resourceLimit(_ resource: Int32) -> (soft: UInt64, hard: UInt64)
    /// The addresses of this network namespace's interfaces (for the egress
    /// rules that keep the workload off the host's own services).
    var hostAddresses: [IPAddress] { get }
    /// Other tables' IPv4 forward-hook chains whose policy drops and that
    /// never name `bridge` ("ip filter FORWARD"): routed bridge traffic would
    /// die there, whatever nucleus's own table accepts. Asked only for bridge mode.
    func forwardDrops(ignoring bridge: String, ipv6: Bool) -> [ForwardDrop]
    /// Whether the file system holding `path` is one the kernel can idmap.
    func supportsIdmappedMounts(_ path: String) -> Bool
}

public enum HostEntry: Sendable, Equatable {
    case missing
    case directory
    case file
    case symlink(String)
    case other
}

/// What `--ipv6`, which turns IPv6 forwarding on, must know first.
public struct IPv6Settings: Sendable, Equatable {
    /// IPv6 is compiled in and not disabled (`net.ipv6.conf.all.disable_ipv6`).
    public var available: Bool
    /// `net.ipv6.conf.all.forwarding` is already on.
    public var forwarding: Bool
    /// Interfaces with `accept_ra=1`: with forwarding on they would ignore
    /// router advertisements and could lose their IPv6 routes.
    public var acceptingRouterAdvertisements: [String]

    public init(available: Bool, forwarding: Bool, acceptingRouterAdvertisements: [String]) {
        self.available = available
        self.forwarding = forwarding
        self.acceptingRouterAdvertisements = acceptingRouterAdvertisements
    }

    static let configuration = "/proc/sys/net/ipv6/conf"

    /// From `/proc/sys/net/ipv6/conf` of the namespace nucleus runs in.
    public init(reading host: any HostProbe) {
        func value(_ interface: String, _ key: String) -> String? {
            (try? host.readTextFile("\(Self.configuration)/\(interface)/\(key)"))?.trimmingNewline
        }
        available = value("all", "disable_ipv6") == "0"
        forwarding = value("all", "forwarding") == "1"
        acceptingRouterAdvertisements = host.directoryNames(at: Self.configuration).filter { interface in
            !["all", "default", "lo"].contains(interface) && value(interface, "accept_ra") == "1"
        }.sorted()
    }
}

/// A foreign chain that drops forwarded traffic by policy, and the chain its
/// owner provides for other tools' accepts when there is one (Docker jumps
/// to `DOCKER-USER` first and never rewrites it).
public struct ForwardDrop: Sendable, Equatable {
    /// "family table chain".
    public var chain: String
    /// "family table DOCKER-USER", when `chain` jumps there.
    public var userHook: String?

    public init(chain: String, userHook: String? = nil) {
        self.chain = chain
        self.userHook = userHook
    }
}
