import NucleusModel
import TOMLKit

/// The workload's Landlock ruleset: the defaults derived from the mounts the
/// plan makes, or a `--landlock-policy` file; built for the ABI this kernel
/// offers, each missing feature named in the plan.
public enum LandlockPlanner {
    /// Container paths by what the workload may do beneath them.
    public struct Paths: Sendable {
        public var readExecute: [String] = []
        public var read: [String] = []
        public var readWrite: [String] = []
        public var readWriteExecute: [String] = []
        public var devices: [String] = []

        public init() {}
    }

    public static func plan(
        _ security: SecurityRequest, paths: Paths, network: NetworkMode, abi: Int, host: any HostProbe
    ) throws(NucleusError) -> (policy: LandlockPolicy?, mechanism: Mechanism) {
        var policy: LandlockPolicy
        if let file = security.landlockPolicy {
            let loaded = try PolicyFiles.load(file, flag: "--landlock-policy", host: host)
            policy = try parse(
                loaded.bytes, origin: "--landlock-policy \(file.path)", abi: abi,
                description: "policy \(file.path) (sha256 \(loaded.sha256))")
        } else {
            guard abi >= 1 else {
                return (
                    nil,
                    Mechanism(
                        name: "landlock", status: .degraded,
                        detail: "this kernel has no Landlock: no path rules beyond the mounts")
                )
            }
            policy = defaults(paths, network: network, abi: abi)
        }
        return (policy, mechanism(policy))
    }

    public static func defaults(_ paths: Paths, network: NetworkMode, abi: Int) -> LandlockPolicy {
        let handled = LandlockAccess.filesystem(abi: abi)
        var rules = [LandlockPathRule("/", LandlockAccess.readDir)]
        rules += paths.readExecute.map { LandlockPathRule($0, LandlockAccess.read | LandlockAccess.execute) }
        rules += paths.read.map { LandlockPathRule($0, LandlockAccess.read) }
        rules += paths.readWrite.map { LandlockPathRule($0, LandlockAccess.read | LandlockAccess.write) }
        rules += paths.readWriteExecute.map {
            LandlockPathRule($0, LandlockAccess.read | LandlockAccess.write | LandlockAccess.execute)
        }
        rules += paths.devices.map { LandlockPathRule($0, LandlockAccess.device) }
        // Network none: the ruleset handles TCP and grants no port, so no TCP at all.
        let handledNetwork = abi >= 4 && network == .none ? LandlockAccess.bindTCP | LandlockAccess.connectTCP : 0
        return LandlockPolicy(
            abi: abi, handledFilesystem: handled, handledNetwork: handledNetwork, scoped: scopes(abi: abi),
            paths: rules.map { LandlockPathRule($0.path, $0.access & handled) }, ports: [],
            origin: "defaults for this plan's mounts")
    }

    static func scopes(abi: Int) -> UInt64 {
        abi >= 6 ? LandlockAccess.scopeAbstractUnixSocket | LandlockAccess.scopeSignal : 0
    }

    /// `min_abi`, `[[rules]] path access=[...]`, `[network] bind=[...] connect=[...]`.
    public static func parse(_ bytes: [UInt8], origin: String, abi: Int, description: String) throws(NucleusError)
        -> LandlockPolicy
    {
        let document = try PolicyTOML(bytes, origin: origin, allowedKeys: ["min_abi", "rules", "network"])
        let minimum = document.table["min_abi"]?.int ?? 1
        guard abi >= minimum else {
            throw document.fail("needs Landlock ABI \(minimum), this kernel offers \(abi == 0 ? "none" : "ABI \(abi)")")
        }
        let handled = LandlockAccess.filesystem(abi: abi)
        var rules: [LandlockPathRule] = []
        if let entries = document.table["rules"] {
            guard let array = entries.array else { throw document.fail("rules must be an array of tables ([[rules]])") }
            for entry in array {
                guard let table = entry.table else {
                    throw document.fail("rules must be an array of tables ([[rules]])")
                }
                try PolicyTOML.check(table, ["path", "access"], origin: origin, within: "rules")
                guard let path = table["path"]?.string, path.hasPrefix("/") else {
                    throw document.fail("every rule needs an absolute path")
                }
                var access: UInt64 = 0
                for word in try document.strings(table["access"], key: "access") {
                    guard let bits = LandlockAccess.words[word] else {
                        throw document.fail(
                            "unknown access \"\(word)\"; use "
                                + LandlockAccess.words.keys.sorted().joined(separator: ", "))
                    }
                    access |= bits
                }
                rules.append(LandlockPathRule(path, access & handled))
            }
        }
        var handledNetwork: UInt64 = 0
        var ports: [LandlockPortRule] = []
        if let network = document.table["network"] {
            guard let table = network.table else { throw document.fail("network must be a table") }
            try PolicyTOML.check(table, ["bind", "connect"], origin: origin, within: "network")
            guard abi >= 4 else { throw document.fail("[network] needs Landlock ABI 4, this kernel offers \(abi)") }
            handledNetwork = LandlockAccess.bindTCP | LandlockAccess.connectTCP
            for (key, access) in [("bind", LandlockAccess.bindTCP), ("connect", LandlockAccess.connectTCP)] {
                for port in try document.integers(table[key], key: key) {
                    guard (0...65535).contains(port) else { throw document.fail("port \(port) is out of range") }
                    ports.append(LandlockPortRule(UInt16(port), access))
                }
            }
        }
        return LandlockPolicy(
            abi: abi, handledFilesystem: handled, handledNetwork: handledNetwork, scoped: scopes(abi: abi),
            paths: rules, ports: ports, origin: description)
    }

    static func mechanism(_ policy: LandlockPolicy) -> Mechanism {
        var missing: [String] = []
        if policy.abi < 2 { missing.append("renames across directories uncontrolled (ABI 2)") }
        if policy.abi < 3 { missing.append("truncate uncontrolled (ABI 3)") }
        if policy.abi < 4 { missing.append("no TCP rules (ABI 4)") }
        if policy.abi < 5 { missing.append("device ioctls uncontrolled (ABI 5)") }
        if policy.abi < 6 { missing.append("abstract unix sockets and signals not scoped (ABI 6)") }
        let tcp =
            policy.handledNetwork == 0
            ? "TCP not restricted"
            : policy.ports.isEmpty ? "no TCP bind or connect" : "TCP only on \(policy.ports.count) listed ports"
        let scoped = policy.scoped == 0 ? "" : "; abstract unix sockets and signals scoped to the sandbox"
        let detail =
            "ABI \(policy.abi), \(policy.origin): \(policy.paths.count) path rules, everything else denied; \(tcp)\(scoped)"
        guard missing.isEmpty else {
            return Mechanism(
                name: "landlock", status: .degraded,
                detail: detail + "; this kernel lacks: " + missing.joined(separator: ", "))
        }
        return Mechanism(name: "landlock", status: .enforced, detail: detail)
    }
}
