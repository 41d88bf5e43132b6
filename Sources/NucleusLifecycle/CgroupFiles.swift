import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reading and writing cgroup interface files, one short write each.
enum CgroupFiles {
    static func write(_ value: String, to path: String) throws(NucleusError) {
        try SmallFiles.set(path, to: value)
    }

    static func read(_ path: String) -> String? { try? SmallFiles.text(path) }

    /// `key value` lines (memory.events, cpu.stat, cpuacct.stat, memory.oom_control).
    static func keyed(_ path: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        forEachKeyed(path) { key, value in values[String(decoding: key, as: UTF8.self)] = value }
        return values
    }

    /// One value of a keyed file: read at every exit (`oom_kill`), so no dictionary.
    static func keyed(_ path: String, _ wanted: String) -> UInt64? {
        var found: UInt64?
        forEachKeyed(path) { key, value in if key.elementsEqual(wanted.utf8) { found = value } }
        return found
    }

    private static func forEachKeyed(_ path: String, _ body: (ArraySlice<UInt8>, UInt64) -> Void) {
        guard let bytes = try? SmallFiles.read(path) else { return }
        bytes.forEachPart { line in
            guard let space = line.firstIndex(of: UInt8(ascii: " ")),
                let value = UInt64(String(decoding: line[(space + 1)...], as: UTF8.self))
            else { return }
            body(line[..<space], value)
        }
    }

    static func number(_ path: String) -> UInt64? {
        read(path).flatMap { UInt64($0.filter { !$0.isWhitespace }) }
    }

    @discardableResult
    static func killAndRemove(_ directory: String, version: CgroupPlan.Version) -> Bool {
        // Usually empty by now: the pid namespace went with init.
        if rmdir(directory) == 0 || errno == ENOENT { return true }
        for attempt in 0..<2000 {
            if version == .v2 {
                try? write("1", to: directory + "/cgroup.kill")
            } else {
                for line in (read(directory + "/cgroup.procs") ?? "").split(separator: "\n") {
                    if let pid = pid_t(line) { kill(pid, SIGKILL) }
                }
            }
            if rmdir(directory) == 0 || errno == ENOENT { return true }
            // EBUSY: the killed processes have not finished exiting yet.
            var pause = timespec(tv_sec: 0, tv_nsec: attempt < 100 ? 100_000 : 1_000_000)
            nanosleep(&pause, nil)
        }
        return false
    }
}

/// What a cgroup used, read at exit for `--stats-json` (and later by
/// `nucleus stats` while it runs).
struct CgroupStats {
    var version: CgroupPlan.Version
    var directories: [String: String]

    var cpuUserSeconds: Double? {
        switch version {
        case .v2: return unified("cpu.stat")["user_usec"].map { Double($0) / 1e6 }
        case .v1: return legacy("cpuacct", "cpuacct.stat")["user"].map { Double($0) / 100 }
        }
    }

    var cpuSystemSeconds: Double? {
        switch version {
        case .v2: return unified("cpu.stat")["system_usec"].map { Double($0) / 1e6 }
        case .v1: return legacy("cpuacct", "cpuacct.stat")["system"].map { Double($0) / 100 }
        }
    }

    /// User plus system, the precise counter.
    var cpuSeconds: Double? {
        switch version {
        case .v2: return unified("cpu.stat")["usage_usec"].map { Double($0) / 1e6 }
        case .v1:
            return directories["cpuacct"].flatMap { CgroupFiles.number($0 + "/cpuacct.usage") }.map { Double($0) / 1e9 }
        }
    }

    var memoryPeakBytes: UInt64? {
        switch version {
        case .v2: return directories["unified"].flatMap { CgroupFiles.number($0 + "/memory.peak") }
        case .v1: return directories["memory"].flatMap { CgroupFiles.number($0 + "/memory.max_usage_in_bytes") }
        }
    }

    /// v1 keeps no peak for pids.
    var pidsPeak: UInt64? {
        version == .v2 ? directories["unified"].flatMap { CgroupFiles.number($0 + "/pids.peak") } : nil
    }

    private func unified(_ file: String) -> [String: UInt64] {
        directories["unified"].map { CgroupFiles.keyed($0 + "/" + file) } ?? [:]
    }

    private func legacy(_ hierarchy: String, _ file: String) -> [String: UInt64] {
        directories[hierarchy].map { CgroupFiles.keyed($0 + "/" + file) } ?? [:]
    }
}
