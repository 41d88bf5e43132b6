import NucleusModel

/// Checks on paths the caller names inside the container.
public enum ContainerPath {
    /// Paths nucleus itself builds; a home there would shadow them or be shadowed.
    static let reserved = [
        "/proc", "/dev", "/sys", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
        "/libx32", "/tmp", "/workspace", "/context", "/run/secrets",
    ]

    /// Absolute, no `.`/`..`/empty components, no trailing slash.
    public static func isNormalizedAbsolute(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        if path == "/" { return true }
        for component in components(of: path) where component.isEmpty || component == "." || component == ".." {
            return false
        }
        return true
    }

    /// The private home: absolute, normalized, and not inside a tree nucleus builds.
    public static func validateHome(_ home: String) throws(NucleusError) {
        guard isNormalizedAbsolute(home), home != "/" else {
            throw .invalid("--home \"\(home)\" must be an absolute path without '.', '..' or '//'")
        }
        if let clash = reserved.first(where: { home == $0 || home.hasPrefix($0 + "/") }) {
            throw .invalid("--home \"\(home)\" lies inside \(clash), which nucleus builds itself")
        }
    }

    /// The parent directories of `path`, outermost first: `/a/b/c` gives `/a`, `/a/b`.
    public static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var current = ""
        for component in components(of: path).dropLast() where !component.isEmpty {
            current += "/" + String(component)
            result.append(current)
        }
        return result
    }

    /// The components after the leading `/`, empty ones kept (`/a//b` gives `a`, ``, `b`).
    /// A plain scan: `split` costs a generic-witness lookup on first use, on the start path.
    static func components(of path: String) -> [Substring] {
        guard !path.isEmpty else { return [] }
        var result: [Substring] = []
        var start = path.index(after: path.startIndex)
        var index = start
        while index < path.endIndex {
            if path[index] == "/" {
                result.append(path[start..<index])
                start = path.index(after: index)
            }
            index = path.index(after: index)
        }
        result.append(path[start..<path.endIndex])
        return result
    }
}
