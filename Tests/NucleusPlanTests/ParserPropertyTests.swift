import NucleusDocuments
import NucleusModel
import NucleusNetwork
import PropertyBased
import Testing

/// Properties of the input parsers over generated inputs: what they print
/// they read back, what they must refuse they refuse, and no input makes
/// them trap (the fuzz targets in `Fuzz/` push the last one much further).
@Suite struct ParserPropertyTests {
    static let byte = Gen.uint8()

    @Test func addressesReadBackWhatTheyPrint() async {
        await propertyCheck(input: Self.byte.array(of: 4), Self.byte.array(of: 16)) { four, sixteen in
            for bytes in [four, sixteen] {
                let address = IPAddress(bytes: bytes)
                #expect(address.flatMap { IPAddress("\($0)") } == address)
            }
        }
    }

    @Test func blocksAcceptTheirFamilysPrefixesOnly() async {
        await propertyCheck(input: Self.byte.array(of: 4), Gen.int(in: 0...64)) { bytes, prefix in
            let address = IPAddress(bytes: bytes)!
            let block = IPNetwork("\(address)/\(prefix)")
            #expect((block != nil) == (prefix <= 32), "\(address)/\(prefix)")
            #expect(block.map(\.prefix) == (prefix <= 32 ? prefix : nil))
        }
    }

    @Test func sizesScaleByTheirSuffixAndPrintShortest() async {
        await propertyCheck(input: Gen.uint64(in: 1...(1 << 30)), Gen.element(of: ["", "K", "M", "G"])) { n, suffix in
            let shift: UInt64 = ["": 0, "K": 10, "M": 20, "G": 30][suffix ?? ""]!
            let size = ByteSize(parsing: "\(n)\(suffix ?? "")")
            #expect(size?.bytes == n << shift)
            #expect(size.flatMap { ByteSize(parsing: $0.description) } == size)
        }
    }

    @Test func portMappingsReadBackWhatTheyPrint() async {
        await propertyCheck(
            input: Gen.uint16(in: 1...65535), Gen.uint16(in: 1...65535), Gen.element(of: ["tcp", "udp"]),
            Self.byte.array(of: 4)
        ) { host, container, transport, bytes in
            let text = "\(IPAddress(bytes: bytes)!):\(host):\(container)/\(transport ?? "tcp")"
            let mapping = try? PortMapping(parsing: text)
            #expect(mapping?.hostPort == host && mapping?.containerPort == container, "\(text)")
            #expect(mapping.flatMap { try? PortMapping(parsing: $0.description) } == mapping)
        }
    }

    @Test func domainPatternsMatchAnyCaseAndOnlyBelowAWildcard() async {
        let label = Gen.lowercaseLetter.string(of: 1...12)
        await propertyCheck(input: label, label, label) { first, second, sub in
            let name = "\(first).\(second)"
            let exact = try? DomainPattern(parsing: name)
            let wildcard = try? DomainPattern(parsing: "*." + name)
            #expect(exact?.matches(name.uppercased() + ".") == true)
            #expect(exact?.matches("\(sub).\(name)") == false)
            #expect(wildcard?.matches("\(sub).\(name)") == true)
            #expect(wildcard?.matches(name) == false)
        }
    }

    /// Bytes from the workload or the network: never a trap, and the TCP
    /// framing gives back exactly the message it framed.
    @Test func dnsMessagesNeverTrapAndFramesRoundTrip() async {
        await propertyCheck(input: Self.byte.array(of: 0...600)) { bytes in
            if let message = DNSMessage(bytes) { #expect(message.id == UInt16(bytes[0]) << 8 | UInt16(bytes[1])) }
            _ = DNSMessage.refusal(of: bytes, rcode: 3)
            #expect(DNSMessage.unframe(DNSMessage.frame(bytes)) == bytes)
        }
    }

    @Test func configCommandsAndEnvironmentDocumentsKeepEveryValue() async throws {
        let word = Gen.letterOrNumber.string(of: 1...10)
        await propertyCheck(input: word.array(of: 1...5), word) { command, value in
            let quoted = command.map { "\"\($0)\"" }.joined(separator: ", ")
            let arguments = try? ConfigDocument(text: "{\"command\": [\(quoted)]}", origin: "r.json").arguments()
            #expect(arguments.map { Array($0.suffix(command.count + 1)) } == ["--"] + command)
            let environment = try? EnvironmentDocument.assignments(from: "{\"KEY\": \"\(value)\"}", origin: "fd 3")
            #expect(environment == ["KEY=\(value)"])
        }
    }
}
