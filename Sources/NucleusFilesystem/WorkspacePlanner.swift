import NucleusModel

/// `--workspace`: the project tree at `/workspace`. A writable workspace is a
/// path back out to the host (a git hook the user later runs), so `.git/hooks`
/// and `.git/config` (also behind a `gitdir:` pointer file) become read-only
/// while objects, refs and the index stay writable; `--protect` adds paths.
public enum WorkspacePlanner {
    public struct Result {
        public var steps: [SetupStep]
        /// Workspace-relative paths made read-only, for the plan's mechanism line.
        public var protected: [String]
    }

    /// - Parameter workloadHostIDs: as for volumes: idmap a writable workspace to its owner (host root only).
    public static func plan(
        _ workspace: Workspace, workloadHostIDs: (uid: UInt32, gid: UInt32)?, host: any HostProbe
    ) throws(NucleusError) -> Result {
        let flag = "--workspace \(workspace.source)"
        guard workspace.source.hasPrefix("/") else { throw .invalid("\(flag): the workspace must be an absolute path") }
        guard let root = host.resolve(workspace.source), host.entry(at: root) == .directory else {
            throw NucleusError("\(flag): not a directory", syscall: "realpath", path: workspace.source, errno: 20)
        }
        let writable = workspace.mode != .bindRO
        var options: MountOptions = [.noSuid, .noDev]
        if !workspace.exec { options.insert(.noExec) }
        if !writable { options.insert(.readOnly) }
        var bind = UserMountPlanner.inRoot(.bind(host: root, at: Workspace.mountPoint, options: options))
        let owner = host.owner(of: root)
        if writable, let workload = workloadHostIDs, let owner {
            bind.idmap = MountIDMap(
                diskUID: owner.uid, diskGID: owner.gid, hostUID: workload.uid, hostGID: workload.gid)
        }
        if workspace.mode == .copyInOut {
            guard let owner else {
                throw NucleusError("\(flag): cannot read its owner", syscall: "stat", path: root, errno: 2)
            }
            bind.stagedWorkspace = StagedWorkspace(source: root, owner: FileOwner(uid: owner.uid, gid: owner.gid))
        }
        var steps = [UserMountPlanner.inRoot(.directory(Workspace.mountPoint)), bind]
        var protected: [String] = []
        if writable && !workspace.unprotectGit {
            for path in try gitControlPaths(root: root, host: host) {
                steps += ensureExists(path, root: root, host: host)
                steps.append(readOnly(path))
                protected.append(path)
            }
        }
        for path in workspace.protect {
            guard !path.hasPrefix("/"), ContainerPath.isNormalizedAbsolute("/" + path) else {
                throw .invalid("--protect \(path): expected a normalized path relative to the workspace")
            }
            guard host.entry(at: root + "/" + path) != .missing else {
                throw .invalid("--protect \(path): no such path in the workspace (create it first)")
            }
            if writable { steps.append(readOnly(path)) }
            protected.append(path)
        }
        return Result(steps: steps, protected: protected)
    }

    /// `.git/hooks` and `.git/config`, or the same inside the directory a `.git`
    /// file points to (`gitdir: ...`), when that lies inside the workspace;
    /// then the same for every submodule's git directory under `modules/`,
    /// and any `config.worktree` already there.
    static func gitControlPaths(root: String, host: any HostProbe) throws(NucleusError) -> [String] {
        guard let gitDirectory = try gitDirectory(root: root, host: host) else { return [] }
        var paths = [gitDirectory + "/hooks", gitDirectory + "/config"]
        for module in submoduleGitDirectories(under: gitDirectory + "/modules", root: root, host: host, depth: 0) {
            paths += [module + "/hooks", module + "/config"].filter { host.entry(at: root + "/" + $0) != .missing }
        }
        let worktrees = host.directoryNames(at: root + "/" + gitDirectory + "/worktrees").map {
            gitDirectory + "/worktrees/" + $0
        }
        for directory in [gitDirectory] + worktrees
        where host.entry(at: root + "/" + directory + "/config.worktree") == .file {
            paths.append(directory + "/config.worktree")
        }
        return paths
    }

    /// Submodule git directories: those holding a `HEAD`; a module's name may
    /// contain slashes, so other directories are searched too (not too deep).
    static func submoduleGitDirectories(under modules: String, root: String, host: any HostProbe, depth: Int)
        -> [String]
    {
        guard depth < 8 else { return [] }
        var found: [String] = []
        for name in host.directoryNames(at: root + "/" + modules) {
            let directory = modules + "/" + name
            guard host.entry(at: root + "/" + directory) == .directory else { continue }
            if host.entry(at: root + "/" + directory + "/HEAD") == .file {
                found.append(directory)
                found += submoduleGitDirectories(
                    under: directory + "/modules", root: root, host: host, depth: depth + 1)
            } else {
                found += submoduleGitDirectories(under: directory, root: root, host: host, depth: depth + 1)
            }
        }
        return found
    }

    /// `.git`, or where a `.git` file's `gitdir:` points inside the workspace.
    static func gitDirectory(root: String, host: any HostProbe) throws(NucleusError) -> String? {
        let dotGit = root + "/.git"
        switch host.entry(at: dotGit) {
        case .directory:
            return ".git"
        case .file:
            let text = try host.readTextFile(dotGit)
            guard text.hasPrefix("gitdir:") else { return nil }
            let target = String(text.dropFirst("gitdir:".count)).trimmingCharacters(inSet: " \t\n\r")
            let absolute = target.hasPrefix("/") ? target : root + "/" + target
            guard let resolved = host.resolve(absolute), resolved.hasPrefix(root + "/") else { return nil }
            return String(resolved.dropFirst(root.count + 1))
        case .missing, .symlink, .other:
            return nil
        }
    }

    /// A missing hooks directory or config would let the workload create one:
    /// create it (empty) first, so the read-only bind has something to cover.
    static func ensureExists(_ path: String, root: String, host: any HostProbe) -> [SetupStep] {
        guard host.entry(at: root + "/" + path) == .missing else { return [] }
        let target = Workspace.mountPoint + "/" + path
        let directory = path.hasSuffix("/hooks")
        var step: SetupStep = directory ? .directory(target) : .file(target, contents: "", mode: 0o644)
        if let owner = host.owner(of: root) {
            step.hostPlaceholder = HostPlaceholder(
                path: root + "/" + path, directory: directory, owner: FileOwner(uid: owner.uid, gid: owner.gid))
        }
        return [UserMountPlanner.inRoot(step)]
    }

    static func readOnly(_ path: String) -> SetupStep {
        let target = Workspace.mountPoint + "/" + path
        var step = SetupStep.restrict(target, options: [.readOnly, .noSuid, .noDev, .noExec])
        step.recursive = false
        return UserMountPlanner.inRoot(step)
    }
}

extension String {
    fileprivate func trimmingCharacters(inSet characters: String) -> String {
        var result = Substring(self)
        while let first = result.first, characters.contains(first) { result = result.dropFirst() }
        while let last = result.last, characters.contains(last) { result = result.dropLast() }
        return String(result)
    }
}
