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

extension Collection where Element == UInt8 {
    /// Each non-empty part between `separator`s (lines by default). For
    /// parsers on the start path: `split` builds an array of slices, and the
    /// first array of a new slice type costs a metadata instantiation
    /// (~30 µs) in every process.
    @inlinable
    public func forEachPart(separatedBy separator: UInt8 = UInt8(ascii: "\n"), _ body: (SubSequence) -> Void) {
        var start = startIndex
        while start != endIndex {
            let end = self[start...].firstIndex(of: separator) ?? endIndex
            if start != end { body(self[start..<end]) }
            start = end == endIndex ? end : index(after: end)
        }
    }
}
