import NucleusModel
import Testing

@Suite struct ByteParsingTests {
    static func parts(_ text: String, _ separator: Character = "\n") -> [String] {
        var found: [String] = []
        Array(text.utf8).forEachPart(separatedBy: separator.asciiValue!) {
            found.append(String(decoding: $0, as: UTF8.self))
        }
        return found
    }

    @Test func partsSkipEmptyOnesAndKeepTheLastWithoutASeparator() {
        #expect(Self.parts("a b\n\nc\n") == ["a b", "c"])
        #expect(Self.parts("tail") == ["tail"])
        #expect(Self.parts("") == [])
        #expect(Self.parts("\n\n") == [])
        #expect(Self.parts("cpu,cpuacct,", ",") == ["cpu", "cpuacct"])
    }
}
