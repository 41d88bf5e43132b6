import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The egress table logs denials to an NFLOG group (the kernel would drop
/// plain LOG lines from a container's namespace); this reads that group from
/// inside the namespace and hands each denial on as one line
/// ("tcp 203.0.113.11:80"). The rule's own rate limit applies.
public final class DeniedLog {
    public let fd: Int32
    let report: (String) -> Void

    /// Call inside the container's namespace: the socket stays bound to it.
    init(group: UInt16, report: @escaping (String) -> Void) throws(NucleusError) {
        let rc = nucleus_nflog_open(group)
        guard rc >= 0 else {
            throw NucleusError("listen for denied egress", syscall: "NFULNL_CFG_CMD_BIND", errno: -rc)
        }
        fd = rc
        self.report = report
    }

    deinit { close(fd) }

    /// What the user reads for one denial.
    public static func notice(_ denial: String) -> String {
        "egress denied: \(denial) (not allowed by the egress policy)"
    }

    public func drain() {
        var buffer = [CChar](repeating: 0, count: 4096)
        while nucleus_nflog_read(fd, &buffer, Int32(buffer.count)) > 0 {
            let length = buffer.firstIndex(of: 0) ?? buffer.count
            let text = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            for line in text.split(separator: "\n") { report(String(line)) }
        }
    }
}
