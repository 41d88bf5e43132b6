/// The Landlock ruleset the workload restricts itself with, right before
/// exec: rights the ruleset handles (everything this kernel's ABI knows, so
/// anything not granted is denied) and the rules that grant some of them.
public struct LandlockPolicy: Sendable, Equatable, Codable {
    /// The ABI the kernel offers and the ruleset was built for.
    public var abi: Int
    public var handledFilesystem: UInt64
    public var handledNetwork: UInt64
    public var scoped: UInt64
    public var paths: [LandlockPathRule]
    public var ports: [LandlockPortRule]
    /// The defaults, or a policy file and its SHA-256.
    public var origin: String

    public init(
        abi: Int, handledFilesystem: UInt64, handledNetwork: UInt64, scoped: UInt64, paths: [LandlockPathRule],
        ports: [LandlockPortRule], origin: String
    ) {
        self.abi = abi
        self.handledFilesystem = handledFilesystem
        self.handledNetwork = handledNetwork
        self.scoped = scoped
        self.paths = paths
        self.ports = ports
        self.origin = origin
    }
}

/// Rights on everything beneath a container path (a missing path is skipped).
public struct LandlockPathRule: Sendable, Equatable, Codable {
    public var path: String
    public var access: UInt64

    public init(_ path: String, _ access: UInt64) {
        self.path = path
        self.access = access
    }
}

public struct LandlockPortRule: Sendable, Equatable, Codable {
    public var port: UInt16
    public var access: UInt64

    public init(_ port: UInt16, _ access: UInt64) {
        self.port = port
        self.access = access
    }
}

/// `LANDLOCK_ACCESS_*` and `LANDLOCK_SCOPE_*` bits, with the ABI that introduced each.
public enum LandlockAccess {
    public static let execute: UInt64 = 1 << 0
    public static let writeFile: UInt64 = 1 << 1
    public static let readFile: UInt64 = 1 << 2
    public static let readDir: UInt64 = 1 << 3
    public static let removeDir: UInt64 = 1 << 4
    public static let removeFile: UInt64 = 1 << 5
    public static let makeChar: UInt64 = 1 << 6
    public static let makeDir: UInt64 = 1 << 7
    public static let makeReg: UInt64 = 1 << 8
    public static let makeSock: UInt64 = 1 << 9
    public static let makeFifo: UInt64 = 1 << 10
    public static let makeBlock: UInt64 = 1 << 11
    public static let makeSym: UInt64 = 1 << 12
    /// ABI 2.
    public static let refer: UInt64 = 1 << 13
    /// ABI 3.
    public static let truncate: UInt64 = 1 << 14
    /// ABI 5.
    public static let ioctlDev: UInt64 = 1 << 15
    /// ABI 4, network.
    public static let bindTCP: UInt64 = 1 << 0
    public static let connectTCP: UInt64 = 1 << 1
    /// ABI 6, scopes.
    public static let scopeAbstractUnixSocket: UInt64 = 1 << 0
    public static let scopeSignal: UInt64 = 1 << 1

    public static let read = readFile | readDir
    public static let write =
        writeFile | truncate | makeReg | makeDir | makeSym | makeSock | makeFifo | removeFile | removeDir | refer
    public static let device = readFile | writeFile | readDir | ioctlDev

    /// Every filesystem right the given ABI knows.
    public static func filesystem(abi: Int) -> UInt64 {
        guard abi >= 1 else { return 0 }
        var rights: UInt64 = (1 << 13) - 1
        if abi >= 2 { rights |= refer }
        if abi >= 3 { rights |= truncate }
        if abi >= 5 { rights |= ioctlDev }
        return rights
    }

    /// The words a `--landlock-policy` may use, and what each grants.
    public static let words: [String: UInt64] = [
        "read": read, "write": writeFile | truncate, "execute": execute,
        "create": makeReg | makeDir | makeSym | makeSock | makeFifo, "remove": removeFile | removeDir,
        "refer": refer, "ioctl_dev": ioctlDev, "read_file": readFile, "read_dir": readDir, "write_file": writeFile,
        "truncate": truncate, "make_reg": makeReg, "make_dir": makeDir, "make_sym": makeSym, "make_sock": makeSock,
        "make_fifo": makeFifo, "make_char": makeChar, "make_block": makeBlock, "remove_file": removeFile,
        "remove_dir": removeDir,
    ]

    /// Rights as words for the plan: `read`, `execute`, `write`, `ioctl` for
    /// whole groups (as far as `handled` knows them), then single rights.
    public static func describe(_ access: UInt64, handled: UInt64) -> String {
        var left = access & handled
        var names: [String] = []
        for (word, group) in [("read", read), ("execute", execute), ("write", write), ("ioctl", ioctlDev)] {
            let bits = group & handled
            if bits != 0 && left & bits == bits {
                names.append(word)
                left &= ~bits
            }
        }
        for (word, bits) in words.sorted(by: { $0.key < $1.key }) where bits.nonzeroBitCount == 1 && left & bits != 0 {
            names.append(word)
            left &= ~bits
        }
        return names.isEmpty ? "none" : names.joined(separator: "+")
    }
}
