import NucleusModel

/// `nucleus policy check`: what kind of policy a file is, whether nucleus
/// accepts it on this host, and its SHA-256 (to pin with `--…-sha256`).
public enum PolicyCheck {
    public struct Report: Sendable {
        public var kind: String
        public var summary: String
        public var sha256: String
    }

    public static func check(_ path: String, host: any HostProbe) throws(NucleusError) -> Report {
        let file = PolicyFile(path: path)
        if path.hasSuffix(".json") {
            let loaded = try PolicyFiles.load(file, flag: "--seccomp-profile", host: host)
            let policy = try OCISeccompProfile.parse(loaded.bytes, path: path, origin: path)
            return Report(
                kind: "seccomp profile",
                summary:
                    "\(policy.rules.count) rules, \(policy.allowedCount) syscalls allowed, default \(SeccompPlanner.describe(policy.defaultAction))",
                sha256: loaded.sha256)
        }
        let capsLoaded = try PolicyFiles.load(file, flag: "--caps-policy", host: host)
        let text = String(decoding: capsLoaded.bytes, as: UTF8.self)
        let looksLikeCaps = ["[bounding]", "[ambient]", "[effective]", "[inheritable]"].contains {
            text.contains($0)
        }
        if looksLikeCaps {
            let sets = try CapabilityPolicy.parse(capsLoaded.bytes, origin: "--caps-policy \(path)")
            return Report(
                kind: "capability policy",
                summary: "keeps " + (sets.ambient.isEmpty ? "nothing after exec" : sets.ambient.joined(separator: " ")),
                sha256: capsLoaded.sha256)
        }
        let policy = try LandlockPlanner.parse(
            capsLoaded.bytes, origin: "--landlock-policy \(path)", abi: host.landlockABI, description: path)
        return Report(
            kind: "landlock policy",
            summary:
                "\(policy.paths.count) path rules, \(policy.ports.count) port rules (this kernel: ABI \(host.landlockABI))",
            sha256: capsLoaded.sha256)
    }
}
