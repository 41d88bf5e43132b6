/// What the caller asked for, before any decision about the host: the CLI
/// flags or a config document, parsed but not yet judged. The planner turns it
/// into a `Plan` or refuses it.
public struct Request: Sendable, Equatable, Codable {
    public var command: [String]
    public var name: String?
    public var hostname: String?
    public var rootfs: String?
    public var rootfsSize: ByteSize
    public var network: NetworkMode
    public var allowHostNetwork: Bool
    /// Bridge mode's back-end, ports, resolvers and egress policy.
    public var networking: NetworkRequest
    public var timeNamespace: Bool
    public var timeOffsetMonotonic: Int64
    public var timeOffsetBoottime: Int64
    public var usernsBase: UInt32
    public var procReadWrite: Bool
    public var allowChrootFallback: Bool
    public var home: String
    /// Names or numeric ids.
    public var user: String?
    public var group: String?
    public var additionalGroups: [String]
    /// `-e KEY=VALUE` or `-e KEY` (take the caller's value), in order.
    public var environment: [String]
    public var envFiles: [String]
    /// `KEY=VALUE` pairs read from `--env-fd`: never shown in plan output.
    public var sensitiveEnvironment: [String]
    public var preserveFDs: Int
    public var terminal: Bool
    public var workdir: String?
    public var volumes: [VolumeMount]
    public var tmpfsMounts: [TmpfsMount]
    public var secrets: [SecretMount]
    public var workspace: Workspace?
    public var context: Context?
    public var providerConfigs: [ProviderConfig]
    public var security: SecurityRequest
    public var resources: ResourceRequest
    public var serviceMode: ServiceMode
    /// `--allow-degraded-security`: agent mode only.
    public var allowDegradedSecurity: Bool
    public var trustLevel: TrustLevel?
    /// `--require-kernel-lockdown`: refuse to start on a weaker kernel.
    public var requireKernelLockdown: KernelLockdown?
    /// `--stop-timeout`: seconds from a forwarded SIGTERM to SIGKILL.
    public var stopTimeout: Double
    /// `--verify-rootfs-attestation`: check `--rootfs` against its manifest before start.
    public var verifyRootfsAttestation: Bool
    public var events: EventsTarget?
    public var systemdCredentials: [SystemdCredential]
    public var health: HealthCheck?
    public var readiness: Readiness?
    /// `--sd-notify`: relay READY=1 to the caller's `$NOTIFY_SOCKET` once ready.
    public var sdNotify: Bool

    public static let defaultHome = "/home/agent"
    public static let defaultUsernsBase: UInt32 = 100_000
    public static let defaultRootfsSize = ByteSize(bytes: 256 * 1024 * 1024)

    public init(command: [String]) {
        self.command = command
        name = nil
        hostname = nil
        rootfs = nil
        rootfsSize = Self.defaultRootfsSize
        network = .none
        allowHostNetwork = false
        networking = NetworkRequest()
        timeNamespace = false
        timeOffsetMonotonic = 0
        timeOffsetBoottime = 0
        usernsBase = Self.defaultUsernsBase
        procReadWrite = false
        allowChrootFallback = false
        home = Self.defaultHome
        user = nil
        group = nil
        additionalGroups = []
        environment = []
        envFiles = []
        sensitiveEnvironment = []
        preserveFDs = 0
        terminal = false
        workdir = nil
        volumes = []
        tmpfsMounts = []
        secrets = []
        workspace = nil
        context = nil
        providerConfigs = []
        security = SecurityRequest()
        resources = ResourceRequest()
        serviceMode = .agent
        allowDegradedSecurity = false
        trustLevel = nil
        requireKernelLockdown = nil
        stopTimeout = 10
        verifyRootfsAttestation = false
        events = nil
        systemdCredentials = []
        health = nil
        readiness = nil
        sdNotify = false
    }
}

public enum NetworkMode: String, Sendable, Equatable, Codable, CaseIterable {
    /// A new network namespace with only `lo`, up.
    case none
    /// The host's network namespace; needs `--allow-host-network`.
    case host
    /// A new network namespace reaching out through NAT (kernel bridge or slirp4netns).
    case bridge
}
