import Crypto
import NucleusModel

/// Policy files are read once, on the host, before anything is created; the
/// bytes that were hashed are the bytes parsed, and the plan carries the
/// parsed policy, so nothing reads the file again.
public enum PolicyFiles {
    public struct Loaded: Sendable {
        public var bytes: [UInt8]
        public var sha256: String
    }

    public static func sha256(_ bytes: [UInt8]) -> String {
        var text = ""
        for byte in SHA256.hash(data: bytes) { text += (byte < 16 ? "0" : "") + String(byte, radix: 16) }
        return text
    }

    /// - Parameter flag: the flag that named the file, for the error line.
    public static func load(_ file: PolicyFile, flag: String, host: any HostProbe) throws(NucleusError) -> Loaded {
        let bytes: [UInt8]
        do {
            bytes = try host.readFile(file.path)
        } catch {
            throw NucleusError("\(flag) \(file.path): cannot read it", syscall: error.syscall, errno: error.errno)
        }
        let digest = sha256(bytes)
        if let pinned = file.sha256 {
            let expected = pinned.lowercased()
            guard expected.count == 64, expected.allSatisfy({ $0.isHexDigit }) else {
                throw .invalid("\(flag)-sha256 \(pinned): not a SHA-256 (64 hex digits)")
            }
            guard expected == digest else {
                throw .invalid("\(flag) \(file.path): SHA-256 is \(digest), but \(flag)-sha256 pins \(expected)")
            }
        }
        return Loaded(bytes: bytes, sha256: digest)
    }
}
