import NucleusModel

/// nucleus's own table in the host's network namespace (kernel back-end):
/// masquerade for the bridge's block, forwarding for its traffic, and the
/// published ports as map elements that each container adds and removes by
/// value. Nobody else's table or chain is ever touched.
public enum HostRules {
    public static let table = "nucleus"
    public static let anyAddressMap = "publish_any"
    public static let oneAddressMap = "publish_addr"

    /// The IPv6 block is masqueraded whether or not this run asked for
    /// `--ipv6`: the table is created once, by whichever run comes first.
    public static func text(bridge: String, subnet: IPNetwork, ipv6Subnet: IPNetwork) -> String {
        let lookups = """
            \t\tfib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @\(oneAddressMap)
            \t\tfib daddr type local dnat ip to meta l4proto . th dport map @\(anyAddressMap)

            """
        return """
            table inet \(table) {
            \tmap \(anyAddressMap) { type inet_proto . inet_service : ipv4_addr . inet_service; }
            \tmap \(oneAddressMap) { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
            \tchain prerouting {
            \t\ttype nat hook prerouting priority dstnat; policy accept;
            \(lookups)\t}
            \tchain output {
            \t\ttype nat hook output priority -100; policy accept;
            \(lookups)\t}
            \tchain postrouting {
            \t\ttype nat hook postrouting priority srcnat; policy accept;
            \t\tip saddr \(subnet) oifname != "\(bridge)" masquerade
            \t\tip6 saddr \(ipv6Subnet) oifname != "\(bridge)" masquerade
            \t\tip saddr 127.0.0.0/8 oifname "\(bridge)" masquerade
            \t}
            \tchain forward {
            \t\ttype filter hook forward priority filter; policy accept;
            \t\tiifname "\(bridge)" accept
            \t\toifname "\(bridge)" ct state established,related accept
            \t\toifname "\(bridge)" ct status dnat accept
            \t\toifname "\(bridge)" drop
            \t}
            }

            """
    }

    /// The map element that sends `mapping` to `container`.
    public static func element(_ mapping: PortMapping, container: IPAddress) -> (map: String, element: String) {
        let target = "\(container) . \(mapping.containerPort)"
        if let address = mapping.hostAddress {
            return (oneAddressMap, "\(address) . \(mapping.transport.rawValue) . \(mapping.hostPort) : \(target)")
        }
        return (anyAddressMap, "\(mapping.transport.rawValue) . \(mapping.hostPort) : \(target)")
    }

    public static func addElements(_ mappings: [PortMapping], container: IPAddress) -> String {
        mappings.map { mapping in
            let (map, element) = element(mapping, container: container)
            return "add element inet \(table) \(map) { \(element) }\n"
        }.joined()
    }

    /// Deleting needs only the key.
    public static func deleteElements(_ mappings: [PortMapping]) -> String {
        mappings.map { mapping in
            let key =
                mapping.hostAddress.map { "\($0) . \(mapping.transport.rawValue) . \(mapping.hostPort)" }
                ?? "\(mapping.transport.rawValue) . \(mapping.hostPort)"
            let map = mapping.hostAddress == nil ? anyAddressMap : oneAddressMap
            return "delete element inet \(table) \(map) { \(key) }\n"
        }.joined()
    }
}
