import FoundationEssentials
import NucleusModel

/// `--env-fd`: variables as a JSON object (`{"KEY": "value"}`) or array
/// (`["KEY=value"]`), read from a descriptor so their values never appear in
/// nucleus's argv, and never in its plan output.
public enum EnvironmentDocument {
    public static func assignments(from text: String, origin: String) throws(NucleusError) -> [String] {
        let data = Data(text.utf8)
        if let object = try? JSONDecoder().decode([String: String].self, from: data) {
            return object.keys.sorted().map { $0 + "=" + object[$0]! }
        }
        if let list = try? JSONDecoder().decode([String].self, from: data) {
            for entry in list where !entry.contains("=") {
                throw .invalid("\(origin): array entries must be KEY=VALUE strings")
            }
            return list
        }
        let shape = try? JSONDecoder().decode(ConfigDocument.Value.self, from: data)
        switch shape {
        case nil where (try? JSONDecoder().decode([String: ConfigDocument.Value].self, from: data)) != nil:
            throw .invalid("\(origin): every value must be a string")
        case .list?:
            throw .invalid("\(origin): array entries must be KEY=VALUE strings")
        default:
            throw .invalid("\(origin): expected a JSON object of strings or an array of KEY=VALUE strings")
        }
    }
}
