import CNucleus
import NucleusModel
import NucleusResources

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Where this process sits in the host's cgroup hierarchies: statfs of
/// `/sys/fs/cgroup` tells unified from legacy/hybrid, `/proc/self/cgroup`
/// gives our own paths, and each v1 hierarchy is looked for where every
/// distribution mounts it, `/sys/fs/cgroup/<controllers>`, before
/// `/proc/self/mountinfo` is read. `NUCLEUS_CGROUP_ROOT` names a v2
/// directory to use instead (tests).
enum CgroupDetection {
    static let cgroup2Magic: Int64 = 0x6367_7270
    static let cgroupMagic: Int64 = 0x0027_E0EB
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
        guard type == tmpfsMagic else {
            return CgroupLayout(kind: .unavailable("no cgroup file system at /sys/fs/cgroup"))
        }
        let conventional = conventionalDirectories(membership: membership) { nucleus_filesystem_type($0) }
        guard
            let directories = conventional
                ?? read("/proc/self/mountinfo").map({
                    legacyDirectories(membership: membership, mounts: legacyMounts($0))
                })
        else { return CgroupLayout(kind: .unavailable("/proc/self/mountinfo is unreadable")) }
        guard !directories.isEmpty else { return CgroupLayout(kind: .unavailable("no v1 controller is mounted")) }
        return CgroupLayout(kind: .legacy, legacyDirectories: directories)
    }

    /// v1 controller -> our cgroup's directory, from `/proc/self/cgroup`
    /// lines `ID:CONTROLLERS:PATH` (the v2 line, `0::PATH`, is skipped).
    static func legacyDirectories(membership: String, mounts: [String: String]) -> [String: String] {
        var directories: [String: String] = [:]
        forEachHierarchy(in: membership) { controllers, path in
            controllers.forEachPart(separatedBy: UInt8(ascii: ",")) {
                let name = String(decoding: $0, as: UTF8.self)
                if let mount = mounts[name] { directories[name] = mount + path }
            }
        }
        return directories
    }

    /// Each v1 line `ID:CONTROLLERS:PATH` of `/proc/self/cgroup` (the v2 line,
    /// `0::PATH`, has no controllers and is skipped), with PATH "" for the root.
    private static func forEachHierarchy(
        in membership: String, _ body: (_ controllers: Substring.UTF8View, _ path: String) -> Void
    ) {
        membership.utf8.forEachPart { line in
            guard let first = line.firstIndex(of: UInt8(ascii: ":")) else { return }
            let rest = line[line.index(after: first)...]
            guard let second = rest.firstIndex(of: UInt8(ascii: ":")), second != rest.startIndex else { return }
            let path = line[line.index(after: second)...]
            body(rest[..<second], path.elementsEqual("/".utf8) ? "" : String(decoding: path, as: UTF8.self))
        }
    }

    /// Our v1 directories when every hierarchy of `/proc/self/cgroup` with a
    /// `wanted` controller is mounted at `/sys/fs/cgroup/<its controllers>` (what systemd, cgroupfs-mount
    /// and container hosts do), else nil. `/proc/self/mountinfo` costs 0.1 ms
    /// or more per start, since the kernel formats every mount's options;
    /// one statfs per hierarchy proves `<mount><our path>` is inside a v1
    /// cgroup file system. runc trusts the same convention. A hierarchy
    /// mounted there under another controller's name would still fail
    /// closed: the limit files written next belong to one controller.
    static func conventionalDirectories(
        membership: String, wanted: [String] = ResourcePlanner.legacyControllers,
        fileSystemType: (String) -> Int64
    ) -> [String: String]? {
        var directories: [String: String] = [:]
        var complete = true
        forEachHierarchy(in: membership) { controllers, path in
            guard complete else { return }
            var used = false
            controllers.forEachPart(separatedBy: UInt8(ascii: ",")) { name in
                used = used || wanted.contains { $0.utf8.elementsEqual(name) }
            }
            // Hierarchies nucleus never uses (name=systemd, devices, rdma...)
            // may be mounted anywhere or nowhere: not looked at.
            guard used else { return }
            let directory = "/sys/fs/cgroup/" + String(decoding: controllers, as: UTF8.self) + path
            guard fileSystemType(directory) == cgroupMagic else {
                complete = false
                return
            }
            controllers.forEachPart(separatedBy: UInt8(ascii: ",")) {
                directories[String(decoding: $0, as: UTF8.self)] = directory
            }
        }
        return complete ? directories : nil
    }

    static func unified(_ directory: String, read: (String) -> String?) -> CgroupLayout {
        guard let controllers = read(directory + "/cgroup.controllers") else {
            return CgroupLayout(kind: .unavailable("\(directory)/cgroup.controllers is unreadable"))
        }
        return CgroupLayout(
            kind: .unified, unifiedDirectory: directory,
            unifiedControllers: controllers.split(whereSeparator: \.isWhitespace).map(String.init))
    }

    /// v1 controller -> mount point, from the `cgroup` entries of mountinfo
    /// (`ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - cgroup SOURCE SUPEROPTIONS`).
    /// A scan over bytes: every start that creates a v1 cgroup runs it, and
    /// Foundation's string searching cost a third of a millisecond here.
    static func legacyMounts(_ mountinfo: String) -> [String: String] {
        let marker = Array(" - cgroup ".utf8)
        var mounts: [String: String] = [:]
        for line in mountinfo.utf8.split(separator: UInt8(ascii: "\n")) {
            guard let dash = firstIndex(of: marker, in: line) else { continue }
            let before = line[..<dash].split(separator: UInt8(ascii: " "))
            let after = line[line.index(dash, offsetBy: marker.count)...].split(separator: UInt8(ascii: " "))
            guard before.count >= 5, after.count >= 2 else { continue }
            let mountPoint = String(decoding: before[4], as: UTF8.self)
            for option in after[1].split(separator: UInt8(ascii: ",")) where !option.contains(UInt8(ascii: "=")) {
                mounts[String(decoding: option, as: UTF8.self)] = mountPoint
            }
        }
        return mounts
    }

    private static func firstIndex(of needle: [UInt8], in line: Substring.UTF8View) -> Substring.UTF8View.Index? {
        var index = line.startIndex
        while index != line.endIndex {
            if line[index...].starts(with: needle) { return index }
            index = line.index(after: index)
        }
        return nil
    }
}
