#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A failure of nucleus itself. Its description is the single line printed
/// after `nucleus: error: `: what failed, then the syscall and path, then errno.
public struct NucleusError: Error, Sendable, Equatable, CustomStringConvertible {
    public var what: String
    public var syscall: String?
    public var path: String?
    public var errno: Int32?
    /// The process exit status: 125 for setup failures, 126/127 for exec failures.
    public var exitCode: Int32

    public init(_ what: String, syscall: String? = nil, path: String? = nil, errno: Int32? = nil, exitCode: Int32 = 125)
    {
        self.what = what
        self.syscall = syscall
        self.path = path
        self.errno = errno
        self.exitCode = exitCode
    }

    /// A request the planner refuses: bad input or a combination it does not allow.
    public static func invalid(_ message: String) -> NucleusError { NucleusError(message) }

    public var description: String {
        var parts = [what]
        let location = [syscall, path].compactMap { $0 }.joined(separator: " ")
        if !location.isEmpty { parts.append(location) }
        if let errno { parts.append(String(cString: strerror(errno))) }
        return parts.joined(separator: ": ")
    }
}
