import NucleusModel

/// The validated limits, independent of the cgroup version.
struct CgroupLimits {
    var memory: UInt64?
    /// Swap allowed on top of memory (0 when `--memory` is set without `--memory-swap`).
    var swap: UInt64?
    var cpuQuota: UInt64?
    var cpuWeight: Int?
    var cpuset: String?
    /// nil: unlimited.
    var pids: Int?
    var io: [IOLimit]
    /// Whether `--pids` was given (the default alone does not need a cgroup).
    var explicitPids: Bool

    /// `onlineCPUs` is read only when `--cpus` or `--cpuset` asks (a sysfs read).
    init(_ request: ResourceRequest, onlineCPUs: @autoclosure () -> Int) throws(NucleusError) {
        if let memory = request.memory {
            guard memory.bytes >= 1 << 20 else { throw .invalid("--memory \(memory): below the 1M minimum") }
            self.memory = memory.bytes
            if let total = request.memorySwap {
                guard total.bytes >= memory.bytes else {
                    throw .invalid("--memory-swap \(total) is below --memory \(memory): it counts memory plus swap")
                }
                swap = total.bytes - memory.bytes
            } else {
                swap = 0
            }
        } else if let total = request.memorySwap {
            throw .invalid("--memory-swap \(total) needs --memory")
        }
        if let cpus = request.cpus {
            guard cpus > 0, cpus.isFinite else { throw .invalid("--cpus \(cpus) must be above 0") }
            let online = onlineCPUs()
            guard cpus <= Double(online) else {
                throw .invalid("--cpus \(cpus) is more than the \(online) CPUs online")
            }
            cpuQuota = max(1000, UInt64((cpus * Double(ResourcePlanner.cpuPeriod)).rounded()))
        }
        if let weight = request.cpuWeight {
            guard (1...10_000).contains(weight) else { throw .invalid("--cpu-weight \(weight) must be 1 to 10000") }
            cpuWeight = weight
        }
        if let cpuset = request.cpuset {
            try Self.checkCPUList(cpuset, onlineCPUs: onlineCPUs())
            self.cpuset = cpuset
        }
        let pids = request.pids ?? ResourceRequest.defaultPids
        guard pids >= 0 else { throw .invalid("--pids \(pids) must be 0 (unlimited) or more") }
        self.pids = pids == 0 ? nil : pids
        explicitPids = request.pids != nil
        io = try request.ioLimits.map { text throws(NucleusError) in try IOLimit(parsing: text) }
    }

    var asksForCgroupLimits: Bool {
        memory != nil || cpuQuota != nil || cpuWeight != nil || cpuset != nil || !io.isEmpty || explicitPids
    }

    var summary: String {
        var parts: [String] = []
        if let memory { parts.append("memory \(ByteSize(bytes: memory)), swap \(ByteSize(bytes: swap ?? 0))") }
        if let cpuQuota { parts.append("cpu \(cpuQuota)/\(ResourcePlanner.cpuPeriod) us") }
        if let cpuWeight { parts.append("cpu weight \(cpuWeight)") }
        if let cpuset { parts.append("cpus \(cpuset)") }
        parts.append(pids.map { "pids \($0)" } ?? "pids unlimited")
        for limit in io { parts.append("io \(limit.device)") }
        return parts.concatenated(separator: ", ")
    }

    /// `0-2,4`: CPUs that exist and are online.
    static func checkCPUList(_ text: String, onlineCPUs: Int) throws(NucleusError) {
        let bad = NucleusError.invalid(
            "--cpuset \(text): expected CPU numbers and ranges below \(onlineCPUs), like 0-1,3")
        guard !text.isEmpty else { throw bad }
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(bounds.count), let first = bounds.first ?? nil, let last = bounds.last ?? nil,
                first >= 0, first <= last, last < onlineCPUs
            else { throw bad }
        }
    }
}

/// `--io-limit "MAJ:MIN riops=N wiops=N rbps=N wbps=N"`.
public struct IOLimit: Equatable {
    public var device: String
    public var values: [(key: String, value: UInt64)]

    static let keys = ["riops", "wiops", "rbps", "wbps"]

    public static func == (left: IOLimit, right: IOLimit) -> Bool {
        left.device == right.device && left.values.map(\.key) == right.values.map(\.key)
            && left.values.map(\.value) == right.values.map(\.value)
    }

    public init(parsing text: String) throws(NucleusError) {
        let words = text.split(separator: " ").map(String.init)
        let bad = NucleusError.invalid("--io-limit \"\(text)\": expected \"MAJ:MIN riops=N wiops=N rbps=N wbps=N\"")
        guard let device = words.first, words.count >= 2 else { throw bad }
        let numbers = device.split(separator: ":", omittingEmptySubsequences: false)
        guard numbers.count == 2, numbers.allSatisfy({ UInt32($0) != nil }) else { throw bad }
        self.device = device
        values = []
        for word in words.dropFirst() {
            let pair = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, Self.keys.contains(pair[0]), let value = UInt64(pair[1]), value > 0,
                !values.contains(where: { $0.key == pair[0] })
            else { throw bad }
            values.append((pair[0], value))
        }
    }
}
