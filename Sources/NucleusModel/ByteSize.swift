/// A size given as `512K`, `256M`, `1G` (base 1024) or plain bytes.
public struct ByteSize: Sendable, Equatable, Codable, CustomStringConvertible {
    public let bytes: UInt64

    public init(bytes: UInt64) { self.bytes = bytes }

    /// Parses `N`, `NK`, `NM`, `NG`, `NT` (case-insensitive, optional trailing `B`/`iB`).
    public init?(parsing text: String) {
        var digits = Substring(text.lowercased())
        for suffix in ["ib", "b"] where digits.hasSuffix(suffix) && digits.count > suffix.count {
            digits = digits.dropLast(suffix.count)
            break
        }
        var multiplier: UInt64 = 1
        if let last = digits.last, let shift = "kmgt".firstIndex(of: last) {
            multiplier = 1 << (10 * UInt64("kmgt".distance(from: "kmgt".startIndex, to: shift) + 1))
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let value = UInt64(digits) else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        bytes = product
    }

    /// The shortest exact form: `256M`, `1G`, `1536K`, `100`.
    public var description: String {
        for (suffix, shift) in [("T", 40), ("G", 30), ("M", 20), ("K", 10)] as [(String, UInt64)] {
            let unit: UInt64 = 1 << shift
            if bytes >= unit, bytes % unit == 0 { return "\(bytes / unit)\(suffix)" }
        }
        return "\(bytes)"
    }
}
