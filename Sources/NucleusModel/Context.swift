/// How `--context` reaches `/context`.
public enum ContextMode: String, Sendable, Equatable, Codable, CaseIterable {
    /// A filtered copy in a tmpfs, read-only once populated.
    case copy
    /// A read-only live view of the directory with the excluded names hidden.
    case bind
}

/// `--context DIR`, `--context-mode`, `--verify-context-integrity`: a tree the
/// workload reads but whose secrets and VCS metadata it never sees.
public struct Context: Sendable, Equatable, Codable {
    public static let mountPoint = "/context"

    public var source: String
    public var mode: ContextMode
    public var verifyIntegrity: Bool

    public init(source: String, mode: ContextMode = .copy, verifyIntegrity: Bool = false) {
        self.source = source
        self.mode = mode
        self.verifyIntegrity = verifyIntegrity
    }
}

/// What the host side builds for `/context` before clone and hands to the
/// child as a finished detached tree.
public struct ContextTree: Sendable, Equatable, Codable {
    /// The resolved host directory.
    public var source: String
    public var mode: ContextMode
    /// Copy mode: the host ids of the workload, which owns every copied entry.
    public var owner: FileOwner
    public var verifyIntegrity: Bool
    /// Bind mode: idmap the source to the workload (false where its file
    /// system cannot be idmapped; only world-readable files are then readable).
    public var idmapSource: Bool

    public init(source: String, mode: ContextMode, owner: FileOwner, verifyIntegrity: Bool, idmapSource: Bool = true) {
        self.source = source
        self.mode = mode
        self.owner = owner
        self.verifyIntegrity = verifyIntegrity
        self.idmapSource = idmapSource
    }
}

/// `--workspace-mode copy-in-out`: the host side copies `source` into a
/// private staging directory before clone, binds that at `/workspace`, and
/// syncs the changes back once the workload exits.
public struct StagedWorkspace: Sendable, Equatable, Codable {
    /// The resolved host directory.
    public var source: String
    /// Its owner, who owns the staged copy and whatever the sync creates.
    public var owner: FileOwner

    public init(source: String, owner: FileOwner) {
        self.source = source
        self.owner = owner
    }
}

/// Where copy-in-out workspaces are staged: a 0700 root-only directory per
/// run, removed after a successful sync and kept (and named) after a failed one.
public enum WorkspaceStagingArea {
    public static let directory = "/var/tmp"
    public static let namePrefix = "nucleus-staging-"
    public static let prefix = directory + "/" + namePrefix
}
