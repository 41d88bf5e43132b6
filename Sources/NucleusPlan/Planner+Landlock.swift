import NucleusFilesystem
import NucleusModel
import NucleusSecurity

/// The default Landlock rules follow the mounts: what is mounted read-only
/// is readable, scratch space and writable binds are writable but never
/// executable, system trees are executable, and nothing else is reachable.
extension Planner {
    static func landlockPaths(_ request: Request) -> LandlockPlanner.Paths {
        var paths = LandlockPlanner.Paths()
        paths.readExecute = SystemDirectories.names.map { "/" + $0 }
        paths.read = ["/etc", "/proc", "/sys"]
        paths.readWrite = ["/tmp", request.home, "/dev/shm"]
        paths.devices = ["/dev", "/dev/pts"]
        for scratch in request.tmpfsMounts {
            if scratch.readOnly {
                paths.read.append(scratch.destination)
            } else {
                paths.readWrite.append(scratch.destination)
            }
        }
        for volume in request.volumes {
            if volume.readOnly {
                paths.readExecute.append(volume.destination)
            } else {
                paths.readWrite.append(volume.destination)
            }
        }
        for config in request.providerConfigs {
            guard let volume = try? config.volume(home: request.home) else { continue }
            if config.readOnly {
                paths.read.append(volume.destination)
            } else {
                paths.readWrite.append(volume.destination)
            }
        }
        if let workspace = request.workspace {
            switch (workspace.mode, workspace.exec) {
            case (.bindRO, false): paths.read.append(Workspace.mountPoint)
            case (.bindRO, true): paths.readExecute.append(Workspace.mountPoint)
            case (_, false): paths.readWrite.append(Workspace.mountPoint)
            case (_, true): paths.readWriteExecute.append(Workspace.mountPoint)
            }
        }
        if request.context != nil { paths.read.append(Context.mountPoint) }
        let secretDestinations = request.secrets.map(\.destination) + request.systemdCredentials.map(\.destination)
        if !secretDestinations.isEmpty {
            paths.read.append(SecretsPlanner.root)
            paths.read += secretDestinations.filter { !$0.hasPrefix(SecretsPlanner.root + "/") }
        }
        return paths
    }
}
