import NucleusFilesystem
import NucleusIsolation
import NucleusModel

/// Who owns, on the host, what the workload writes into read-write volumes,
/// the workspace and provider configs. An idmapped mount gives it to the
/// directory's owner; where the file system cannot be idmapped, the user
/// namespace maps the workload's ids to that owner instead (one owner only);
/// where neither works, the mounts stay plain and the plan says so.
extension Planner {
    static func ownedMounts(_ request: Request, identity: EtcTree.Identity, mapping: IDMapping, host: any HostProbe)
        throws(NucleusError) -> (IDMapping, RequestedMounts, [Mechanism])
    {
        var requested = try requestedMounts(request, identity: identity, mapping: mapping, host: host)
        let writable =
            request.volumes.contains { !$0.readOnly } || !request.providerConfigs.isEmpty
            || (request.workspace.map { $0.mode != .bindRO } ?? false)
        guard writable else { return (mapping, requested, []) }
        if mapping.rootless {
            let detail =
                "files written to volumes belong to the caller (uid \(hostID(identity.uid, in: mapping.uidMap)))"
            return (mapping, requested, [Mechanism(name: "volume_ownership", status: .enforced, detail: detail)])
        }
        let stuck = requested.steps.filter { step in
            step.idmap != nil && !host.supportsIdmappedMounts(idmappedSource(of: step))
        }
        guard !stuck.isEmpty else {
            let detail =
                "read-write volumes and the workspace are idmapped: what the workload writes belongs on the host to the directory's owner"
            return (mapping, requested, [Mechanism(name: "volume_ownership", status: .enforced, detail: detail)])
        }
        let paths = stuck.map { $0.source ?? $0.target }.joined(separator: ", ")
        let owners = Set(stuck.compactMap { $0.idmap.map { [$0.diskUID, $0.diskGID] } })
        if owners.count == 1, let owner = owners.first,
            let carved = UserNamespaceMapping.carvingOut(
                mapping, uid: identity.uid, hostUID: owner[0], gid: identity.gid, hostGID: owner[1])
        {
            requested = try requestedMounts(request, identity: identity, mapping: carved, host: host)
            requested.steps = requested.steps.map(dropIdentityIdmap)
            let detail =
                "\(paths) cannot be idmapped (file system): the workload's uid \(identity.uid) and gid \(identity.gid) map to the owner's host ids \(owner[0]):\(owner[1]) instead, so what it writes belongs to the owner"
            return (carved, requested, [Mechanism(name: "volume_ownership", status: .enforced, detail: detail)])
        }
        requested.steps = requested.steps.map { step in
            var step = step
            if stuck.contains(where: { $0.target == step.target && $0.kind == step.kind }) { step.idmap = nil }
            return step
        }
        let why =
            owners.count > 1
            ? "they have different owners" : "the owner's ids fall inside the container's own host range"
        let detail =
            "\(paths) cannot be idmapped (file system) and \(why): files the workload writes there belong to host uid \(hostID(identity.uid, in: mapping.uidMap)), not to the directory's owner"
        return (mapping, requested, [Mechanism(name: "volume_ownership", status: .degraded, detail: detail)])
    }

    /// A copy-in-out workspace is idmapped at its staging copy, not at its source.
    static func idmappedSource(of step: SetupStep) -> String {
        step.stagedWorkspace == nil ? step.source ?? step.target : "/var/tmp"
    }

    static func dropIdentityIdmap(_ step: SetupStep) -> SetupStep {
        guard let idmap = step.idmap, idmap.diskUID == idmap.hostUID, idmap.diskGID == idmap.hostGID else {
            return step
        }
        var step = step
        step.idmap = nil
        return step
    }
}
