import NucleusModel
import NucleusPlan

/// `--stats-json`: what the workload used, one JSON object; `null` where
/// this host's cgroup version keeps no such counter.
struct StatsReport {
    var stats: CgroupStats
    var wallSeconds: Double
    var oomKills: Int

    var json: String { "{\n  " + fields.concatenated(separator: ",\n  ") + "\n}\n" }

    /// One line, for the events stream.
    var compactJSON: String { "{" + fields.concatenated(separator: ", ") + "}" }

    private var fields: [String] {
        func value(_ number: Double?) -> String { number.map { String($0) } ?? "null" }
        func value(_ number: UInt64?) -> String { number.map { String($0) } ?? "null" }
        return [
            "\"cgroup_version\": \"\(stats.version.rawValue)\"",
            "\"wall_time_seconds\": \(value(wallSeconds))",
            "\"cpu_seconds\": \(value(stats.cpuSeconds))",
            "\"cpu_user_seconds\": \(value(stats.cpuUserSeconds))",
            "\"cpu_system_seconds\": \(value(stats.cpuSystemSeconds))",
            "\"memory_peak_bytes\": \(value(stats.memoryPeakBytes))",
            "\"oom_kills\": \(oomKills)",
            "\"pids_peak\": \(value(stats.pidsPeak))",
        ]
    }

    func write(to path: String) throws(NucleusError) {
        try LiveHost().writeFile(path, contents: json)
    }
}
