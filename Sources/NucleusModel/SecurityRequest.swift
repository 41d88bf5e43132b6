/// A policy file named on the command line, optionally pinned by its SHA-256.
public struct PolicyFile: Sendable, Equatable, Codable {
    public var path: String
    /// Lower-case hex, when pinned.
    public var sha256: String?

    public init(path: String, sha256: String? = nil) {
        self.path = path
        self.sha256 = sha256
    }
}

/// The kernel security policy flags: seccomp, Landlock, capabilities.
public struct SecurityRequest: Sendable, Equatable, Codable {
    public var seccompProfile: PolicyFile?
    public var seccompMode: SeccompPolicy.Mode = .enforce
    /// Trace mode's NDJSON output.
    public var seccompLog: String?
    public var seccompLogDenied = false
    /// `--seccomp-allow`: opt-in syscalls added to the built-in allowlist.
    public var seccompAllow: [String] = []
    /// `--allow-jit`: memory may be writable and executable at once.
    public var allowJIT = false
    public var landlockPolicy: PolicyFile?
    public var capsPolicy: PolicyFile?

    public init() {}
}
