import NucleusModel

/// What strict-agent and production refuse or require, checked twice: on the
/// request before anything is planned, and on the finished plan (a mechanism
/// this host can only give degraded is refused, never silently weakened).
/// Every refusal names the flag or host feature and the mode.
public enum ServiceModeRules {
    /// The production Landlock floor: truncate control (ABI 3).
    static let productionLandlockABI = 3
    /// Everything nucleus uses: TCP rules (4), device ioctls (5), scoping (6).
    static let strictLandlockABI = 6

    /// `--require-kernel-lockdown`: the host's level, or a refusal naming both.
    static func lockdownMechanism(_ request: Request, host: any HostProbe) throws(NucleusError) -> [Mechanism] {
        guard let required = request.requireKernelLockdown else { return [] }
        guard let actual = host.kernelLockdown else {
            throw .invalid(
                "--require-kernel-lockdown \(required.rawValue): this kernel has no lockdown (no /sys/kernel/security/lockdown)"
            )
        }
        guard actual >= required else {
            throw .invalid(
                "--require-kernel-lockdown \(required.rawValue): this kernel's lockdown is \(actual.rawValue)")
        }
        return [
            Mechanism(
                name: "kernel_lockdown", status: .enforced,
                detail: "\(actual.rawValue) (at least \(required.rawValue) required)")
        ]
    }

    static func checkRequest(_ request: Request, host: any HostProbe) throws(NucleusError) {
        let mode = request.serviceMode
        func refuse(_ what: String) -> NucleusError { .invalid("\(what) is refused in \(mode.rawValue) mode") }
        if mode.failsClosed {
            if request.allowDegradedSecurity { throw refuse("--allow-degraded-security") }
            if request.allowChrootFallback { throw refuse("--allow-chroot-fallback") }
            if request.network == .host { throw refuse("--network host") }
            if request.security.seccompMode == .trace { throw refuse("--seccomp-mode trace") }
        }
        guard mode == .production else { return }
        if request.rootfs == nil {
            throw .invalid("production mode requires --rootfs (a pinned root such as a Nix closure)")
        }
        if request.resources.memory == nil { throw .invalid("production mode requires --memory") }
        if let workspace = request.workspace, workspace.exec, workspace.mode != .bindRO {
            throw refuse("--workspace-exec on a writable workspace")
        }
        if request.trustLevel == .untrusted {
            throw .invalid(
                "--trust-level untrusted in production mode needs the gVisor runtime, which this build does not have yet"
            )
        }
    }

    static func checkPlan(_ plan: Plan, request: Request) throws(NucleusError) {
        let mode = request.serviceMode
        guard mode.failsClosed else { return }
        let floor = mode == .production ? productionLandlockABI : strictLandlockABI
        guard let landlock = plan.landlock else {
            throw .invalid("\(mode.rawValue) mode requires Landlock, and this kernel has none")
        }
        guard landlock.abi >= floor else {
            throw .invalid(
                "\(mode.rawValue) mode requires Landlock ABI \(floor) or later; this kernel offers ABI \(landlock.abi)")
        }
        if let degraded = plan.mechanisms.first(where: { $0.status != .enforced }) {
            throw .invalid("\(mode.rawValue) mode refuses degraded security: \(degraded.name): \(degraded.detail)")
        }
    }
}
