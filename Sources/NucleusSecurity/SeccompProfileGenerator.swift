import FoundationEssentials
import NucleusModel

/// `nucleus seccomp generate`: the smallest OCI profile that lets a traced
/// workload do again what it did (every recorded syscall allowed, EPERM
/// for the rest).
public enum SeccompProfileGenerator {
    struct TraceLine: Decodable {
        var name: String
        var number: Int
        var count: Int
    }

    public static func names(fromTrace bytes: [UInt8], path: String) throws(NucleusError) -> [String] {
        var names: Set<String> = []
        for (index, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n").enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            guard let entry = try? JSONDecoder().decode(TraceLine.self, from: Data(line.utf8)) else {
                throw .invalid(
                    "\(path): line \(index + 1) is not a trace record ({\"name\", \"number\", \"count\", ...})")
            }
            guard SyscallNames.isKnown(entry.name) else {
                throw .invalid("\(path): line \(index + 1): unknown syscall \"\(entry.name)\"")
            }
            names.insert(entry.name)
        }
        guard !names.isEmpty else { throw .invalid("\(path): the trace records no syscalls") }
        return names.sorted()
    }

    public static func profile(allowing names: [String]) -> String {
        let list = names.map { "        \"\($0)\"" }.joined(separator: ",\n")
        return """
            {
              "defaultAction": "SCMP_ACT_ERRNO",
              "defaultErrnoRet": 1,
              "architectures": ["SCMP_ARCH_X86_64"],
              "syscalls": [
                {
                  "names": [
            \(list)
                  ],
                  "action": "SCMP_ACT_ALLOW"
                }
              ]
            }

            """
    }
}
