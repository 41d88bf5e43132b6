import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Where this process sits in the host's cgroup hierarchies: statfs of
/// `/sys/fs/cgroup` tells unified from legacy/hybrid, `/proc/self/cgroup`
/// gives our own paths, `/proc/self/mountinfo` where each v1 controller is
/// mounted. `NUCLEUS_CGROUP_ROOT` names a v2 directory to use instead (tests).
enum CgroupDetection {
    static let cgroup2Magic: Int64 = 0x6367_7270
    static let tmpfsMagic: Int64 = 0x0102_1994

    static func kind(environment: (String) -> String?) -> CgroupLayout.Kind {
        if let root = environment("NUCLEUS_CGROUP_ROOT"), !root.isEmpty { return .unified }
        switch nucleus_filesystem_type("/sys/fs/cgroup") {
        case cgroup2Magic: return .unified
        case tmpfsMagic: return .legacy
        default: return .unavailable("no cgroup file system at /sys/fs/cgroup")
        }
    }

    static func layout(environment: (String) -> String?, read: (String) -> String?) -> CgroupLayout {
        if let root = environment("NUCLEUS_CGROUP_ROOT"), !root.isEmpty {
            return unified(root, read: read)
        }
        guard let membership = read("/proc/self/cgroup") else {
            return CgroupLayout(kind: .unavailable("/proc/self/cgroup is unreadable"))
        }
        let type = nucleus_filesystem_type("/sys/fs/cgroup")
        if type == cgroup2Magic {
            let path = membership.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
            return unified("/sys/fs/cgroup" + (path == "/" ? "" : path ?? ""), read: read)
        }
        guard type == tmpfsMagic, let mountinfo = read("/proc/self/mountinfo") else {
            return CgroupLayout(kind: .unavailable("no cgroup file system at /sys/fs/cgroup"))
        }
        let mounts = legacyMounts(mountinfo)
        var directories: [String: String] = [:]
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] != "0" else { continue }
            let path = fields[2] == "/" ? "" : String(fields[2])
            for controller in fields[1].split(separator: ",") {
                if let mount = mounts[String(controller)] { directories[String(controller)] = mount + path }
            }
        }
        guard !directories.isEmpty else { return CgroupLayout(kind: .unavailable("no v1 controller is mounted")) }
        return CgroupLayout(kind: .legacy, legacyDirectories: directories)
    }

    static func unified(_ directory: String, read: (String) -> String?) -> CgroupLayout {
        guard let controllers = read(directory + "/cgroup.controllers") else {
            return CgroupLayout(kind: .unavailable("\(directory)/cgroup.controllers is unreadable"))
        }
        return CgroupLayout(
            kind: .unified, unifiedDirectory: directory,
            unifiedControllers: controllers.split(whereSeparator: \.isWhitespace).map(String.init))
    }

    /// v1 controller -> mount point, from `cgroup` entries of mountinfo.
    static func legacyMounts(_ mountinfo: String) -> [String: String] {
        var mounts: [String: String] = [:]
        for line in mountinfo.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let after = halves[1].split(separator: " ")
            let before = halves[0].split(separator: " ")
            guard after.count >= 3, after[0] == "cgroup", before.count >= 5 else { continue }
            for option in after[2].split(separator: ",") where !option.contains("=") {
                mounts[String(option)] = String(before[4])
            }
        }
        return mounts
    }
}

extension String {
    fileprivate func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}
