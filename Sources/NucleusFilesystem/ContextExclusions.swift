/// What `--context` never shows the workload, in either mode: VCS metadata
/// (history can hold removed secrets), environment and credential files, and
/// symlinks whose target leaves the tree. Names match case-insensitively,
/// files and directories alike (a `secrets/` directory goes whole).
public enum ContextExclusions {
    public static let namePatterns = [
        ".git", ".hg", ".svn", ".env*", "*.pem", "*.key", "id_rsa*", "id_ed25519*", "*.p12", ".netrc", ".npmrc",
        ".pypirc", "credentials*", "*secret*",
    ]

    /// The other classes, as `--dry-run` lists them after the patterns.
    public static let otherClasses = [
        "symlinks that are absolute or climb out of the tree", "sockets, fifos and devices",
        "other file systems mounted inside the tree",
    ]

    private static let lowercasedPatterns = namePatterns.map { Array($0.lowercased().utf8) }

    public static func excludes(name: String) -> Bool {
        let lowered = Array(name.lowercased().utf8)
        return lowercasedPatterns.contains { matches(lowered[...], pattern: $0[...]) }
    }

    /// Whether a relative symlink at `path` (relative to the tree's root)
    /// with text `target` stays inside the tree, resolved lexically. Absolute
    /// targets never do: inside the container they would name its own paths.
    public static func symlinkStaysInside(path: String, target: String) -> Bool {
        guard !target.hasPrefix("/"), !target.isEmpty else { return false }
        var depth = path.split(separator: "/").count - 1
        for component in target.split(separator: "/") {
            switch component {
            case ".": continue
            case "..":
                depth -= 1
                if depth < 0 { return false }
            default: depth += 1
            }
        }
        return true
    }

    /// `*` matches any run of bytes; every other byte matches itself.
    static func matches(_ name: ArraySlice<UInt8>, pattern: ArraySlice<UInt8>) -> Bool {
        guard let first = pattern.first else { return name.isEmpty }
        if first == UInt8(ascii: "*") {
            let rest = pattern.dropFirst()
            var candidate = name
            while true {
                if matches(candidate, pattern: rest) { return true }
                guard !candidate.isEmpty else { return false }
                candidate = candidate.dropFirst()
            }
        }
        guard name.first == first else { return false }
        return matches(name.dropFirst(), pattern: pattern.dropFirst())
    }
}
