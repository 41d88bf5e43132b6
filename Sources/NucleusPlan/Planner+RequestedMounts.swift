import NucleusFilesystem
import NucleusModel

/// The mounts the caller asked for: the workspace, volumes, tmpfs and secrets,
/// and what the plan says about them.
extension Planner {
    struct RequestedMounts {
        var steps: [SetupStep]
        /// Workspace-relative paths made read-only.
        var protected: [String]
    }

    static func requestedMounts(_ request: Request, identity: EtcTree.Identity, mapping: IDMapping, host: any HostProbe)
        throws(NucleusError) -> RequestedMounts
    {
        let workloadHostIDs =
            mapping.rootless
            ? nil : (hostID(identity.uid, in: mapping.uidMap), hostID(identity.gid, in: mapping.gidMap))
        let workspace = try request.workspace.map { workspace throws(NucleusError) in
            try WorkspacePlanner.plan(workspace, workloadHostIDs: workloadHostIDs, host: host)
        }
        let context = try request.context.map { context throws(NucleusError) in
            try ContextPlanner.steps(context, workloadHostIDs: workloadHostIDs, host: host)
        }
        let builtIn =
            ["/tmp", request.home] + (request.workspace == nil ? [] : [Workspace.mountPoint])
            + (request.context == nil ? [] : [Context.mountPoint])
        var requestedVolumes = request.volumes
        for config in request.providerConfigs { requestedVolumes.append(try config.volume(home: request.home)) }
        let volumes = try UserMountPlanner.steps(
            volumes: requestedVolumes, tmpfs: request.tmpfsMounts, builtInMounts: builtIn, identity: identity,
            workloadHostIDs: workloadHostIDs, host: host)
        var requestedSecrets = request.secrets
        for credential in request.systemdCredentials {
            requestedSecrets.append(
                try credential.secret(credentialsDirectory: host.environmentValue("CREDENTIALS_DIRECTORY")))
        }
        let secrets = try SecretsPlanner.steps(
            requestedSecrets, identity: identity,
            taken: Set(builtIn + requestedVolumes.map(\.destination) + request.tmpfsMounts.map(\.destination)),
            hostContent: requestedVolumes.map(\.destination) + (request.workspace == nil ? [] : [Workspace.mountPoint]),
            host: host)
        return RequestedMounts(
            steps: (workspace?.steps ?? []) + (context ?? []) + volumes + secrets, protected: workspace?.protected ?? []
        )
    }

    static func workspaceMechanism(_ workspace: Workspace?, protected: [String]) -> [Mechanism] {
        guard let workspace else { return [] }
        var detail =
            "\(workspace.mode.rawValue) at \(Workspace.mountPoint)" + (workspace.exec ? ", executable" : ", noexec")
        if !protected.isEmpty { detail += "; read-only: " + protected.concatenated(separator: ", ") }
        if workspace.mode == .copyInOut {
            detail +=
                "; the workload edits a private staging copy (\(WorkspaceStagingArea.prefix)*); changes reach the"
                + " host after exit, all or none, refused if the host changed them meanwhile"
        }
        if workspace.mode != .bindRO && workspace.unprotectGit {
            return [
                Mechanism(
                    name: "workspace", status: .degraded,
                    detail: detail
                        + "; .git/hooks and .git/config writable (--unprotect-git): what the workload writes there runs when git next runs on the host"
                )
            ]
        }
        return [Mechanism(name: "workspace", status: .enforced, detail: detail)]
    }

    /// The host id a container id maps to (the id itself when unmapped, which validation rules out).
    static func hostID(_ id: UInt32, in map: [IDMapEntry]) -> UInt32 {
        map.first { $0.contains(id) }.map { $0.hostID + (id - $0.containerID) } ?? id
    }
}
