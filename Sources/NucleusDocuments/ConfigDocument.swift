import FoundationEssentials
import NucleusModel
import TOMLKit

/// A launch request as a TOML or JSON document: the long flag names in
/// snake_case, plus `command = [...]`. It becomes an argument list for the
/// very same `SandboxOptions` parser, so the two ways in accept exactly the
/// same settings and refuse the same mistakes.
public struct ConfigDocument {
    public enum Value: Decodable, Equatable {
        case string(String)
        case integer(Int64)
        case number(Double)
        case boolean(Bool)
        case list([Value])

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Bool.self) {
                self = .boolean(value)
            } else if let value = try? container.decode(Int64.self) {
                self = .integer(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([Value].self) {
                self = .list(value)
            } else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected a string, number, boolean or array")
            }
        }
    }

    public let origin: String
    public let entries: [String: Value]

    /// Parses TOML or JSON: `.json`/`.toml` names decide, otherwise a leading `{` means JSON.
    public init(text: String, origin: String) throws(NucleusError) {
        self.origin = origin
        let trimmed = text.drop { $0.isWhitespace }
        let isJSON = origin.hasSuffix(".json") || (!origin.hasSuffix(".toml") && trimmed.hasPrefix("{"))
        entries = isJSON ? try Self.parseJSON(text, origin: origin) : try Self.parseTOML(text, origin: origin)
    }

    /// The equivalent command line for `SandboxOptions` (`command` goes after `--`).
    public func arguments() throws(NucleusError) -> [String] {
        var arguments: [String] = []
        var command: [String] = []
        for key in entries.keys.sorted() {
            let value = entries[key]!
            if key == "command" {
                guard case .list(let words) = value else {
                    throw .invalid("\(origin): command must be an array of strings")
                }
                for word in words {
                    guard case .string(let text) = word else {
                        throw .invalid("\(origin): command must be an array of strings")
                    }
                    command.append(text)
                }
                continue
            }
            guard key.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }), !key.isEmpty else {
                throw .invalid("\(origin): key \"\(key)\" is not a snake_case option name")
            }
            let flag = "--" + key.replacing("_", with: "-")
            switch value {
            case .boolean(true): arguments.append(flag)
            case .boolean(false): continue
            case .list(let items):
                for item in items { arguments += [flag, try scalarText(item, key: key)] }
            default: arguments += [flag, try scalarText(value, key: key)]
            }
        }
        return arguments + ["--"] + command
    }

    private func scalarText(_ value: Value, key: String) throws(NucleusError) -> String {
        switch value {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .number(let number): return String(number)
        case .boolean(let flag): return String(flag)
        case .list: throw .invalid("\(origin): \(key) cannot hold nested arrays")
        }
    }

    private static func parseJSON(_ text: String, origin: String) throws(NucleusError) -> [String: Value] {
        do {
            return try JSONDecoder().decode([String: Value].self, from: Data(text.utf8))
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalid("\(origin): malformed JSON: \(context.debugDescription)")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalid("\(origin): malformed JSON: \(context.debugDescription)")
        } catch {
            throw .invalid("\(origin): malformed JSON: \(error)")
        }
    }

    private static func parseTOML(_ text: String, origin: String) throws(NucleusError) -> [String: Value] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .invalid(
                "\(origin): malformed TOML at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)"
            )
        } catch {
            throw .invalid("\(origin): malformed TOML: \(error)")
        }
        var entries: [String: Value] = [:]
        for key in table.keys {
            entries[key] = try convert(table[key]!, key: key, origin: origin)
        }
        return entries
    }

    private static func convert(_ value: any TOMLValueConvertible, key: String, origin: String) throws(NucleusError)
        -> Value
    {
        if let flag = value.bool { return .boolean(flag) }
        if let number = value.int { return .integer(Int64(number)) }
        if let number = value.double { return .number(number) }
        if let text = value.string { return .string(text) }
        if let array = value.array {
            var items: [Value] = []
            for item in array { items.append(try convert(item, key: key, origin: origin)) }
            return .list(items)
        }
        throw .invalid("\(origin): \(key) has a \(value.type) value; use a string, number, boolean or array")
    }
}
