import CSeccomp
import FoundationEssentials
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An OCI runtime-spec seccomp profile (`defaultAction`, `defaultErrnoRet`,
/// `architectures`, `syscalls[{names, action, errnoRet, args}]`), the format
/// runc, crun and Docker read. Unknown actions, operators, architectures,
/// syscall names or keys are errors: a policy nucleus cannot honour exactly
/// is refused, never approximated.
public enum OCISeccompProfile {
    struct Document: Decodable {
        var defaultAction: String
        var defaultErrnoRet: UInt32?
        var architectures: [String]?
        var syscalls: [Entry]?
        var flags: [String]?

        struct Entry: Decodable {
            var names: [String]
            var action: String
            var errnoRet: UInt32?
            var args: [Argument]?
        }

        struct Argument: Decodable {
            var index: UInt32
            var value: UInt64
            var valueTwo: UInt64?
            var op: String
        }
    }

    /// Only the keys of the top-level object, to refuse ones this parser would ignore.
    struct TopLevelKeys: Decodable {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        var names: [String]

        init(from decoder: any Decoder) throws {
            names = try decoder.container(keyedBy: Key.self).allKeys.map(\.stringValue)
        }
    }

    static let knownKeys: Set<String> = [
        "defaultAction", "defaultErrnoRet", "architectures", "syscalls", "flags", "comment", "archMap",
        "listenerPath", "listenerMetadata",
    ]
    static let acceptedArchitectures: Set<String> = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]

    /// - Parameter origin: how the plan names the file (path and SHA-256).
    public static func parse(_ bytes: [UInt8], path: String, origin: String) throws(NucleusError) -> SeccompPolicy {
        let fail = { (problem: String) in NucleusError.invalid("--seccomp-profile \(path): \(problem)") }
        let data = Data(bytes)
        guard let keys = try? JSONDecoder().decode(TopLevelKeys.self, from: data) else {
            throw fail("not a JSON object")
        }
        if let unknown = keys.names.sorted().first(where: { !knownKeys.contains($0) }) {
            throw fail("unknown key \"\(unknown)\"")
        }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw fail("malformed profile: \(describe(error))")
        }
        for architecture in document.architectures ?? [] where !acceptedArchitectures.contains(architecture) {
            throw fail("architecture \(architecture) is not supported (x86_64 only)")
        }
        let defaultErrno = Int32(document.defaultErrnoRet ?? 1)
        let defaultAction = try action(document.defaultAction, errno: defaultErrno, fail: fail)
        var rules: [SeccompRule] = []
        for entry in document.syscalls ?? [] {
            for name in entry.names where !SyscallNames.isKnown(name) {
                throw fail("unknown syscall \"\(name)\"")
            }
            let conditions = try (entry.args ?? []).map { argument throws(NucleusError) in
                guard let op = SeccompCondition.Operator(rawValue: argument.op) else {
                    throw fail("unknown operator \(argument.op)")
                }
                guard argument.index < 6 else { throw fail("argument index \(argument.index) is above 5") }
                return SeccompCondition(argument.index, op, argument.value, argument.valueTwo ?? 0)
            }
            let ruleAction = try action(entry.action, errno: Int32(entry.errnoRet ?? UInt32(defaultErrno)), fail: fail)
            rules.append(SeccompRule(entry.names, ruleAction, when: conditions))
        }
        return SeccompPolicy(defaultAction: defaultAction, rules: rules, origin: origin)
    }

    static func action(_ name: String, errno: Int32, fail: (String) -> NucleusError) throws(NucleusError)
        -> SeccompPolicy.Action
    {
        switch name {
        case "SCMP_ACT_ALLOW": return .allow
        case "SCMP_ACT_ERRNO": return .errno(errno)
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return .killThread
        case "SCMP_ACT_KILL_PROCESS": return .killProcess
        case "SCMP_ACT_TRAP": return .trap
        case "SCMP_ACT_LOG": return .log
        default: throw fail("unknown action \(name)")
        }
    }

    static func describe(_ error: any Error) -> String {
        if case DecodingError.keyNotFound(let key, _) = error { return "missing \"\(key.stringValue)\"" }
        if case DecodingError.typeMismatch(_, let context) = error {
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        }
        return "\(error)"
    }
}

/// Syscall names as libseccomp knows them for x86_64.
public enum SyscallNames {
    public static func isKnown(_ name: String) -> Bool { number(name) != nil }

    public static func number(_ name: String) -> Int32? {
        let number = seccomp_syscall_resolve_name(name)
        return number == nucleus_scmp_error() || number < 0 ? nil : number
    }

    public static func name(_ number: Int32) -> String? {
        guard let pointer = seccomp_syscall_resolve_num_arch(UInt32(SCMP_ARCH_NATIVE), number) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
