import NucleusModel

/// How container ids map to host ids. As host root the container gets 65536
/// unprivileged host ids (container root is never host root); an unprivileged
/// caller can only map itself, so container 0 is the caller.
public enum UserNamespaceMapping {
    public static let rangeSize: UInt32 = 65_536

    public static func plan(euid: UInt32, egid: UInt32, base: UInt32) throws(NucleusError) -> IDMapping {
        guard euid == 0 else {
            return IDMapping(
                uidMap: [IDMapEntry(containerID: 0, hostID: euid, count: 1)],
                gidMap: [IDMapEntry(containerID: 0, hostID: egid, count: 1)],
                setgroupsAllowed: false, rootless: true)
        }
        guard base != 0, UInt64(base) + UInt64(rangeSize) <= UInt64(UInt32.max) else {
            throw .invalid("--userns-base \(base) must be above 0 and leave room for \(rangeSize) ids below 2^32-1")
        }
        let range = [IDMapEntry(containerID: 0, hostID: base, count: rangeSize)]
        return IDMapping(uidMap: range, gidMap: range, setgroupsAllowed: true, rootless: false)
    }

    /// The same range with the workload's ids mapped straight to a host
    /// directory's owner instead: what an idmapped mount would give, for a
    /// file system that cannot be idmapped. Nil when the owner's ids fall
    /// inside the range itself (the map would hold one host id twice).
    public static func carvingOut(
        _ mapping: IDMapping, uid: UInt32, hostUID: UInt32, gid: UInt32, hostGID: UInt32
    ) -> IDMapping? {
        guard !mapping.rootless, let uidMap = carve(mapping.uidMap, id: uid, to: hostUID),
            let gidMap = carve(mapping.gidMap, id: gid, to: hostGID)
        else { return nil }
        return IDMapping(uidMap: uidMap, gidMap: gidMap, setgroupsAllowed: true, rootless: false)
    }

    private static func carve(_ map: [IDMapEntry], id: UInt32, to hostID: UInt32) -> [IDMapEntry]? {
        guard map.count == 1, let range = map.first, range.contains(id),
            !(range.hostID..<range.hostID + range.count).contains(hostID)
        else { return nil }
        var entries: [IDMapEntry] = []
        if id > range.containerID {
            entries.append(
                IDMapEntry(containerID: range.containerID, hostID: range.hostID, count: id - range.containerID))
        }
        entries.append(IDMapEntry(containerID: id, hostID: hostID, count: 1))
        let after = range.containerID + range.count - id - 1
        if after > 0 {
            entries.append(
                IDMapEntry(containerID: id + 1, hostID: range.hostID + (id - range.containerID) + 1, count: after))
        }
        return entries
    }

    /// The workload's ids must exist inside the user namespace.
    public static func validate(uid: UInt32, gid: UInt32, in mapping: IDMapping) throws(NucleusError) {
        guard mapping.uidMap.contains(where: { $0.contains(uid) }) else {
            throw .invalid(mapped(kind: "--user", id: uid, mapping: mapping))
        }
        guard mapping.gidMap.contains(where: { $0.contains(gid) }) else {
            throw .invalid(mapped(kind: "--group", id: gid, mapping: mapping))
        }
    }

    private static func mapped(kind: String, id: UInt32, mapping: IDMapping) -> String {
        if mapping.rootless {
            return "\(kind) \(id) is not mapped: a rootless container maps only id 0 (the caller)"
        }
        return "\(kind) \(id) is not mapped: the user namespace holds ids 0-\(rangeSize - 1)"
    }
}
