import CNucleus

/// Forward-hook base chains of other tables whose policy drops (Docker sets
/// one on `ip filter FORWARD`). In nftables an accept in one table does not
/// stop another table's chain from dropping, so such a chain breaks the
/// kernel back-end unless its rules already let the bridge through.
public enum ForwardPolicy {
    /// Asked over raw netlink (fast); only a chain found that way is read
    /// through libnftables to see whether it names the bridge.
    public static func droppingChains(ignoring bridge: String) -> [String] {
        var buffer = [CChar](repeating: 0, count: 8192)
        guard nucleus_nft_forward_drop_chains(&buffer, Int32(buffer.count)) > 0 else { return [] }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        let dump = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return chains(fromDump: dump).filter { chain in
            let text = (try? Nftables.run("list chain \(chain)", what: "read \(chain)")) ?? ""
            return !names(bridge, chainText: text)
        }
    }

    /// "family table chain" lines, without nucleus's own table.
    public static func chains(fromDump dump: String) -> [String] {
        dump.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("inet \(HostRules.table) ") }
    }

    /// Whether a listed chain's rules mention the bridge (an admin let it through).
    public static func names(_ bridge: String, chainText: String) -> Bool {
        chainText.contains("\"\(bridge)\"")
    }
}
