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
