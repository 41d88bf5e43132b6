/// The capabilities the workload keeps (`--caps-policy`); empty by default.
/// After exec a process without file capabilities holds exactly its ambient
/// set, so `ambient` is what the workload can use; `bounding` and
/// `inheritable` are what it could ever regain.
public struct CapabilitySets: Sendable, Equatable, Codable {
    public var bounding: [String]
    public var inheritable: [String]
    public var ambient: [String]
    /// The policy file and its SHA-256, or nil for the default (nothing kept).
    public var origin: String?

    public init(bounding: [String] = [], inheritable: [String] = [], ambient: [String] = [], origin: String? = nil) {
        self.bounding = bounding
        self.inheritable = inheritable
        self.ambient = ambient
        self.origin = origin
    }

    public var isEmpty: Bool { bounding.isEmpty && inheritable.isEmpty && ambient.isEmpty }
}

/// Capability names (without `CAP_`) and their numbers.
public enum CapabilityNames {
    public static let all = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    ]

    public static func number(_ name: String) -> Int? { all.firstIndex(of: name) }

    public static func mask(_ names: [String]) -> UInt64 {
        names.reduce(0) { mask, name in mask | (number(name).map { UInt64(1) << UInt64($0) } ?? 0) }
    }
}
