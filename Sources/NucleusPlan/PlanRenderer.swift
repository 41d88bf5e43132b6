import FoundationEssentials
import NucleusModel
import NucleusSecurity

/// The two printed forms of a plan: for people, and `--format json` for programs.
public enum PlanRenderer {
    public static func json(_ plan: Plan) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding a plain value tree of strings, numbers and arrays cannot fail.
        let data = try! encoder.encode(plan)
        return String(decoding: data, as: UTF8.self)
    }

    public static func text(_ plan: Plan) -> String {
        var lines: [String] = []
        lines.append("nucleus plan (\(plan.mode) mode)")
        if let name = plan.name { lines.append("  name:        \(name)") }
        lines.append("  hostname:    \(plan.hostname)")
        lines.append("  namespaces:  \(plan.namespaces.map(\.rawValue).joined(separator: " "))")
        lines.append("  uid map:     \(mapText(plan.idMapping.uidMap))")
        lines.append("  gid map:     \(mapText(plan.idMapping.gidMap))")
        lines.append("  setgroups:   \(plan.idMapping.setgroupsAllowed ? "allow" : "deny")")
        lines.append("process:")
        lines.append("  argv:        \(plan.process.argv.map(quoted).joined(separator: " "))")
        lines.append("  identity:    uid \(plan.process.uid), gid \(plan.process.gid)")
        lines.append("  workdir:     \(plan.process.workdir)")
        lines.append(
            "  session:     \(plan.process.terminal ? "caller's terminal, foreground" : "new session, no terminal")")
        lines.append(
            "  fds:         0-2" + (plan.process.preserveFDs > 0 ? " and 3-\(2 + plan.process.preserveFDs)" : "")
                + ", all others closed")
        lines.append("  environment:")
        lines += plan.process.environment.map { "    \($0)" }
        lines += plan.process.sensitiveNames.map { "    \($0)=<from --env-fd, not shown>" }
        lines.append("setup (in order):")
        for (index, step) in plan.setup.enumerated() {
            let number = String(index + 1)
            let padding = String(repeating: " ", count: max(0, 4 - number.count))
            lines.append("\(padding)\(number). \(step.summary)\(step.optional ? " [if present]" : "")")
        }
        lines.append("security:")
        let width = plan.mechanisms.map(\.name.count).max() ?? 0
        for mechanism in plan.mechanisms {
            let status = mechanism.status.rawValue.padding(to: 9)
            lines.append("  \(status) \(mechanism.name.padding(to: width))  \(mechanism.detail)")
        }
        lines.append("capabilities (after exec: the ambient set):")
        for (name, set) in [
            ("bounding", plan.capabilities.bounding), ("inheritable", plan.capabilities.inheritable),
            ("ambient", plan.capabilities.ambient),
        ] {
            lines.append("  \(name.padding(to: 12)) \(set.isEmpty ? "none" : set.joined(separator: " "))")
        }
        if let network = plan.network { lines += networkLines(network) }
        if let landlock = plan.landlock { lines += landlockLines(landlock) }
        if let seccomp = plan.seccomp { lines += seccompLines(seccomp) }
        return lines.joined(separator: "\n") + "\n"
    }

    static func networkLines(_ network: NetworkPlan) -> [String] {
        var lines = ["network (bridge):"]
        switch network.backend {
        case .kernel:
            lines.append(
                "  back-end:    kernel: bridge \(network.bridge), veth -> \(network.interface), NAT in inet nucleus")
            lines.append("  address:     leased from \(network.subnet) at start, gateway \(network.gateway)")
            if let ipv6 = network.ipv6 {
                lines.append(
                    "  ipv6:        \(ipv6.subnet), the lease's host number, gateway \(ipv6.gateway); host forwards IPv6"
                )
            }
        case .userspace:
            lines.append("  back-end:    userspace: slirp4netns, \(network.interface) in \(network.subnet)")
            lines.append("  address:     \(network.subnet.address.advanced(by: 100)), gateway \(network.gateway)")
        }
        lines.append(
            "  published:   "
                + (network.publish.isEmpty ? "none" : network.publish.map(\.description).joined(separator: ", ")))
        lines.append(
            "  resolvers:   "
                + (network.resolvers.isEmpty ? "none" : network.resolvers.map(\.description).joined(separator: ", ")))
        if let forwarder = network.forwarder {
            lines.append(
                "  dns forwarder: \(forwarder.listen):53 (UDP and TCP) in the container, answers only "
                    + forwarder.names.map(\.description).joined(separator: ", "))
        }
        if let rules = network.egressRules {
            lines.append("  egress rules (nftables, inside the container's network namespace):")
            lines += rules.split(separator: "\n").map { "    " + $0.replacing("\t", with: "  ") }
        } else {
            lines.append("  egress rules: none (outbound traffic unrestricted)")
        }
        if let rules = network.hostRules {
            lines.append("  host table (created once, shared by every bridge container):")
            lines += rules.split(separator: "\n").map { "    " + $0.replacing("\t", with: "  ") }
        }
        for hook in network.hookRules {
            lines.append("  accepts in \(hook.chain) (Docker's chain for other tools; installed once):")
            lines += hook.text.split(separator: "\n").map { "    " + $0 }
        }
        return lines
    }

    static func landlockLines(_ policy: LandlockPolicy) -> [String] {
        var lines = ["landlock (ABI \(policy.abi), \(policy.origin)); anything not listed is denied:"]
        let width = policy.paths.map(\.path.count).max() ?? 0
        for rule in policy.paths {
            let padded = rule.path + String(repeating: " ", count: width - rule.path.count)
            lines.append("  \(padded)  \(LandlockAccess.describe(rule.access, handled: policy.handledFilesystem))")
        }
        if policy.handledNetwork != 0 {
            let ports = policy.ports.map { "\($0.access == LandlockAccess.bindTCP ? "bind" : "connect") \($0.port)" }
            lines.append("  tcp: " + (ports.isEmpty ? "none" : ports.joined(separator: ", ")))
        }
        if policy.scoped != 0 { lines.append("  scoped: abstract unix sockets, signals") }
        return lines
    }

    /// The effective filter: what is allowed outright, what only with some
    /// arguments, and what gets another answer than the default.
    static func seccompLines(_ policy: SeccompPolicy) -> [String] {
        var lines = [
            "seccomp (\(policy.mode.rawValue), \(policy.origin), default \(SeccompPlanner.describe(policy.defaultAction))):"
        ]
        guard policy.mode == .enforce else { return lines + ["  every syscall allowed and recorded"] }
        let unconditional = Set(policy.rules.filter { $0.action == .allow && $0.conditions.isEmpty }.flatMap(\.names))
        lines += wrapped("allow:", unconditional.sorted())
        var conditional: [String: [String]] = [:]
        for rule in policy.rules where rule.action == .allow && !rule.conditions.isEmpty {
            for name in rule.names where !unconditional.contains(name) {
                conditional[name, default: []].append(rule.conditions.map(\.summary).joined(separator: " && "))
            }
        }
        for name in conditional.keys.sorted() {
            let alternatives = conditional[name] ?? []
            let shown =
                alternatives.count > 4
                ? Array(alternatives.prefix(4)) + ["\(alternatives.count - 4) more"] : alternatives
            lines.append("  allow \(name) if " + shown.joined(separator: " || "))
        }
        for rule in policy.rules where rule.action != .allow {
            lines += wrapped("\(SeccompPlanner.describe(rule.action)):", rule.names)
        }
        return lines
    }

    static func wrapped(_ label: String, _ words: [String]) -> [String] {
        var lines: [String] = []
        var line = "  " + label
        for word in words {
            if line.count + word.count + 1 > 100 {
                lines.append(line)
                line = "   "
            }
            line += " " + word
        }
        return lines + [line]
    }

    static func mapText(_ entries: [IDMapEntry]) -> String {
        entries.map { "container " + $0.rangeDescription }.joined(separator: ", ")
    }

    static func quoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
        return plain ? word : "'" + word.replacing("'", with: "'\\''") + "'"
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
