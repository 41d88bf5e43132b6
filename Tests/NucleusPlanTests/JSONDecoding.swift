import FoundationEssentials
import NucleusModel

enum JSONDecoding {
    static func decode(_ text: String) throws -> Plan {
        try JSONDecoder().decode(Plan.self, from: Data(text.utf8))
    }
}
