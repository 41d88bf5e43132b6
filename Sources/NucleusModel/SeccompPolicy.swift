/// The seccomp filter the workload gets, decided before clone and compiled
/// with libseccomp by the host side: a default action plus rules, in
/// syscall names. x86_64 only; other architectures' entry points get the
/// default action.
public struct SeccompPolicy: Sendable, Equatable, Codable {
    public enum Mode: String, Sendable, Equatable, Codable, CaseIterable {
        /// Rules enforced.
        case enforce
        /// Every syscall allowed and reported to nucleus, which records it (`--seccomp-log`).
        case trace
    }

    public enum Action: Sendable, Equatable, Codable {
        case allow
        case errno(Int32)
        case killProcess
        case killThread
        case trap
        case log
    }

    public var mode: Mode
    public var defaultAction: Action
    public var rules: [SeccompRule]
    /// `SECCOMP_FILTER_FLAG_LOG`: denials reach the kernel log.
    public var logDenied: Bool
    /// Where the rules came from: the built-in allowlist or a profile and its SHA-256.
    public var origin: String
    /// `--seccomp-allow` additions, shown as weakenings.
    public var additions: [String]
    /// Trace mode: the NDJSON file the recorded syscalls go to.
    public var traceLog: String?

    public init(
        mode: Mode = .enforce, defaultAction: Action, rules: [SeccompRule], logDenied: Bool = false, origin: String,
        additions: [String] = [], traceLog: String? = nil
    ) {
        self.mode = mode
        self.defaultAction = defaultAction
        self.rules = rules
        self.logDenied = logDenied
        self.origin = origin
        self.additions = additions
        self.traceLog = traceLog
    }

    /// The syscalls some rule allows, with or without argument conditions, sorted.
    public var allowedNames: [String] { allowedSet.sorted() }

    /// For the plan's description, on every start: no sort.
    public var allowedCount: Int { allowedSet.count }

    /// Sized up front: growing a set rehashes every name again at each
    /// doubling, and the plan's description counts them on every start.
    private var allowedSet: Set<String> {
        var names = Set<String>(minimumCapacity: rules.reduce(0) { $0 + $1.names.count })
        for rule in rules where rule.action == .allow {
            for name in rule.names { names.insert(name) }
        }
        return names
    }
}

/// One rule: its action for `names` when every condition holds.
public struct SeccompRule: Sendable, Equatable, Codable {
    public var names: [String]
    public var action: SeccompPolicy.Action
    public var conditions: [SeccompCondition]

    public init(_ names: [String], _ action: SeccompPolicy.Action = .allow, when conditions: [SeccompCondition] = []) {
        self.names = names
        self.action = action
        self.conditions = conditions
    }
}

/// `args[index] OP value` (for `maskedEqual`: `args[index] & value == valueTwo`).
public struct SeccompCondition: Sendable, Equatable, Codable {
    public enum Operator: String, Sendable, Equatable, Codable, CaseIterable {
        case notEqual = "SCMP_CMP_NE"
        case less = "SCMP_CMP_LT"
        case lessOrEqual = "SCMP_CMP_LE"
        case equal = "SCMP_CMP_EQ"
        case greaterOrEqual = "SCMP_CMP_GE"
        case greater = "SCMP_CMP_GT"
        case maskedEqual = "SCMP_CMP_MASKED_EQ"
    }

    public var index: UInt32
    public var op: Operator
    public var value: UInt64
    public var valueTwo: UInt64

    public init(_ index: UInt32, _ op: Operator, _ value: UInt64, _ valueTwo: UInt64 = 0) {
        self.index = index
        self.op = op
        self.value = value
        self.valueTwo = valueTwo
    }

    /// `args[index] & mask == expected`.
    public static func masked(_ index: UInt32, _ mask: UInt64, equals expected: UInt64) -> SeccompCondition {
        SeccompCondition(index, .maskedEqual, mask, expected)
    }

    public var summary: String {
        switch op {
        case .maskedEqual: return "arg\(index) & 0x\(String(value, radix: 16)) == 0x\(String(valueTwo, radix: 16))"
        case .notEqual: return "arg\(index) != \(value)"
        case .less: return "arg\(index) < \(value)"
        case .lessOrEqual: return "arg\(index) <= \(value)"
        case .equal: return "arg\(index) == \(value)"
        case .greaterOrEqual: return "arg\(index) >= \(value)"
        case .greater: return "arg\(index) > \(value)"
        }
    }
}
