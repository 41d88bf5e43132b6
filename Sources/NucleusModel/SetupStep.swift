/// One step the container's init performs before the workload starts, in
/// plan order. Targets are paths as the container will see them; the
/// applier places the steps before `pivotRoot` under the new root.
public struct SetupStep: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Equatable, Codable {
        case mount
        case bind
        case setAttributes = "set-attributes"
        case makeDirectory = "mkdir"
        case writeFile = "write-file"
        case symlink
        case pivotRoot = "pivot-root"
        case setHostname = "sethostname"
        case loopbackUp = "loopback-up"
        case timeOffsets = "time-offsets"
        case joinCgroup = "join-cgroup"
        case auditMounts = "audit-mounts"
        /// Wait until the host side has plugged in the network and installed the egress rules.
        case awaitNetwork = "await-network"
    }

    public var kind: Kind
    /// Container path; empty for steps that touch no path.
    public var target: String
    /// Bind: the host path (or a container path when `sourceInContainer`).
    /// Symlink: the link's text. Mount: the device or filesystem name.
    public var source: String?
    public var sourceInContainer: Bool
    public var fstype: String?
    public var options: MountOptions
    /// Mount data, file contents, the hostname, or time offsets.
    public var data: String?
    public var mode: UInt32?
    /// A missing source or target skips the step instead of failing it.
    public var optional: Bool
    public var recursive: Bool
    public var chrootFallback: Bool
    /// The target is looked up inside the new root with every symlink confined
    /// to it (`openat2` with `RESOLVE_IN_ROOT`): for paths that cross host content.
    public var resolveInRoot: Bool
    /// For a read-write volume bound as host root: the idmap that gives the
    /// workload the host directory's owner (built by the host side before clone).
    public var idmap: MountIDMap?
    /// A write-file step whose contents are the host file at this path, read
    /// by the host side just before clone and never part of the plan.
    public var secretSource: String?
    /// The owner of a written secret file.
    public var owner: FileOwner?
    /// For the bind at `/context`: the tree the host side builds before clone.
    public var context: ContextTree?
    /// For a copy-in-out workspace: bind a staging copy of `source` instead.
    public var stagedWorkspace: StagedWorkspace?
    /// Created on the host before clone, so this step finds it in place: the
    /// child cannot create it through an idmapped mount unless the workload is root.
    public var hostPlaceholder: HostPlaceholder?
    /// `--readiness-sd-notify`: bind the host side's notify socket directory,
    /// made just before clone, instead of `source`.
    public var notifyDirectory = false

    public init(
        kind: Kind, target: String, source: String? = nil, sourceInContainer: Bool = false,
        fstype: String? = nil, options: MountOptions = [], data: String? = nil, mode: UInt32? = nil,
        optional: Bool = false, recursive: Bool = false, chrootFallback: Bool = false, resolveInRoot: Bool = false
    ) {
        self.kind = kind
        self.target = target
        self.source = source
        self.sourceInContainer = sourceInContainer
        self.fstype = fstype
        self.options = options
        self.data = data
        self.mode = mode
        self.optional = optional
        self.recursive = recursive
        self.chrootFallback = chrootFallback
        self.resolveInRoot = resolveInRoot
        idmap = nil
        secretSource = nil
        owner = nil
        context = nil
        stagedWorkspace = nil
        hostPlaceholder = nil
    }

    public static func mount(
        _ fstype: String, at target: String, options: MountOptions, data: String? = nil, optional: Bool = false
    ) -> SetupStep {
        SetupStep(
            kind: .mount, target: target, source: fstype, fstype: fstype, options: options, data: data,
            optional: optional)
    }

    /// A recursive bind of a host path, attributes set before it becomes visible.
    public static func bind(host source: String, at target: String, options: MountOptions, optional: Bool = false)
        -> SetupStep
    {
        SetupStep(kind: .bind, target: target, source: source, options: options, optional: optional, recursive: true)
    }

    /// Re-mounts a path inside the new root on itself with extra restrictions.
    public static func restrict(_ target: String, options: MountOptions, optional: Bool = false) -> SetupStep {
        SetupStep(
            kind: .bind, target: target, source: target, sourceInContainer: true, options: options,
            optional: optional, recursive: true)
    }

    public static func setAttributes(_ target: String, options: MountOptions) -> SetupStep {
        SetupStep(kind: .setAttributes, target: target, options: options)
    }

    public static func directory(_ target: String, mode: UInt32 = 0o755) -> SetupStep {
        SetupStep(kind: .makeDirectory, target: target, mode: mode)
    }

    public static func file(_ target: String, contents: String, mode: UInt32 = 0o644) -> SetupStep {
        SetupStep(kind: .writeFile, target: target, data: contents, mode: mode)
    }

    public static func symlink(_ target: String, to text: String) -> SetupStep {
        SetupStep(kind: .symlink, target: target, source: text)
    }
}

