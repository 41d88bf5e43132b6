import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `--events-jsonl PATH` / `--events-fd FD`: lifecycle records as JSON lines,
/// apart from the workload's output. Schema in docs/architecture.md.
final class EventStream {
    private let fd: Int32
    private let ownsFD: Bool

    init(_ target: EventsTarget) throws(NucleusError) {
        switch target {
        case .path(let path):
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw NucleusError("open the events file", syscall: "open", path: path, errno: errno) }
            ownsFD = true
        case .descriptor(let number):
            guard fcntl(number, F_GETFD) >= 0 else {
                throw NucleusError("--events-fd \(number) is not open", syscall: "fcntl", errno: EBADF)
            }
            // Ours only: the workload never inherits it.
            _ = fcntl(number, F_SETFD, FD_CLOEXEC)
            fd = number
            ownsFD = false
        }
    }

    deinit { if ownsFD { close(fd) } }

    func start(id: String, pid: pid_t, cgroup: String?, plan: Plan) {
        let mechanisms = plan.mechanisms.map { "\(JSONText.string($0.name)): \(JSONText.string($0.status.rawValue))" }
        emit([
            ("event", JSONText.string("start")), ("time", JSONText.string(Self.timestamp())),
            ("id", JSONText.string(id)), ("pid", String(pid)),
            ("cgroup", cgroup.map(JSONText.string) ?? "null"), ("mode", JSONText.string(plan.mode)),
            ("mechanisms", "{" + mechanisms.joined(separator: ", ") + "}"),
        ])
    }

    func ready(id: String) {
        emit([
            ("event", JSONText.string("ready")), ("time", JSONText.string(Self.timestamp())),
            ("id", JSONText.string(id)),
        ])
    }

    func health(id: String, status: String) {
        emit([
            ("event", JSONText.string("health")), ("time", JSONText.string(Self.timestamp())),
            ("id", JSONText.string(id)), ("status", JSONText.string(status)),
        ])
    }

    /// `status` is nucleus's exit status; `signal` the one that ended the workload, if any.
    func exit(id: String, status: Int32, oomKills: Int?, stats: String?, cleanupOK: Bool, error: String?) {
        emit([
            ("event", JSONText.string("exit")), ("time", JSONText.string(Self.timestamp())),
            ("id", JSONText.string(id)), ("status", String(status)),
            ("signal", status > 128 && status < 160 && error == nil ? String(status - 128) : "null"),
            ("oom_kills", oomKills.map { String($0) } ?? "null"), ("stats", stats ?? "null"),
            ("cleanup_ok", cleanupOK ? "true" : "false"), ("error", error.map(JSONText.string) ?? "null"),
        ])
    }

    private func emit(_ fields: [(String, String)]) {
        let line = "{" + fields.map { "\(JSONText.string($0.0)): \($0.1)" }.joined(separator: ", ") + "}\n"
        _ = line.withCString { write(fd, $0, strlen($0)) }
    }

    /// UTC, RFC 3339 with milliseconds.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = now.tv_nsec / 1_000_000
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }
}

/// JSON string literals without Foundation.
enum JSONText {
    static func string(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
