import NucleusModel

/// The workload's environment is built, never inherited: PATH, HOME, TERM
/// (only when the caller has a terminal), then `--env-file` entries, then
/// `-e` (later wins). Variables that make the loader or libc run or read
/// attacker-chosen code are refused outright.
public enum EnvironmentPolicy {
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Refused in addition to every `LD_*` name: glibc's other code-loading knobs.
    public static let refusedNames: Set<String> = [
        "GCONV_PATH", "GLIBC_TUNABLES", "MALLOC_TRACE", "HOSTALIASES", "NLSPATH", "RES_OPTIONS", "LOCALDOMAIN",
        "RESOLV_HOST_CONF",
    ]

    public static func isRefused(_ name: String) -> Bool {
        name.hasPrefix("LD_") || refusedNames.contains(name)
    }

    /// The workload's variables: those the plan may print, and those it must not.
    public struct Result: Equatable {
        public var visible: [String]
        public var sensitive: [String]
    }

    /// - Parameters:
    ///   - assignments: `-e` values in order: `KEY=VALUE`, or `KEY` to copy the caller's value.
    ///   - envFiles: the contents of each `--env-file`, with the file's name for errors.
    ///   - sensitive: `KEY=VALUE` pairs read from `--env-fd`; kept out of plan output.
    public static func build(
        home: String, terminal: String?, assignments: [String], envFiles: [(path: String, contents: String)],
        sensitive: [String] = [], caller: (String) -> String?
    ) throws(NucleusError) -> Result {
        // A few dozen entries at most: an ordered list beats hashing here.
        var entries: [(name: String, value: String, sensitive: Bool)] = []
        func set(_ name: String, _ value: String, sensitive: Bool = false) {
            if let index = entries.firstIndex(where: { $0.name == name }) {
                entries[index].value = value
                entries[index].sensitive = sensitive
            } else {
                entries.append((name, value, sensitive))
            }
        }
        set("PATH", defaultPath)
        set("HOME", home)
        if let terminal { set("TERM", terminal) }

        for file in envFiles {
            for (number, rawLine) in file.contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            {
                let line = rawLine.drop { $0 == " " || $0 == "\t" }
                if line.isEmpty || line.hasPrefix("#") { continue }
                let origin = "--env-file \(file.path) line \(number + 1)"
                let (name, value) = try parse(String(line), origin: origin, caller: caller)
                if let value { set(name, value) }
            }
        }
        for assignment in sensitive {
            let name = String(assignment.prefix { $0 != "=" })
            let (_, value) = try parse(assignment, origin: "--env-fd variable \(name)", caller: { _ in nil })
            if let value { set(name, value, sensitive: true) }
        }
        for assignment in assignments {
            let (name, value) = try parse(assignment, origin: "-e \(assignment)", caller: caller)
            if let value { set(name, value) }
        }
        return Result(
            visible: entries.filter { !$0.sensitive }.map { $0.name + "=" + $0.value },
            sensitive: entries.filter(\.sensitive).map { $0.name + "=" + $0.value })
    }

    /// `KEY=VALUE`, or `KEY` alone for the caller's value (nil when the caller has none).
    public static func parse(_ text: String, origin: String, caller: (String) -> String?) throws(NucleusError) -> (
        String, String?
    ) {
        let name: String
        let value: String?
        if let equals = text.firstIndex(of: "=") {
            name = String(text[..<equals])
            value = String(text[text.index(after: equals)...])
        } else {
            name = text
            value = caller(text)
        }
        guard !name.isEmpty, !name.contains("\0"), !(value?.contains("\0") ?? false),
            !name.contains(where: { $0 == " " || $0 == "\t" })
        else {
            throw .invalid("\(origin): expected KEY=VALUE")
        }
        if isRefused(name) {
            throw .invalid("\(origin): \(name) is refused: it makes the dynamic loader or libc load code or files")
        }
        return (name, value)
    }
}
