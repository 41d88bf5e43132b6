/// How much a start may give up: `agent` runs with what the host offers and
/// says what is degraded; `strict-agent` and `production` refuse instead.
public enum ServiceMode: String, Sendable, Equatable, Codable, CaseIterable {
    case agent
    case strictAgent = "strict-agent"
    case production

    /// `mitos-agent` is another name for strict-agent.
    public init?(name: String) {
        if name == "mitos-agent" {
            self = .strictAgent
        } else {
            self.init(rawValue: name)
        }
    }

    /// Whether a degraded mechanism stops the start.
    public var failsClosed: Bool { self != .agent }
}

/// `--trust-level`: untrusted production workloads need gVisor.
public enum TrustLevel: String, Sendable, Equatable, Codable, CaseIterable {
    case trusted, untrusted
}

/// The kernel's lockdown level, weakest first.
public enum KernelLockdown: String, Sendable, Equatable, Codable, CaseIterable, Comparable {
    case none, integrity, confidentiality

    public static func < (left: KernelLockdown, right: KernelLockdown) -> Bool {
        allCases.firstIndex(of: left)! < allCases.firstIndex(of: right)!
    }

    /// The bracketed word of `/sys/kernel/security/lockdown` ("none [integrity] confidentiality").
    public init?(securityfsText text: String) {
        guard let open = text.firstIndex(of: "["), let close = text[open...].firstIndex(of: "]") else { return nil }
        self.init(rawValue: String(text[text.index(after: open)..<close]))
    }
}

/// `--health-cmd` and its timing: a command run inside the container, as the workload.
public struct HealthCheck: Sendable, Equatable, Codable {
    /// The argv (`/bin/sh -c CMD`).
    public var command: [String]
    public var interval: Double
    public var retries: Int
    public var startPeriod: Double
    public var timeout: Double
    /// `--health-exit-on-unhealthy`: end the container when it turns unhealthy.
    public var exitOnUnhealthy: Bool

    public init(
        command: [String], interval: Double = 30, retries: Int = 3, startPeriod: Double = 5, timeout: Double = 5,
        exitOnUnhealthy: Bool = false
    ) {
        self.command = command
        self.interval = interval
        self.retries = retries
        self.startPeriod = startPeriod
        self.timeout = timeout
        self.exitOnUnhealthy = exitOnUnhealthy
    }
}

/// When the workload counts as ready: a command that succeeds inside the
/// container (`--readiness-exec`) or a TCP port on its loopback that accepts
/// (`--readiness-tcp`), probed every 100 ms until it holds; or the workload
/// itself sending READY=1 to `$NOTIFY_SOCKET` (`--readiness-sd-notify`).
public enum Readiness: Sendable, Equatable, Codable {
    case exec([String])
    case tcp(UInt16)
    case sdNotify

    /// Where the workload finds its notify socket.
    public static let notifyDirectory = "/run/nucleus-notify"
    public static let notifySocket = notifyDirectory + "/notify.sock"
}
