import NucleusModel

/// `--memory`, `--cpus`, `--pids`... -> the cgroup settings for this host's
/// hierarchy (v2, or v1/hybrid) and the workload's rlimits. Every malformed
/// or impossible value is refused here, before anything exists.
public enum ResourcePlanner {
    public static let cpuPeriod: UInt64 = 100_000
    /// Every v1 controller a limit or `--stats-json` can ask for.
    public static let legacyControllers = ["blkio", "cpu", "cpuacct", "cpuset", "memory", "pids"]

    /// - Parameter requireCgroup: strict-agent and production: a cgroup
    ///   always, and a start refused without one.
    public static func plan(_ request: ResourceRequest, requireCgroup: String? = nil, host: any HostProbe)
        throws(NucleusError) -> (plan: ResourcePlan, mechanism: Mechanism)
    {
        let limits = try CgroupLimits(request, onlineCPUs: host.onlineCPUs)
        let rlimits = try ResourceLimits.plan(request, host: host)
        let cgroup: CgroupPlan?
        let mechanism: Mechanism
        let kind = host.cgroupKind
        let needsLegacyCgroup = limits.asksForCgroupLimits || request.statsJSON != nil || requireCgroup != nil
        let legacyControllers = LegacyCgroup.controllers(limits, accounting: request.statsJSON != nil)
        let layout =
            kind == .legacy && !needsLegacyCgroup
            ? CgroupLayout(kind: .legacy) : host.cgroupLayout(kind, controllers: legacyControllers)
        switch layout.kind {
        case .unified:
            cgroup = try UnifiedCgroup.plan(limits, layout: layout, accounting: request.statsJSON != nil)
            mechanism = Mechanism(
                name: "cgroups", status: .enforced,
                detail: "cgroup v2 child of \(layout.unifiedDirectory ?? "?"): \(limits.summary)")
        case .legacy where !needsLegacyCgroup:
            // Creating, joining and removing v1 cgroups costs 0.5-1 ms a
            // start: the default pid limit is RLIMIT_NPROC, counted per
            // user namespace.
            cgroup = nil
            mechanism = Mechanism(
                name: "cgroups", status: .enforced,
                detail:
                    "cgroup v1 host: none by default (one costs 0.5-1 ms per start); pids limited to \(limits.pids.map { String($0) } ?? "unlimited") by RLIMIT_NPROC; --memory, --cpus, --pids or --stats-json create one"
            )
        case .legacy:
            cgroup = try LegacyCgroup.plan(
                limits, controllers: legacyControllers, layout: layout, host: host)
            mechanism = Mechanism(
                name: "cgroups", status: .enforced,
                detail:
                    "cgroup v1 (hybrid host) children in \(cgroup?.parents.keys.sorted().concatenated(separator: ", ") ?? ""): \(limits.summary)"
            )
        case .unavailable(let reason):
            if let mode = requireCgroup {
                throw .invalid("\(mode) mode requires cgroups, and this host has none nucleus can use: \(reason)")
            }
            cgroup = nil
            mechanism = Mechanism(
                name: "cgroups", status: .degraded, detail: "no cgroup (\(reason)): " + unenforced(limits))
        }
        if let cgroup, let parent = cgroup.parents.values.sorted().first(where: { !host.isWritable($0) }) {
            // Typically a rootless caller without a delegated cgroup.
            if let mode = requireCgroup {
                throw .invalid(
                    "\(mode) mode requires a cgroup, and \(parent) is not writable for uid \(host.effectiveUID) (delegate a cgroup to this user, or run as root)"
                )
            }
            let detail =
                "\(parent) is not writable for uid \(host.effectiveUID): no cgroup; " + unenforced(limits)
            return (
                ResourcePlan(cgroup: nil, rlimits: rlimits, statsJSON: nil),
                Mechanism(name: "cgroups", status: .degraded, detail: detail)
            )
        }
        return (ResourcePlan(cgroup: cgroup, rlimits: rlimits, statsJSON: request.statsJSON), mechanism)
    }

    /// Agent mode goes on without a cgroup (best effort) and says exactly what that costs.
    static func unenforced(_ limits: CgroupLimits) -> String {
        limits.asksForCgroupLimits
            ? "NOT enforced: \(limits.summary) (only the NPROC rlimit applies); strict-agent and production refuse this"
            : "no memory or CPU limits; the NPROC rlimit still limits processes"
    }
}
