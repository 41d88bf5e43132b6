extension Array where Element == String {
    /// `joined(separator:)` for the start path. The standard library's version
    /// is generic over `StringProtocol` and pays a protocol-witness lookup (a
    /// scan of every conformance in the binary) on first use; this loop does not.
    public func concatenated(separator: String = "") -> String {
        var result = ""
        var first = true
        for part in self {
            if !first { result += separator }
            result += part
            first = false
        }
        return result
    }
}
