import NucleusModel

/// Decides the workload's seccomp filter: the built-in allowlist (with
/// `--seccomp-allow` opt-ins), or a pinned OCI profile, or trace mode.
public enum SeccompPlanner {
    public static func plan(_ security: SecurityRequest, network: NetworkMode, host: any HostProbe)
        throws(NucleusError) -> (policy: SeccompPolicy, mechanism: Mechanism)
    {
        for name in security.seccompAllow where SeccompAllowlist.optIns[name] == nil {
            throw .invalid(
                "--seccomp-allow \(name): not an opt-in syscall; choose from "
                    + SeccompAllowlist.optIns.keys.sorted().joined(separator: ", "))
        }
        if security.seccompMode == .trace && security.seccompLog == nil {
            throw .invalid("--seccomp-mode trace needs --seccomp-log FILE.ndjson for the recorded syscalls")
        }
        if security.seccompMode != .trace && security.seccompLog != nil {
            throw .invalid("--seccomp-log records a trace: it needs --seccomp-mode trace")
        }
        var policy: SeccompPolicy
        if let file = security.seccompProfile {
            let loaded = try PolicyFiles.load(file, flag: "--seccomp-profile", host: host)
            policy = try OCISeccompProfile.parse(
                loaded.bytes, path: file.path, origin: "profile \(file.path) (sha256 \(loaded.sha256))")
            if !security.seccompAllow.isEmpty {
                policy.rules.append(SeccompRule(security.seccompAllow))
                policy.additions = security.seccompAllow
            }
            policy.logDenied = security.seccompLogDenied
        } else {
            policy = SeccompAllowlist.policy(
                network: network, allowJIT: security.allowJIT, additions: security.seccompAllow,
                logDenied: security.seccompLogDenied)
        }
        policy.mode = security.seccompMode
        policy.traceLog = security.seccompLog
        return (policy, mechanism(policy, allowJIT: security.allowJIT && security.seccompProfile == nil))
    }

    static func mechanism(_ policy: SeccompPolicy, allowJIT: Bool) -> Mechanism {
        if policy.mode == .trace {
            return Mechanism(
                name: "seccomp", status: .degraded,
                detail: "trace mode: every syscall allowed and recorded to \(policy.traceLog ?? "?")")
        }
        var detail =
            "\(policy.origin): \(policy.allowedCount) syscalls allowed, default \(describe(policy.defaultAction));"
            + " x86_64 only (i386 and x32 entry points get EPERM)"
        if policy.logDenied { detail += "; denials logged to the kernel log" }
        var weakenings: [String] = []
        if !policy.additions.isEmpty {
            weakenings.append("--seccomp-allow " + policy.additions.joined(separator: ", "))
        }
        if allowJIT { weakenings.append("--allow-jit (memory may be writable and executable)") }
        guard weakenings.isEmpty else {
            return Mechanism(
                name: "seccomp", status: .degraded,
                detail: detail + "; weakened by " + weakenings.joined(separator: "; "))
        }
        return Mechanism(name: "seccomp", status: .enforced, detail: detail)
    }

    public static func describe(_ action: SeccompPolicy.Action) -> String {
        switch action {
        case .allow: return "allow"
        case .errno(let code): return code == 1 ? "EPERM" : code == 38 ? "ENOSYS" : "errno \(code)"
        case .killProcess: return "kill the process"
        case .killThread: return "kill the thread"
        case .trap: return "SIGSYS"
        case .log: return "allow and log"
        }
    }
}
