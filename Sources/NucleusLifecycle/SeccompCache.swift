import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Compiled seccomp programs, keyed by a fingerprint of the policy they were
/// compiled from, in `/run/nucleus/seccomp` (root's tmpfs, gone at boot):
/// libseccomp spends ~0.8 ms compiling the default allowlist, reading it
/// back costs microseconds. Only for host root, and only from directories
/// and files root owns that nobody else can write; anything else is a miss.
enum SeccompCache {
    static let directory = "/run/nucleus/seccomp"
    /// Bumped whenever the key's text or libseccomp's output could change.
    static let format = "nucleus-seccomp-2 libseccomp-2.5.4"

    static func program(for policy: SeccompPolicy, compile: (SeccompPolicy) throws(NucleusError) -> [UInt8])
        throws(NucleusError) -> [UInt8]
    {
        guard geteuid() == 0 else { return try compile(policy) }
        let path = "\(directory)/\(key(policy)).bpf"
        if let cached = read(path) { return cached }
        let program = try compile(policy)
        store(program, at: path)
        return program
    }

    /// The fingerprint of the policy's text: the format line, the mode and
    /// default action, then one line per rule. The pieces are hashed as they
    /// come; building the text as one string first cost a third of the
    /// instructions nucleus runs before clone (string growth, a slow byte loop).
    static func key(_ policy: SeccompPolicy) -> String {
        // Spelled out by hand: interpolating an enum goes through reflection,
        // whose first protocol-conformance scan costs more than the compile.
        var hash = Fingerprint()
        for piece in [format, "\n", policy.mode.rawValue, " ", code(policy.defaultAction), "\n"] { hash.add(piece) }
        for rule in policy.rules {
            hash.add(code(rule.action))
            for name in rule.names {  // not joined(): its generic lookup costs ~70 µs
                hash.add(" ")
                hash.add(name)
            }
            for condition in rule.conditions {
                hash.add(" ")
                hash.add(UInt64(condition.index))
                hash.add(" ")
                hash.add(condition.op.rawValue)
                hash.add(" ")
                hash.add(condition.value)
                hash.add(" ")
                hash.add(condition.valueTwo)
            }
            hash.add("\n")
        }
        return hash.hex
    }

    /// 128 bits of FNV-1a, two lanes. Not a cryptographic hash and need not
    /// be: only root can write the cache, and it only has to tell nucleus's
    /// own policies apart; SHA-256 would pay BoringSSL's CPU setup on every start.
    struct Fingerprint {
        private var lanes: (UInt64, UInt64) = (0xcbf2_9ce4_8422_2325, 0x6c62_272e_07bb_0142)

        mutating func add(_ text: String) {
            var text = text
            text.withUTF8 { bytes in
                for byte in bytes { add(byte: byte) }
            }
        }

        /// The number's decimal digits, the bytes `String(number)` would hold.
        mutating func add(_ number: UInt64) {
            var divisor: UInt64 = 1
            while number / divisor >= 10 { divisor *= 10 }
            while divisor > 0 {
                add(byte: UInt8(ascii: "0") + UInt8(number / divisor % 10))
                divisor /= 10
            }
        }

        private mutating func add(byte: UInt8) {
            lanes.0 = (lanes.0 ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            lanes.1 = (lanes.1 ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 &+ 0x9E37_79B9
        }

        var hex: String { Self.hex(lanes.0) + Self.hex(lanes.1) }

        private static func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
    }

    static func code(_ action: SeccompPolicy.Action) -> String {
        switch action {
        case .allow: return "allow"
        case .errno(let value): return "errno" + String(value)
        case .killProcess: return "kill-process"
        case .killThread: return "kill-thread"
        case .trap: return "trap"
        case .log: return "log"
        }
    }

    /// Root-owned and writable by root alone, never through a symlink.
    static func trusted(_ path: String, directory: Bool) -> Bool {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_uid == 0, status.st_mode & 0o022 == 0 else { return false }
        return status.st_mode & S_IFMT == (directory ? S_IFDIR : S_IFREG)
    }

    static func read(_ path: String) -> [UInt8]? {
        guard trusted("/run/nucleus", directory: true), trusted(directory, directory: true),
            trusted(path, directory: false)
        else { return nil }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_size > 0, status.st_size % 8 == 0, status.st_size < 1 << 20 else {
            return nil
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        return count == bytes.count ? bytes : nil
    }

    /// Best effort: a cache that cannot be written is only slower.
    static func store(_ program: [UInt8], at path: String) {
        for directory in ["/run/nucleus", directory] { mkdir(directory, 0o700) }
        guard trusted("/run/nucleus", directory: true), trusted(directory, directory: true) else { return }
        let temporary = "\(path).\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let written = program.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if written != program.count || rename(temporary, path) != 0 { unlink(temporary) }
    }
}
