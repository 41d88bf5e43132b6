import Crypto
import NucleusModel
import NucleusPlan

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `.nucleus-rootfs-sha256`: what a pinned root filesystem must hold, one
/// line per regular file or symlink, sorted by path (bytewise):
///
///     <sha256 hex> <mode> <path>
///
/// `mode` is the permission bits in four octal digits (`0755`), or `link`
/// for a symlink, whose digest is that of its target text. Paths are
/// relative to the root, without `./`. Directories are not listed; sockets,
/// fifos, devices and other file systems inside the root are refused.
public enum RootfsAttestation {
    public static let manifestName = ".nucleus-rootfs-sha256"

    /// The manifest text for `root` (`nucleus attest generate`).
    public static func manifest(for root: String) throws(NucleusError) -> String {
        try lines(of: root).map { "\($0.digest) \($0.mode) \($0.path)\n" }.joined()
    }

    /// Refuses on the first difference between `root` and its manifest, naming the path.
    public static func verify(_ root: String) throws(NucleusError) {
        let manifestPath = root + "/" + manifestName
        let text: String
        do {
            text = try LiveHost().readTextFile(manifestPath)
        } catch {
            throw NucleusError(
                "--verify-rootfs-attestation: \(root) has no readable \(manifestName)", syscall: error.syscall,
                errno: error.errno)
        }
        var expected = try entries(ofManifest: text, path: manifestPath)
        let actual = try lines(of: root)
        for line in actual {
            guard let wanted = expected.removeValue(forKey: line.path) else {
                throw failure(root, line.path, "is not in the manifest")
            }
            guard wanted.mode == line.mode else {
                throw failure(root, line.path, "has mode \(line.mode), the manifest says \(wanted.mode)")
            }
            guard wanted.digest == line.digest else { throw failure(root, line.path, "does not match its SHA-256") }
        }
        if let missing = expected.keys.sorted().first { throw failure(root, missing, "is missing") }
    }

    /// A manifest's lines by path; refuses the first malformed line.
    public static func entries(ofManifest text: String, path: String) throws(NucleusError) -> [String: Line] {
        var expected: [String: Line] = [:]
        for (number, row) in text.split(separator: "\n").enumerated() {
            let fields = row.split(separator: " ", maxSplits: 2).map(String.init)
            guard fields.count == 3, fields[0].count == 64 else {
                throw .invalid(
                    "--verify-rootfs-attestation: \(path) line \(number + 1) is not \"<sha256> <mode> <path>\"")
            }
            expected[fields[2]] = Line(digest: fields[0], mode: fields[1], path: fields[2])
        }
        return expected
    }

    public struct Line: Sendable {
        public var digest: String
        public var mode: String
        public var path: String
    }

    static func failure(_ root: String, _ path: String, _ problem: String) -> NucleusError {
        .invalid("rootfs attestation failed: \(root)/\(path) \(problem); refusing to start")
    }

    /// Every file and symlink of `root`, hashed in parallel, sorted by path.
    static func lines(of root: String) throws(NucleusError) -> [Line] {
        let rootFD = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard rootFD >= 0 else { throw NucleusError("attest the rootfs", syscall: "open", path: root, errno: errno) }
        defer { close(rootFD) }
        let listing = try TreeWalk.walk(rootFD: rootFD, rules: .exact, origin: root)
        let files = listing.files.filter { $0.path != manifestName }
        let digests = try ContextIntegrity.hash(files: files, rootFD: rootFD, origin: root).digests
        var lines: [Line] = []
        for entry in listing.kept where entry.path != manifestName {
            switch entry.kind {
            case .file:
                lines.append(
                    Line(
                        digest: hex(digests[entry.path] ?? []), mode: octal(entry.permissions | entry.specialBits),
                        path: entry.path))
            case .symlink(let target):
                lines.append(
                    Line(digest: hex(Array(SHA256.hash(data: Array(target.utf8)))), mode: "link", path: entry.path))
            case .directory:
                continue
            }
        }
        return lines.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        var text = ""
        for byte in bytes { text += (byte < 16 ? "0" : "") + String(byte, radix: 16) }
        return text
    }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
