#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An IPv4 or IPv6 address as its network-order bytes. Parsing and printing
/// go through libc's `inet_pton`/`inet_ntop`, so the forms accepted are the
/// ones every other tool accepts.
public struct IPAddress: Sendable, Hashable, TextCodable {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public init?(_ text: String) {
        var buffer = [UInt8](repeating: 0, count: 16)
        if text.contains(":") {
            guard inet_pton(AF_INET6, text, &buffer) == 1 else { return nil }
            bytes = buffer
        } else {
            guard inet_pton(AF_INET, text, &buffer) == 1 else { return nil }
            bytes = Array(buffer[0..<4])
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }
    public var family: Int32 { isIPv4 ? AF_INET : AF_INET6 }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(family, bytes, &text, socklen_t(text.count))
        let length = text.firstIndex(of: 0) ?? text.count
        return String(decoding: text[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var isLoopback: Bool { isIPv4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1] }

    /// The address `offset` after this one, for host numbers in a subnet
    /// (IPv6: added to the low 32 bits, which every block nucleus uses has free).
    public func advanced(by offset: UInt32) -> IPAddress {
        let low = bytes.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } &+ offset
        return IPAddress(bytes: bytes.dropLast(4) + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: low >> $0) })!
    }

    /// The IPv4 address as one number.
    public var ipv4Value: UInt32 { bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
}

/// An address block, `10.88.0.0/16` or `2001:db8::/32`.
public struct IPNetwork: Sendable, Hashable, TextCodable {
    public let address: IPAddress
    public let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        let width = address.bytes.count * 8
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...width).contains(prefix), parts[1].allSatisfy(\.isNumber) else {
                return nil
            }
            self.prefix = prefix
        } else {
            prefix = width
        }
        self.address = Self.masked(address, prefix: prefix)
    }

    public init(address: IPAddress, prefix: Int) {
        self.address = Self.masked(address, prefix: prefix)
        self.prefix = prefix
    }

    static func masked(_ address: IPAddress, prefix: Int) -> IPAddress {
        let bytes = address.bytes.enumerated().map { index, byte -> UInt8 in
            let bits = prefix - index * 8
            if bits >= 8 { return byte }
            if bits <= 0 { return 0 }
            return byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
        return IPAddress(bytes: bytes)!
    }

    public func contains(_ other: IPAddress) -> Bool {
        other.bytes.count == address.bytes.count && Self.masked(other, prefix: prefix) == address
    }

    /// Host addresses in the block (IPv4), network and broadcast excluded.
    public var hostCount: UInt32 { prefix >= 31 ? 0 : (UInt32(1) << UInt32(32 - prefix)) - 2 }

    public var isIPv4: Bool { address.isIPv4 }
    public var isSingleAddress: Bool { prefix == address.bytes.count * 8 }
    public var description: String { "\(address)/\(prefix)" }

}

/// Encoded as its text form (`"10.88.0.1"`, `"10.88.0.0/16"`) in plans and configs.
public protocol TextCodable: Codable, CustomStringConvertible {
    init?(_ text: String)
}

extension TextCodable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not valid: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
