import NucleusModel

/// The workload's rlimits: NOFILE 1024/4096 unless `--nofile`, NPROC from
/// `--pids`, MEMLOCK 64K unless `--memlock`, no core dumps. Inside a user
/// namespace a hard limit can only go down, so an explicit value above the
/// host's is refused and a default above it is lowered to it.
enum ResourceLimits {
    static let nofileResource: Int32 = 7
    static let nprocResource: Int32 = 6
    static let memlockResource: Int32 = 8
    static let coreResource: Int32 = 4

    static func plan(_ request: ResourceRequest, host: any HostProbe) throws(NucleusError) -> [ResourceLimit] {
        var limits: [ResourceLimit] = []
        func add(_ name: String, _ resource: Int32, soft: UInt64, hard: UInt64, explicit: String?) throws(NucleusError)
        {
            let ceiling = host.resourceLimit(resource).hard
            if let explicit, hard > ceiling {
                throw .invalid("\(explicit) is above this host's hard \(name) limit (\(ceiling))")
            }
            limits.append(
                ResourceLimit(name: name, resource: resource, soft: min(soft, ceiling), hard: min(hard, ceiling)))
        }
        if let nofile = request.nofile {
            guard nofile > 0 else { throw .invalid("--nofile \(nofile) must be above 0") }
            try add(
                "NOFILE", nofileResource, soft: UInt64(nofile), hard: UInt64(nofile), explicit: "--nofile \(nofile)")
        } else {
            try add("NOFILE", nofileResource, soft: 1024, hard: 4096, explicit: nil)
        }
        let pids = request.pids ?? ResourceRequest.defaultPids
        let processes = pids == 0 ? ResourceLimit.unlimited : UInt64(max(pids, 0))
        try add("NPROC", nprocResource, soft: processes, hard: processes, explicit: nil)
        let locked = request.memlock?.bytes ?? 64 << 10
        try add(
            "MEMLOCK", memlockResource, soft: locked, hard: locked, explicit: request.memlock.map { "--memlock \($0)" })
        try add("CORE", coreResource, soft: 0, hard: 0, explicit: nil)
        return limits
    }
}
