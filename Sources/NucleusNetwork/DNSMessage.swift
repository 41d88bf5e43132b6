/// The little of DNS the forwarder needs: the question of a query, the
/// addresses and TTLs of an answer, and a refusal. Malformed input yields
/// nil, never a crash: these bytes come from the workload and the network.
public struct DNSMessage: Sendable, Equatable {
    public var id: UInt16
    public var questionName: String
    public var questionType: UInt16
    /// A and AAAA records of the answer section, with their TTLs.
    public var addresses: [(address: IPAddressBytes, ttl: UInt32)]

    public typealias IPAddressBytes = [UInt8]

    public static func == (left: DNSMessage, right: DNSMessage) -> Bool {
        left.id == right.id && left.questionName == right.questionName && left.questionType == right.questionType
            && left.addresses.map(\.address) == right.addresses.map(\.address)
            && left.addresses.map(\.ttl) == right.addresses.map(\.ttl)
    }

    /// DNS over TCP: the message behind its 2-byte length.
    public static func frame(_ message: [UInt8]) -> [UInt8] {
        [UInt8(message.count >> 8 & 0xFF), UInt8(message.count & 0xFF)] + message
    }

    /// The first whole message of a TCP stream, without its length prefix;
    /// nil until all of it has arrived.
    public static func unframe(_ buffer: [UInt8]) -> [UInt8]? {
        guard buffer.count >= 2 else { return nil }
        let length = Int(buffer[0]) << 8 | Int(buffer[1])
        guard buffer.count >= 2 + length else { return nil }
        return Array(buffer[2..<2 + length])
    }

    /// Rewrites the transaction id of a message of at least 2 bytes.
    public static func setID(_ id: UInt16, of message: inout [UInt8]) {
        guard message.count >= 2 else { return }
        message[0] = UInt8(id >> 8)
        message[1] = UInt8(id & 0xFF)
    }

    public init?(_ bytes: [UInt8]) {
        guard bytes.count >= 12 else { return nil }
        id = Self.u16(bytes, 0)
        let questions = Self.u16(bytes, 4)
        let answers = Self.u16(bytes, 6)
        guard questions == 1 else { return nil }
        guard let (name, afterName) = Self.name(bytes, at: 12), afterName + 4 <= bytes.count else { return nil }
        questionName = name
        questionType = Self.u16(bytes, afterName)
        var offset = afterName + 4
        addresses = []
        for _ in 0..<answers {
            guard let (_, afterOwner) = Self.name(bytes, at: offset), afterOwner + 10 <= bytes.count else { return nil }
            let type = Self.u16(bytes, afterOwner)
            let ttl = UInt32(Self.u16(bytes, afterOwner + 4)) << 16 | UInt32(Self.u16(bytes, afterOwner + 6))
            let length = Int(Self.u16(bytes, afterOwner + 8))
            let data = afterOwner + 10
            guard data + length <= bytes.count else { return nil }
            if (type == 1 && length == 4) || (type == 28 && length == 16) {
                addresses.append((Array(bytes[data..<data + length]), ttl))
            }
            offset = data + length
        }
    }

    /// The query turned into an answer with `rcode` (3: NXDOMAIN) and no records.
    public static func refusal(of query: [UInt8], rcode: UInt8) -> [UInt8]? {
        guard query.count >= 12, let (_, afterName) = name(query, at: 12), afterName + 4 <= query.count else {
            return nil
        }
        var reply = Array(query[0..<afterName + 4])
        reply[2] = 0x80 | (query[2] & 0x79)  // QR, keep opcode and RD
        reply[3] = 0x80 | (rcode & 0x0F)  // RA
        reply[6...11] = [0, 0, 0, 0, 0, 0][...]
        return reply
    }

    static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    /// A possibly compressed name at `offset`: its dotted text and the offset after it.
    static func name(_ bytes: [UInt8], at start: Int) -> (String, Int)? {
        var labels: [String] = []
        var offset = start
        var end: Int?
        var jumps = 0
        while true {
            guard offset < bytes.count else { return nil }
            let length = Int(bytes[offset])
            if length == 0 {
                return (labels.joined(separator: "."), end ?? offset + 1)
            }
            if length & 0xC0 == 0xC0 {
                guard offset + 1 < bytes.count, jumps < 16 else { return nil }
                if end == nil { end = offset + 2 }
                offset = (length & 0x3F) << 8 | Int(bytes[offset + 1])
                jumps += 1
                continue
            }
            guard length <= 63, offset + 1 + length <= bytes.count else { return nil }
            labels.append(String(decoding: bytes[offset + 1..<offset + 1 + length], as: UTF8.self))
            guard labels.count <= 127 else { return nil }
            offset += 1 + length
        }
    }
}
