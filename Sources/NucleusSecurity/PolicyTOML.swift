import NucleusModel
import TOMLKit

/// The TOML policy files (`--landlock-policy`, `--caps-policy`): parsed from
/// the hashed bytes, every key checked, every mistake one line naming the file.
struct PolicyTOML {
    let table: TOMLTable
    /// `--flag FILE`, the prefix of every error line.
    let origin: String

    init(_ bytes: [UInt8], origin: String, allowedKeys: Set<String>) throws(NucleusError) {
        self.origin = origin
        do {
            table = try TOMLTable(string: String(decoding: bytes, as: UTF8.self))
        } catch let error as TOMLParseError {
            throw .invalid(
                "\(origin): malformed TOML at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)"
            )
        } catch {
            throw .invalid("\(origin): malformed TOML: \(error)")
        }
        try Self.check(table, allowedKeys, origin: origin, within: nil)
    }

    static func check(_ table: TOMLTable, _ allowed: Set<String>, origin: String, within: String?) throws(NucleusError)
    {
        if let unknown = table.keys.sorted().first(where: { !allowed.contains($0) }) {
            let place = within.map { " in [\($0)]" } ?? ""
            throw .invalid("\(origin): unknown key \"\(unknown)\"\(place)")
        }
    }

    func fail(_ problem: String) -> NucleusError { .invalid("\(origin): \(problem)") }

    func strings(_ value: (any TOMLValueConvertible)?, key: String) throws(NucleusError) -> [String] {
        guard let value else { return [] }
        guard let array = value.array else { throw fail("\(key) must be an array of strings") }
        var result: [String] = []
        for item in array {
            guard let text = item.string else { throw fail("\(key) must be an array of strings") }
            result.append(text)
        }
        return result
    }

    func integers(_ value: (any TOMLValueConvertible)?, key: String) throws(NucleusError) -> [Int] {
        guard let value else { return [] }
        guard let array = value.array else { throw fail("\(key) must be an array of integers") }
        var result: [Int] = []
        for item in array {
            guard let number = item.int else { throw fail("\(key) must be an array of integers") }
            result.append(number)
        }
        return result
    }
}
