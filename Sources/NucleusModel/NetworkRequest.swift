/// How the container reaches the outside when it has a network at all.
public enum NATBackend: String, Sendable, Equatable, Codable, CaseIterable {
    /// Kernel when nucleus runs as root, userspace otherwise.
    case auto
    /// A host bridge, veth pairs and nftables NAT.
    case kernel
    /// slirp4netns: a user-mode TCP/IP stack, no host privileges needed.
    case userspace
}

public enum TransportProtocol: String, Sendable, Equatable, Hashable, Codable {
    case tcp, udp
}

/// `-p [IP:]HOST:CTR[/tcp|udp]`.
public struct PortMapping: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// Nil: every host address.
    public var hostAddress: IPAddress?
    public var hostPort: UInt16
    public var containerPort: UInt16
    public var transport: TransportProtocol

    public init(hostAddress: IPAddress?, hostPort: UInt16, containerPort: UInt16, transport: TransportProtocol) {
        self.hostAddress = hostAddress
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.transport = transport
    }

    public init(parsing text: String) throws(NucleusError) {
        let fail = NucleusError.invalid("--publish \(text): expected [IP:]HOST:CONTAINER[/tcp|udp]")
        var body = Substring(text)
        transport = .tcp
        if let slash = body.lastIndex(of: "/") {
            guard let parsed = TransportProtocol(rawValue: String(body[body.index(after: slash)...])) else {
                throw fail
            }
            transport = parsed
            body = body[..<slash]
        }
        guard let lastColon = body.lastIndex(of: ":"),
            let container = Self.port(body[body.index(after: lastColon)...])
        else { throw fail }
        let front = body[..<lastColon]
        let hostPortText: Substring
        if let colon = front.lastIndex(of: ":") {
            var addressText = front[..<colon]
            if addressText.hasPrefix("[") && addressText.hasSuffix("]") {
                addressText = addressText.dropFirst().dropLast()
            }
            guard let address = IPAddress(String(addressText)) else {
                throw .invalid("--publish \(text): \(addressText) is not an IP address")
            }
            guard address.isIPv4 else { throw .invalid("--publish \(text): only IPv4 host addresses are supported") }
            hostAddress = address
            hostPortText = front[front.index(after: colon)...]
        } else {
            hostAddress = nil
            hostPortText = front
        }
        guard let host = Self.port(hostPortText) else { throw fail }
        hostPort = host
        containerPort = container
    }

    private static func port(_ text: Substring) -> UInt16? {
        guard !text.isEmpty, text.allSatisfy(\.isNumber), let value = UInt16(text), value > 0 else { return nil }
        return value
    }

    public var description: String {
        (hostAddress.map { "\($0):" } ?? "") + "\(hostPort):\(containerPort)/\(transport.rawValue)"
    }

    /// True when both would take the same host port.
    public func conflicts(with other: PortMapping) -> Bool {
        guard transport == other.transport, hostPort == other.hostPort else { return false }
        guard let mine = hostAddress, let theirs = other.hostAddress else { return true }
        return mine == theirs
    }
}

/// `--egress-domain`: an exact name or `*.example.com` (any name below it, not itself).
public struct DomainPattern: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public let name: String
    public let wildcard: Bool

    public init(parsing text: String) throws(NucleusError) {
        var body = text.lowercased()
        if body.hasSuffix(".") { body.removeLast() }
        wildcard = body.hasPrefix("*.")
        if wildcard { body.removeFirst(2) }
        let labels = body.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            body.count <= 253 && labels.count >= 1
            && labels.allSatisfy { label in
                (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
            }
        guard valid else {
            throw .invalid("--egress-domain \(text): expected a DNS name like api.example.com or *.example.com")
        }
        name = body
    }

    /// Does `query` (a name as asked, any case, optional trailing dot) fall under this pattern?
    public func matches(_ query: String) -> Bool {
        var candidate = query.lowercased()
        if candidate.hasSuffix(".") { candidate.removeLast() }
        return wildcard ? candidate.hasSuffix("." + name) : candidate == name
    }

    public var description: String { wildcard ? "*." + name : name }
}

/// Everything `run` was asked about networking beyond the mode.
public struct NetworkRequest: Sendable, Equatable, Codable {
    public var natBackend: NATBackend = .auto
    /// `--subnet`: the bridge's block (kernel back-end) or slirp4netns's.
    public var subnet: IPNetwork?
    /// `--ipv6`: the kernel bridge carries IPv6 too.
    public var ipv6 = false
    public var publish: [PortMapping] = []
    public var dns: [IPAddress] = []
    public var egressAllow: [IPNetwork] = []
    public var egressTCPPorts: [UInt16] = []
    public var egressUDPPorts: [UInt16] = []
    public var egressDomains: [DomainPattern] = []

    public init() {}

    public var hasEgressPolicy: Bool {
        !egressAllow.isEmpty || !egressTCPPorts.isEmpty || !egressUDPPorts.isEmpty || !egressDomains.isEmpty
    }
}