extension SetupStep {
    /// What the step does, in the words an operator reads in `--dry-run` and errors.
    public var summary: String {
        if kind == .bind, let context {
            let how = context.mode == .copy ? "a copy of" : "a view of"
            let verified = context.verifyIntegrity ? ", SHA-256 verified" : ""
            return "bind \(target) from \(how) \(context.source) without excluded names"
                + " (\(options.names.joined(separator: ","))\(verified))"
        }
        if kind == .bind, let stagedWorkspace {
            return "bind \(target) from a staging copy of \(stagedWorkspace.source), synced back after exit"
                + " (\(options.names.joined(separator: ",")))"
        }
        switch kind {
        case .mount:
            let opts = (options.names + (data.map { [$0] } ?? [])).joined(separator: ",")
            return "mount \(fstype ?? "?") on \(target)" + (opts.isEmpty ? "" : " (\(opts))")
        case .bind:
            let from = sourceInContainer && source == target ? "itself" : (source ?? "?")
            let opts = (options.names + (idmap.map { ["idmapped \($0.diskUID):\($0.diskGID)=workload"] } ?? []))
                .joined(separator: ",")
            return "bind \(target) from \(from)" + (opts.isEmpty ? "" : " (\(opts))")
        case .setAttributes:
            return "remount \(target) (\(options.names.joined(separator: ",")))"
        case .makeDirectory where hostPlaceholder != nil:
            return "mkdir \(target) (created empty on the host first)"
        case .makeDirectory:
            return "mkdir \(target)"
        case .writeFile:
            if let secretSource, let owner {
                return "write \(target) from secret \(secretSource) (0400, owner \(owner.uid):\(owner.gid))"
            }
            return "write \(target)"
        case .symlink:
            return "symlink \(target) -> \(source ?? "?")"
        case .pivotRoot:
            return chrootFallback
                ? "pivot_root into the new root (chroot if that fails)" : "pivot_root into the new root"
        case .setHostname:
            return "set hostname \(data ?? "")"
        case .loopbackUp:
            return "bring up lo"
        case .auditMounts:
            return "wait while the host side audits every mount's flags against this plan"
        case .awaitNetwork:
            return "wait until the host side has plugged in the network and installed its rules"
        case .joinCgroup:
            return "move init into its cgroups, then a new cgroup namespace"
        case .timeOffsets:
            return "time namespace offsets \(data?.split(separator: "\n").joined(separator: "; ") ?? "")"
        }
    }
}

/// Files on disk owned by `diskUID`/`diskGID` appear to belong to the workload,
/// whose ids the host kernel sees as `hostUID`/`hostGID`; what the workload
/// creates is stored as `diskUID`/`diskGID`.
public struct MountIDMap: Sendable, Equatable, Codable {
    public var diskUID: UInt32
    public var diskGID: UInt32
    public var hostUID: UInt32
    public var hostGID: UInt32

    public init(diskUID: UInt32, diskGID: UInt32, hostUID: UInt32, hostGID: UInt32) {
        self.diskUID = diskUID
        self.diskGID = diskGID
        self.hostUID = hostUID
        self.hostGID = hostGID
    }
}

public struct FileOwner: Sendable, Equatable, Codable {
    public var uid: UInt32
    public var gid: UInt32

    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }
}

/// An empty directory or file a step needs in a host tree (a workspace's
/// missing `.git/hooks`), owned like the tree.
public struct HostPlaceholder: Sendable, Equatable, Codable {
    public var path: String
    public var directory: Bool
    public var owner: FileOwner

    public init(path: String, directory: Bool, owner: FileOwner) {
        self.path = path
        self.directory = directory
        self.owner = owner
    }
}
