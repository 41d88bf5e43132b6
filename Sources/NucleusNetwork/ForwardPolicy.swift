/// Reads `nft list ruleset` output for forward-hook base chains with a drop
/// policy (Docker sets one on `ip filter FORWARD`). In nftables an accept in
/// one table does not stop another table's chain from dropping, so such a
/// chain breaks the kernel back-end unless it already lets the bridge through.
public enum ForwardPolicy {
    public static func droppingChains(in ruleset: String, ignoring bridge: String) -> [String] {
        var found: [String] = []
        var table = ""
        var chain = ""
        var dropping = false
        var namesBridge = false
        for raw in ruleset.split(separator: "\n") {
            let line = raw.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if line.hasPrefix("table ") {
                table = String(line.dropFirst(6).prefix { $0 != "{" }).trimmingSuffix(" ")
            } else if line.hasPrefix("chain ") {
                chain = String(line.dropFirst(6).prefix { $0 != "{" }).trimmingSuffix(" ")
                dropping = false
                namesBridge = false
            } else if line.contains("hook forward") && line.contains("policy drop") {
                dropping = !table.hasSuffix(" nucleus")
            } else if line.contains("\"\(bridge)\"") {
                namesBridge = true
            } else if line == "}" && !chain.isEmpty {
                if dropping && !namesBridge { found.append("\(table) \(chain)") }
                chain = ""
            }
        }
        return found
    }
}

extension String {
    func trimmingSuffix(_ character: Character) -> String {
        var text = self
        while text.last == character { text.removeLast() }
        return text
    }
}
