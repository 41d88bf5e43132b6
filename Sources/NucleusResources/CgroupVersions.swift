import NucleusModel

/// cgroup v2: one child in the unified hierarchy, controllers enabled in the parent.
enum UnifiedCgroup {
    static let hierarchy = "unified"

    static func plan(_ limits: CgroupLimits, layout: CgroupLayout, accounting: Bool) throws(NucleusError) -> CgroupPlan
    {
        guard let parent = layout.unifiedDirectory else { throw .invalid("cgroup v2: nucleus's own cgroup is unknown") }
        var settings: [CgroupSetting] = []
        var controllers = limits.memory != nil || accounting ? ["memory", "pids"] : ["pids"]
        func set(_ file: String, _ value: String) { settings.append(CgroupSetting(hierarchy, file, value)) }
        if let memory = limits.memory {
            set("memory.max", String(memory))
            set("memory.high", String(memory / 10 * 9))
            set("memory.swap.max", String(limits.swap ?? 0))
        }
        if limits.cpuQuota != nil || limits.cpuWeight != nil { controllers.append("cpu") }
        if let quota = limits.cpuQuota { set("cpu.max", "\(quota) \(ResourcePlanner.cpuPeriod)") }
        if let weight = limits.cpuWeight { set("cpu.weight", String(weight)) }
        if let cpuset = limits.cpuset {
            controllers.append("cpuset")
            set("cpuset.cpus", cpuset)
        }
        set("pids.max", limits.pids.map { String($0) } ?? "max")
        if !limits.io.isEmpty { controllers.append("io") }
        for limit in limits.io {
            set("io.max", ([limit.device] + limit.values.map { "\($0.key)=\($0.value)" }).concatenated(separator: " "))
        }
        for controller in controllers where !layout.unifiedControllers.contains(controller) {
            throw .invalid("cgroup v2: the \(controller) controller is not available in \(parent)")
        }
        return CgroupPlan(
            version: .v2, parents: [hierarchy: parent], settings: settings, controllers: controllers,
            memoryLimit: limits.memory.map { ByteSize(bytes: $0) })
    }
}

/// cgroup v1 (and hybrid hosts): a child in each hierarchy a limit needs,
/// below nucleus's own cgroup there.
enum LegacyCgroup {
    /// Only the hierarchies a limit needs (each costs a mkdir, a join and an
    /// rmdir per start); `accounting` (`--stats-json`) adds memory and cpuacct.
    static func controllers(_ limits: CgroupLimits, accounting: Bool) -> [String] {
        var used = ["pids"]
        if limits.memory != nil || accounting { used.append("memory") }
        if accounting { used.append("cpuacct") }
        if limits.cpuQuota != nil || limits.cpuWeight != nil { used.append("cpu") }
        if limits.cpuset != nil { used.append("cpuset") }
        if !limits.io.isEmpty { used.append("blkio") }
        return used
    }

    /// `controllers` is what `controllers(_:accounting:)` gave for `limits`.
    static func plan(_ limits: CgroupLimits, controllers: [String], layout: CgroupLayout, host: any HostProbe)
        throws(NucleusError) -> CgroupPlan
    {
        var settings: [CgroupSetting] = []
        if let memory = limits.memory {
            settings.append(CgroupSetting("memory", "memory.limit_in_bytes", String(memory)))
            if let parent = layout.legacyDirectories["memory"],
                host.entry(at: parent + "/memory.memsw.limit_in_bytes") == .file
            {
                settings.append(
                    CgroupSetting("memory", "memory.memsw.limit_in_bytes", String(memory + (limits.swap ?? 0))))
            }
        }
        if let quota = limits.cpuQuota {
            // A new v1 cgroup's cfs_period_us is already the kernel default,
            // ResourcePlanner.cpuPeriod (100 ms): only the quota is written.
            settings.append(CgroupSetting("cpu", "cpu.cfs_quota_us", String(quota)))
        }
        if let weight = limits.cpuWeight {
            // cpu.weight 1..10000 onto cpu.shares 2..262144, the mapping runc and systemd use.
            settings.append(CgroupSetting("cpu", "cpu.shares", String(2 + (weight - 1) * 262_142 / 9_999)))
        }
        if let cpuset = limits.cpuset, let parent = layout.legacyDirectories["cpuset"] {
            let mems = (try? host.readTextFile(parent + "/cpuset.mems"))?.filter { !$0.isWhitespace } ?? "0"
            settings.append(CgroupSetting("cpuset", "cpuset.cpus", cpuset))
            settings.append(CgroupSetting("cpuset", "cpuset.mems", mems.isEmpty ? "0" : mems))
        }
        settings.append(CgroupSetting("pids", "pids.max", limits.pids.map { String($0) } ?? "max"))
        let blkioFiles = [
            "riops": "blkio.throttle.read_iops_device", "wiops": "blkio.throttle.write_iops_device",
            "rbps": "blkio.throttle.read_bps_device", "wbps": "blkio.throttle.write_bps_device",
        ]
        for limit in limits.io {
            for (key, value) in limit.values {
                settings.append(CgroupSetting("blkio", blkioFiles[key] ?? key, "\(limit.device) \(value)"))
            }
        }
        var parents: [String: String] = [:]
        for controller in controllers {
            guard let directory = layout.legacyDirectories[controller] else {
                throw .invalid("cgroup v1: no \(controller) hierarchy is mounted")
            }
            parents[controller] = directory
        }
        return CgroupPlan(
            version: .v1, parents: parents, settings: settings, controllers: [],
            memoryLimit: limits.memory.map { ByteSize(bytes: $0) })
    }
}
