import NucleusModel

/// Checks on paths the caller names inside the container.
public enum ContainerPath {
    /// Paths nucleus itself builds; a home or workdir there would shadow them.
    static let reserved = [
        "/proc", "/dev", "/sys", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
        "/libx32", "/tmp",
    ]

    /// Absolute, no `.`/`..`/empty components, no trailing slash.
    public static func isNormalizedAbsolute(_ path: String) -> Bool {
        guard path.hasPrefix("/"), path != "/" else { return path == "/" }
        let components = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        return components.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
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
        for component in path.split(separator: "/").dropLast() {
            current += "/" + component
            result.append(current)
        }
        return result
    }
}
