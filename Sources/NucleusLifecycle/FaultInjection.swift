import NucleusModel

/// A test hook: `NUCLEUS_FAULT_STEP` makes one step fail with EIO so tests can
/// prove a failure at that point leaves nothing behind. It can only make
/// nucleus fail, never weaken what it sets up: the one hook that skips a
/// step takes only steps whose absence the plan itself catches (a mount the
/// production audit checks) or that isolate nothing (bringing up `lo`).
public enum FaultInjection: Equatable, Sendable {
    /// Fail writing the user namespace maps (in the host-side process).
    case idMaps
    /// Fail setup step N of the plan (in the container's init).
    case setupStep(Int)
    /// Append to a `--context` source file after it was hashed, so
    /// `--verify-context-integrity` must refuse the start.
    case contextTamper
    /// Fail the copy-in-out sync after its first rename, so it must roll back.
    case workspaceSync
    /// Fail on the host side once the container's init has joined its cgroup.
    case afterCgroup
    /// Fail on the host side once the network is attached (veth, egress rules, forwarder).
    case afterNetwork
    /// Skip setup step N (`skip:KIND:TARGET`), so the mount audit has something to catch.
    case skipStep(Int)

    public static let environmentVariable = "NUCLEUS_FAULT_STEP"

    /// `id-maps`, `context-tamper`, `workspace-sync`, `after-cgroup`, `after-network`, `skip:STEP`, a step number as `--dry-run` prints it, or `KIND:TARGET`
    /// (`mount:/proc`, `bind:/usr`, `pivot-root:/`).
    public static func parse(_ value: String, plan: Plan) throws(NucleusError) -> FaultInjection {
        if value == "id-maps" { return .idMaps }
        if value == "context-tamper" { return .contextTamper }
        if value == "workspace-sync" { return .workspaceSync }
        if value == "after-cgroup" { return .afterCgroup }
        if value == "after-network" { return .afterNetwork }
        if value.hasPrefix("skip:"), case .setupStep(let index) = try parse(String(value.dropFirst(5)), plan: plan) {
            guard skippable(plan.setup[index], in: plan) else {
                throw .invalid(
                    "\(environmentVariable)=\(value): only bringing up lo, or a mount the production mount audit checks, can be skipped"
                )
            }
            return .skipStep(index)
        }
        if let number = Int(value), (1...plan.setup.count).contains(number) { return .setupStep(number - 1) }
        if let colon = value.firstIndex(of: ":") {
            let kind = String(value[..<colon])
            let target = String(value[value.index(after: colon)...])
            if let index = plan.setup.firstIndex(where: { $0.kind.rawValue == kind && $0.target == target }) {
                return .setupStep(index)
            }
        }
        throw .invalid("\(environmentVariable)=\(value) names no step of this plan")
    }

    /// Skipping `step` leaves isolation as it was: either the mount audit,
    /// which runs before the workload, refuses the start, or the step
    /// isolates nothing. Never the root: the steps after it would write
    /// into the host directory beneath.
    static func skippable(_ step: SetupStep, in plan: Plan) -> Bool {
        let audited = !step.optional && plan.setup.contains { $0.kind == .auditMounts }
        switch step.kind {
        case .loopbackUp: return true
        case .setAttributes: return audited
        case .mount, .bind: return audited && step.target != "/"
        default: return false
        }
    }
}
