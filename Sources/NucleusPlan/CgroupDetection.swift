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

    /// `kind` is what `kind(environment:)` found (one statfs, not repeated
    /// here); on v1 only the hierarchies of `wanted` are looked for.
    static func layout(
        _ kind: CgroupLayout.Kind, wanted: [String], environment: (String) -> String?, read: (String) -> String?
    ) -> CgroupLayout {
        if let root = environment("NUCLEUS_CGROUP_ROOT"), !root.isEmpty {
            return unified(root, read: read)
        }
        if case .unavailable = kind { return CgroupLayout(kind: kind) }
        guard let membership = read("/proc/self/cgroup") else {
            return CgroupLayout(kind: .unavailable("/proc/self/cgroup is unreadable"))
        }
        if kind == .unified {
            let path = membership.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
            return unified("/sys/fs/cgroup" + (path == "/" ? "" : path ?? ""), read: read)
        }
        let conventional = conventionalDirectories(membership: membership, wanted: wanted) {
            nucleus_filesystem_type($0)
        }
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
            for name in controllers {
                if let mount = mounts[name] { directories[name] = mount + path }
            }
        }
        return directories
    }

    /// Each v1 line `ID:CONTROLLERS:PATH` of `/proc/self/cgroup` as its
    /// controllers and PATH ("" for the root); the v2 line, `0::PATH`, has
    /// no controllers and is skipped. A scan over the bytes: walking
    /// `Substring.UTF8View` indices cost ~5k instructions a line, on every
    /// start with a v1 cgroup.
    private static func forEachHierarchy(
        in membership: String, _ body: (_ controllers: [String], _ path: String) -> Void
    ) {
        var text = membership
        text.withUTF8 { bytes in
            func string(_ range: Range<Int>) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            }
            var start = 0
            while start < bytes.count {
                var end = start
                var first = -1
                var second = -1
                while end < bytes.count && bytes[end] != UInt8(ascii: "\n") {
                    if bytes[end] == UInt8(ascii: ":") {
                        if first < 0 { first = end } else if second < 0 { second = end }
                    }
                    end += 1
                }
                defer { start = end + 1 }
                guard second > first + 1 else { continue }
                var controllers: [String] = []
                var name = first + 1
                for index in name...second where index == second || bytes[index] == UInt8(ascii: ",") {
                    controllers.append(string(name..<index))
                    name = index + 1
                }
                let path = second + 1..<end
                body(controllers, path.count == 1 && bytes[path.lowerBound] == UInt8(ascii: "/") ? "" : string(path))
            }
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
        membership: String, wanted: [String], fileSystemType: (String) -> Int64
    ) -> [String: String]? {
        var directories: [String: String] = [:]
        var complete = true
        forEachHierarchy(in: membership) { controllers, path in
            // Hierarchies nucleus never uses (name=systemd, devices, rdma...)
            // may be mounted anywhere or nowhere: not looked at.
            guard complete, controllers.contains(where: { wanted.contains($0) }) else { return }
            let directory = "/sys/fs/cgroup/" + controllers.concatenated(separator: ",") + path
            guard fileSystemType(directory) == cgroupMagic else {
                complete = false
                return
            }
            for controller in controllers { directories[controller] = directory }
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
