/// `--volume SRC:DEST[:ro|rw]`: a host file or directory bound into the container.
public struct VolumeMount: Sendable, Equatable, Codable {
    public var source: String
    public var destination: String
    public var readOnly: Bool
    /// The flag errors name: `--volume`, or the provider-config flag it came from.
    public var flagName = "--volume"
    /// Idmapped to its owner even when read-only: a provider's credentials are
    /// often mode 0600 and are meant for the workload to read.
    public var ownedByWorkload = false

    public init(source: String, destination: String, readOnly: Bool) {
        self.source = source
        self.destination = destination
        self.readOnly = readOnly
    }

    public init(parsing text: String) throws(NucleusError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalid("--volume \(text): expected SRC:DEST[:ro|rw]")
        }
        source = parts[0]
        destination = parts[1]
        readOnly = try parts.count == 3 ? Self.accessMode(parts[2], flag: "--volume", text: text) : false
    }

    static func accessMode(_ word: String, flag: String, text: String) throws(NucleusError) -> Bool {
        switch word {
        case "ro": return true
        case "rw": return false
        default: throw .invalid("\(flag) \(text): \"\(word)\" is neither ro nor rw")
        }
    }
}

/// `--tmpfs DEST[:SIZE][:ro|rw]`: a size-limited scratch tmpfs owned by the workload.
public struct TmpfsMount: Sendable, Equatable, Codable {
    public static let defaultSize = ByteSize(bytes: 64 << 20)

    public var destination: String
    public var size: ByteSize
    public var readOnly: Bool

    public init(destination: String, size: ByteSize = Self.defaultSize, readOnly: Bool = false) {
        self.destination = destination
        self.size = size
        self.readOnly = readOnly
    }

    public init(parsing text: String) throws(NucleusError) {
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), !parts[0].isEmpty else {
            throw .invalid("--tmpfs \(text): expected DEST[:SIZE][:ro|rw]")
        }
        destination = parts.removeFirst()
        readOnly = false
        size = Self.defaultSize
        if let last = parts.last, last == "ro" || last == "rw" {
            readOnly = last == "ro"
            parts.removeLast()
        }
        if let sizeText = parts.first {
            guard parts.count == 1, let parsed = ByteSize(parsing: sizeText), parsed.bytes > 0 else {
                throw .invalid("--tmpfs \(text): \"\(parts.joined(separator: ":"))\" is not a size like 64M")
            }
            size = parsed
        }
    }
}

/// `--secret SRC:DEST`: a host file copied into the container's secrets tmpfs.
public struct SecretMount: Sendable, Equatable, Codable {
    public var source: String
    public var destination: String

    public init(source: String, destination: String) {
        self.source = source
        self.destination = destination
    }

    public init(parsing text: String) throws(NucleusError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalid("--secret \(text): expected SRC:DEST")
        }
        source = parts[0]
        destination = parts[1]
    }
}

/// How `--workspace` reaches `/workspace`.
public enum WorkspaceMode: String, Sendable, Equatable, Codable, CaseIterable {
    case bindRW = "bind-rw"
    case bindRO = "bind-ro"
    case copyInOut = "copy-in-out"
}

/// `--workspace DIR` and the flags that shape it.
public struct Workspace: Sendable, Equatable, Codable {
    public static let mountPoint = "/workspace"

    public var source: String
    public var mode: WorkspaceMode
    public var exec: Bool
    /// `--protect REL_PATH`: more paths made read-only.
    public var protect: [String]
    /// `--unprotect-git`: leave `.git/hooks` and `.git/config` writable.
    public var unprotectGit: Bool

    public init(
        source: String, mode: WorkspaceMode = .bindRW, exec: Bool = false, protect: [String] = [],
        unprotectGit: Bool = false
    ) {
        self.source = source
        self.mode = mode
        self.exec = exec
        self.protect = protect
        self.unprotectGit = unprotectGit
    }
}

/// `--provider-config-ro SRC:DEST` / `--provider-config-rw SRC:DEST`: one
/// file or directory of an AI provider's configuration, bound into the home.
public struct ProviderConfig: Sendable, Equatable, Codable {
    public var source: String
    /// Absolute under the home, or relative to it.
    public var destination: String
    public var readOnly: Bool

    public init(source: String, destination: String, readOnly: Bool) {
        self.source = source
        self.destination = destination
        self.readOnly = readOnly
    }

    public var flagName: String { readOnly ? "--provider-config-ro" : "--provider-config-rw" }

    public init(parsing text: String, readOnly: Bool) throws(NucleusError) {
        let flag = readOnly ? "--provider-config-ro" : "--provider-config-rw"
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalid("\(flag) \(text): expected SRC:DEST")
        }
        self.init(source: parts[0], destination: parts[1], readOnly: readOnly)
    }

    /// The volume it becomes once DEST is placed under `home`.
    public func volume(home: String) throws(NucleusError) -> VolumeMount {
        let absolute = destination.hasPrefix("/") ? destination : home + "/" + destination
        guard absolute.hasPrefix(home + "/") else {
            throw .invalid("\(flagName) \(source):\(destination): the destination must lie inside the home \(home)")
        }
        var volume = VolumeMount(source: source, destination: absolute, readOnly: readOnly)
        volume.flagName = flagName
        volume.ownedByWorkload = true
        return volume
    }
}

/// `--systemd-credential NAME:DEST`: a credential systemd passed in
/// `$CREDENTIALS_DIRECTORY`, mounted like a `--secret`.
public struct SystemdCredential: Sendable, Equatable, Codable {
    public var name: String
    public var destination: String

    public init(parsing text: String) throws(NucleusError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !parts[0].contains("/"), parts[0] != ".",
            parts[0] != ".."
        else {
            throw .invalid("--systemd-credential \(text): expected NAME:DEST, NAME a file name")
        }
        name = parts[0]
        destination = parts[1]
    }

    /// The secret it becomes, read from the credentials directory systemd named.
    public func secret(credentialsDirectory: String?) throws(NucleusError) -> SecretMount {
        guard let directory = credentialsDirectory, directory.hasPrefix("/") else {
            throw .invalid(
                "--systemd-credential \(name): $CREDENTIALS_DIRECTORY is not set (run under systemd with LoadCredential=)"
            )
        }
        return SecretMount(source: directory + "/" + name, destination: destination)
    }
}
