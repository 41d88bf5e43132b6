import NucleusModel

/// The deny-by-default egress table installed inside the container's network
/// namespace. The workload has no CAP_NET_ADMIN there, so it cannot change it.
/// Order: loopback, established, DNS (to the resolvers, or only the
/// forwarder's marked queries), the protected addresses (cloud metadata, the
/// host's own) unless named exactly, the allowed blocks and ports, the
/// forwarder's answered addresses, then a logged, rate-limited reject.
public struct EgressRules: Sendable, Equatable {
    public static let table = "nucleus_egress"
    /// Cloud metadata endpoints: the common one, AWS ECS's, AWS's IPv6 one, Alibaba's.
    public static let metadataAddresses = ["169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200"].map {
        IPAddress($0)!
    }
    public static let logPrefix = "nucleus-egress-denied: "
    /// The NFLOG group nucleus reads the denials from (see `DeniedLog`).
    public static let logGroup: UInt16 = 100

    public var allow: [IPNetwork]
    public var tcpPorts: [UInt16]
    public var udpPorts: [UInt16]
    public var resolvers: [IPAddress]
    public var forwarder: DNSForwarderPlan?
    /// The metadata address and the host's own addresses.
    public var protected: [IPAddress]

    public init(
        allow: [IPNetwork], tcpPorts: [UInt16], udpPorts: [UInt16], resolvers: [IPAddress],
        forwarder: DNSForwarderPlan?, protected: [IPAddress]
    ) {
        self.allow = Self.withoutCovered(allow)
        self.tcpPorts = Array(Set(tcpPorts)).sorted()
        self.udpPorts = Array(Set(udpPorts)).sorted()
        self.resolvers = resolvers
        self.forwarder = forwarder
        let named = Set(allow.filter(\.isSingleAddress).map(\.address))
        var seen = Set<IPAddress>()
        self.protected = protected.filter { !named.contains($0) && seen.insert($0).inserted }
    }

    /// nftables refuses overlapping intervals in one set: keep only the widest blocks.
    static func withoutCovered(_ blocks: [IPNetwork]) -> [IPNetwork] {
        var kept: [IPNetwork] = []
        for block in Set(blocks).sorted(by: { $0.prefix < $1.prefix || ($0.prefix == $1.prefix && "\($0)" < "\($1)") })
        where !kept.contains(where: { $0.prefix <= block.prefix && $0.contains(block.address) }) {
            kept.append(block)
        }
        return kept
    }

    public var text: String {
        var lines = ["table inet \(Self.table) {"]
        if let forwarder {
            lines.append("\tset \(forwarder.ipv4Set) { type ipv4_addr; flags timeout; }")
            lines.append("\tset \(forwarder.ipv6Set) { type ipv6_addr; flags timeout; }")
        }
        lines.append("\tchain output {")
        lines.append("\t\ttype filter hook output priority filter; policy drop;")
        lines.append("\t\toifname \"lo\" accept")
        lines.append("\t\tct state established,related accept")
        // The kernel's own IPv6 neighbour discovery and multicast reports on eth0: not the workload's traffic.
        lines.append(
            "\t\ticmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report } accept"
        )
        let markMatch = forwarder.map { "meta mark \(hex($0.mark)) " } ?? ""
        for (family, addresses) in Self.byFamily(resolvers) {
            for transport in ["udp", "tcp"] {
                lines.append(
                    "\t\t\(markMatch)\(family) daddr \(nftSet(addresses.map(\.description))) \(transport) dport 53 accept"
                )
            }
        }
        for (family, addresses) in Self.byFamily(protected) {
            lines.append("\t\t\(family) daddr \(nftSet(addresses.map(\.description))) jump denied")
        }
        // Link-local IPv6 reaches the host's bridge and every neighbour
        // whatever the blocks allowed; neighbour discovery passed above.
        lines.append("\t\tip6 daddr fe80::/10 jump denied")
        let ports = portClauses
        for (family, blocks) in Self.byFamily(allow) {
            for clause in ports {
                lines.append("\t\t\(family) daddr \(nftSet(blocks.map(\.description)))\(clause) accept")
            }
        }
        if let forwarder {
            for (family, name) in [("ip", forwarder.ipv4Set), ("ip6", forwarder.ipv6Set)] {
                for clause in ports { lines.append("\t\t\(family) daddr @\(name)\(clause) accept") }
            }
        }
        if allow.isEmpty && forwarder == nil && !(tcpPorts.isEmpty && udpPorts.isEmpty) {
            for clause in ports { lines.append("\t\tmeta nfproto { ipv4, ipv6 }\(clause) accept") }
        }
        lines.append("\t\tjump denied")
        lines.append("\t}")
        if let forwarder {
            lines.append("\tchain input {")
            lines.append("\t\ttype filter hook input priority filter; policy accept;")
            lines.append("\t\tiifname \"lo\" udp dport \(forwarder.upstreamPort) drop")
            lines.append("\t}")
        }
        lines.append("\tchain denied {")
        lines.append("\t\tlimit rate 5/minute burst 5 packets log prefix \"\(Self.logPrefix)\" group \(Self.logGroup)")
        lines.append("\t\tmeta l4proto tcp reject with tcp reset")
        lines.append("\t\treject with icmpx admin-prohibited")
        lines.append("\t}")
        lines.append("}")
        return lines.map { $0 + "\n" }.joined()
    }

    /// Without ports, any protocol; with ports, only those (TCP and UDP separately).
    var portClauses: [String] {
        if tcpPorts.isEmpty && udpPorts.isEmpty { return [""] }
        var clauses: [String] = []
        if !tcpPorts.isEmpty { clauses.append(" tcp dport \(nftSet(tcpPorts.map { String($0) }))") }
        if !udpPorts.isEmpty { clauses.append(" udp dport \(nftSet(udpPorts.map { String($0) }))") }
        return clauses
    }

    static func byFamily(_ addresses: [IPAddress]) -> [(String, [IPAddress])] {
        [("ip", addresses.filter(\.isIPv4)), ("ip6", addresses.filter { !$0.isIPv4 })].filter { !$0.1.isEmpty }
    }

    static func byFamily(_ blocks: [IPNetwork]) -> [(String, [IPNetwork])] {
        [("ip", blocks.filter(\.isIPv4)), ("ip6", blocks.filter { !$0.isIPv4 })].filter { !$0.1.isEmpty }
    }
}

/// An anonymous nftables set: `{ a, b }`.
func nftSet(_ items: [String]) -> String { "{ " + items.joined(separator: ", ") + " }" }

func hex(_ value: UInt32) -> String {
    "0x" + String(value, radix: 16)
}
