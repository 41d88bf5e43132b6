import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `--readiness-sd-notify`: a datagram socket in `/run/nucleus-notify-XXXXXX`
/// (0755, the socket 0777), bound into the container at
/// `/run/nucleus-notify`; the workload finds it through `$NOTIFY_SOCKET`.
/// Removed when the container ends.
final class NotifyEndpoint {
    let directory: String
    private(set) var fd: Int32

    init() throws(NucleusError) {
        var template = Array("/run/nucleus-notify-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw NucleusError("create the notify socket", syscall: "mkdtemp", path: "/run", errno: errno)
        }
        directory = String(cString: made)
        chmod(directory, 0o755)
        let socket = nucleus_notify_socket(directory + "/notify.sock")
        guard socket >= 0 else {
            rmdir(directory)
            throw NucleusError(
                "create the notify socket", syscall: "bind", path: directory + "/notify.sock", errno: -socket)
        }
        fd = socket
    }

    /// Whether a pending datagram says READY=1.
    func readReady() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        return String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n").contains("READY=1")
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        unlink(directory + "/notify.sock")
        rmdir(directory)
    }
}
