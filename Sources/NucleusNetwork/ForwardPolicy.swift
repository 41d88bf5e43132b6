import CNucleus
import NucleusModel

/// Forward-hook base chains of other tables whose policy drops (Docker sets
/// one on `ip filter FORWARD`). In nftables an accept in one table does not
/// stop another table's chain from dropping, so such a chain breaks the
/// kernel back-end unless its rules already let the bridge through, or its
/// owner offers a chain for other tools' accepts (Docker's `DOCKER-USER`).
public enum ForwardPolicy {
    public static let dockerUserChain = "DOCKER-USER"

    /// Asked over raw netlink, rules included: nothing here loads libnftables.
    public static func drops(ignoring bridge: String, ipv6: Bool) -> [ForwardDrop] {
        var drops = nftablesDrops(ignoring: bridge, ipv6: ipv6)
        if nucleus_iptables_legacy_forward_drops(bridge) == 1 { drops.append(legacyFilter) }
        if ipv6 && nucleus_ip6tables_legacy_forward_drops(bridge) == 1 { drops.append(legacyFilter6) }
        return drops
    }

    /// No user hook: nucleus cannot add to an x_tables table without
    /// replacing it whole, which would be editing its owner's rules.
    static let legacyFilter = ForwardDrop(chain: "iptables-legacy filter FORWARD")
    static let legacyFilter6 = ForwardDrop(chain: "ip6tables-legacy filter FORWARD")

    static func nftablesDrops(ignoring bridge: String, ipv6: Bool) -> [ForwardDrop] {
        var buffer = [CChar](repeating: 0, count: 8192)
        guard nucleus_nft_forward_drop_chains(&buffer, Int32(buffer.count)) > 0 else { return [] }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        let dump = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return chains(fromDump: dump, ipv6: ipv6).compactMap { drop($0, bridge: bridge, mentions: mentions) }
    }

    /// Whether a rule of `chain` ("family table chain") names `needle`, asked
    /// over raw netlink: libnftables would cost milliseconds on every run of a Docker host.
    public static func mentions(_ chain: String, _ needle: String) -> Bool {
        let parts = chain.split(separator: " ").map(String.init)
        guard parts.count == 3 else { return false }
        return nucleus_nft_chain_mentions(parts[0], parts[1], parts[2], needle) == 1
    }

    /// `chain` as a problem for `bridge`, or nil when its rules (or those of
    /// the user hook it jumps to) already accept the bridge.
    public static func drop(_ chain: String, bridge: String, mentions: (String, String) -> Bool) -> ForwardDrop? {
        guard !mentions(chain, bridge) else { return nil }
        guard mentions(chain, dockerUserChain) else { return ForwardDrop(chain: chain) }
        let hook = chain.split(separator: " ").dropLast().joined(separator: " ") + " " + dockerUserChain
        return mentions(hook, bridge) ? nil : ForwardDrop(chain: chain, userHook: hook)
    }

    /// "family table chain" lines of the families the bridge routes (ip6
    /// only with `--ipv6`), without nucleus's own table.
    public static func chains(fromDump dump: String, ipv6: Bool) -> [String] {
        let families = ipv6 ? ["ip ", "inet ", "ip6 "] : ["ip ", "inet "]
        return dump.split(separator: "\n").map(String.init).filter { line in
            families.contains { line.hasPrefix($0) } && !line.hasPrefix("inet \(HostRules.table) ")
        }
    }

    /// Inserted at the head of the user hook: Docker's own rules and the
    /// policy drop then never see bridge traffic, and nucleus's table still
    /// decides what enters the bridge.
    public static func hookRules(_ hook: String, bridge: String) -> HookRules {
        let comment = "comment \"nucleus: bridge \(bridge)\""
        return HookRules(
            chain: hook,
            text: """
                insert rule \(hook) oifname "\(bridge)" accept \(comment)
                insert rule \(hook) iifname "\(bridge)" accept \(comment)

                """)
    }
}
