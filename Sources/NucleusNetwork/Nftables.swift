import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One batch of nft commands through libnftables, in the calling thread's
/// network namespace. A batch is one transaction: all of it or none.
public enum Nftables {
    @discardableResult
    public static func run(_ commands: String, what: String) throws(NucleusError) -> String {
        var error: UnsafeMutablePointer<CChar>?
        var output: UnsafeMutablePointer<CChar>?
        let rc = nucleus_nft_run(commands, &error, &output)
        defer {
            nucleus_free(error)
            nucleus_free(output)
        }
        if rc == -ENOENT {
            throw NucleusError(what + ": libnftables.so.1 is not installed (Debian: apt install libnftables1)")
        }
        guard rc == 0 else {
            let message = error.map { String(cString: $0) } ?? ""
            let firstLine = message.split(separator: "\n").first.map(String.init) ?? "rejected"
            throw NucleusError(what, syscall: "nft: " + firstLine, errno: -rc)
        }
        return output.map { String(cString: $0) } ?? ""
    }

    /// Whether inet `table` exists in this namespace (raw netlink: no libnftables load).
    public static func hasInetTable(_ table: String) -> Bool {
        nucleus_nft_inet_table_exists(table) == 1
    }
}
