import NucleusModel

/// Which namespaces a request gets. Every one is new; the network namespace
/// is kept only for `--network host` with its explicit opt-in.
public enum NamespacePlanner {
    public static func namespaces(for request: Request) throws(NucleusError) -> [Namespace] {
        if request.network == .host, !request.allowHostNetwork {
            throw .invalid(
                "--network host shares the host's network namespace; add --allow-host-network to accept that")
        }
        if !request.timeNamespace, request.timeOffsetMonotonic != 0 || request.timeOffsetBoottime != 0 {
            throw .invalid("--time-offset-monotonic and --time-offset-boottime need --time-namespace")
        }
        var result: [Namespace] = [.user, .pid, .mount]
        if request.network != .host { result.append(.network) }
        result += [.uts, .ipc, .cgroup]
        if request.timeNamespace { result.append(.time) }
        return result
    }

    /// The contents of `/proc/self/timens_offsets`.
    public static func timeOffsets(for request: Request) -> String {
        "monotonic \(request.timeOffsetMonotonic) 0\nboottime \(request.timeOffsetBoottime) 0\n"
    }
}
