/// The container's network beyond `lo`, decided before anything is created:
/// which back-end, which block, the ports, the resolvers, and the exact
/// nftables text installed on each side.
public struct NetworkPlan: Sendable, Equatable, Codable {
    public enum Backend: String, Sendable, Equatable, Codable {
        case kernel, userspace
    }

    public var backend: Backend
    /// Kernel back-end: the host bridge every container's veth joins.
    public var bridge: String
    public var subnet: IPNetwork
    public var gateway: IPAddress
    /// `--ipv6`: the bridge's IPv6 block and gateway. A container's IPv6
    /// address has the same host number as its IPv4 lease, so one lease
    /// store serves both.
    public var ipv6: IPv6Plan?
    /// The name of the interface inside the container.
    public var interface: String
    public var publish: [PortMapping]
    /// The resolvers the container (or its forwarder) may ask.
    public var resolvers: [IPAddress]
    /// `--egress-domain`: the forwarder that answers only allowed names.
    public var forwarder: DNSForwarderPlan?
    /// Installed in the container's network namespace before the workload starts; nil: egress unrestricted.
    public var egressRules: String?
    /// Kernel back-end: nucleus's own host table, created once and shared by every container.
    public var hostRules: String?
    /// Kernel back-end behind Docker's forward drop: accepts for the bridge
    /// inserted into `DOCKER-USER`, the chain Docker leaves to other tools.
    public var hookRules: [HookRules] = []

    public init(
        backend: Backend, bridge: String, subnet: IPNetwork, gateway: IPAddress, interface: String,
        publish: [PortMapping], resolvers: [IPAddress]
    ) {
        self.backend = backend
        self.bridge = bridge
        self.subnet = subnet
        self.gateway = gateway
        self.interface = interface
        self.publish = publish
        self.resolvers = resolvers
    }
}

public struct IPv6Plan: Sendable, Equatable, Codable {
    public var subnet: IPNetwork
    public var gateway: IPAddress

    public init(subnet: IPNetwork, gateway: IPAddress) {
        self.subnet = subnet
        self.gateway = gateway
    }

    /// The IPv6 address that goes with IPv4 lease `address` of `subnet`.
    public func address(pairedWith address: IPAddress, in ipv4: IPNetwork) -> IPAddress {
        subnet.address.advanced(by: address.ipv4Value &- ipv4.address.ipv4Value)
    }
}

/// Rules for one foreign hook chain, installed once (they persist with the
/// bridge) unless the chain already names the bridge.
public struct HookRules: Sendable, Equatable, Codable {
    /// "family table chain".
    public var chain: String
    public var text: String

    public init(chain: String, text: String) {
        self.chain = chain
        self.text = text
    }
}

/// A DNS forwarder nucleus runs for the container, inside its network
/// namespace: it answers only names the egress policy allows and adds the
/// answered addresses to the egress sets for the record's TTL.
public struct DNSForwarderPlan: Sendable, Equatable, Codable {
    public var listen: IPAddress
    public var names: [DomainPattern]
    public var upstream: [IPAddress]
    /// The socket mark of its upstream queries: the only DNS the egress rules let out.
    public var mark: UInt32
    /// Its upstream sockets' local port: answers must come in from outside,
    /// never from the workload over `lo` (the egress table drops those).
    public var upstreamPort: UInt16 = 53_535
    /// The nftables sets its answers go into.
    public var table: String
    public var ipv4Set: String
    public var ipv6Set: String

    public init(listen: IPAddress, names: [DomainPattern], upstream: [IPAddress], mark: UInt32, table: String) {
        self.listen = listen
        self.names = names
        self.upstream = upstream
        self.mark = mark
        self.table = table
        ipv4Set = "domain4"
        ipv6Set = "domain6"
    }
}
