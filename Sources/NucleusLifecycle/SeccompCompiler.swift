import CSeccomp
import NucleusModel
import NucleusSecurity

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Turns the plan's seccomp policy into a BPF program with libseccomp, on the
/// host side before clone; the workload only hands it to seccomp(2).
enum SeccompCompiler {
    /// `sock_filter` instructions, 8 bytes each.
    static func compile(_ policy: SeccompPolicy) throws(NucleusError) -> [UInt8] {
        let fallback = policy.mode == .trace ? nucleus_scmp_act_notify() : action(policy.defaultAction)
        guard let context = seccomp_init(fallback) else {
            throw NucleusError("compile the seccomp filter", syscall: "seccomp_init", errno: EINVAL)
        }
        defer { seccomp_release(context) }
        // no_new_privs is set by the workload itself; other architectures get EPERM, never a kill.
        try check(seccomp_attr_set(context, SCMP_FLTATR_CTL_NNP, 0), "seccomp_attr_set")
        try check(seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, nucleus_scmp_act_errno(1)), "seccomp_attr_set")
        try check(seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, 2), "seccomp_attr_set")
        if policy.mode == .enforce {
            for rule in policy.rules { try add(rule, to: context, fallback: fallback) }
        }
        var bytes: UnsafeMutablePointer<UInt8>?
        var length = 0
        try check(nucleus_seccomp_export(context, &bytes, &length), "seccomp_export_bpf")
        defer { free(bytes) }
        return Array(UnsafeBufferPointer(start: bytes, count: length))
    }

    private static func add(_ rule: SeccompRule, to context: scmp_filter_ctx, fallback: UInt32) throws(NucleusError) {
        let ruleAction = action(rule.action)
        guard ruleAction != fallback else { return }
        let conditions = rule.conditions.map { condition in
            scmp_arg_cmp(
                arg: condition.index, op: operation(condition.op), datum_a: condition.value,
                datum_b: condition.valueTwo)
        }
        for name in rule.names {
            // Names this libseccomp does not know are newer than it: nothing to allow or deny.
            guard let number = SyscallNames.number(name) else { continue }
            let rc = conditions.withUnsafeBufferPointer {
                seccomp_rule_add_array(context, ruleAction, number, UInt32($0.count), $0.baseAddress)
            }
            try check(rc, "seccomp_rule_add (\(name))")
        }
    }

    private static func action(_ action: SeccompPolicy.Action) -> UInt32 {
        switch action {
        case .allow: return nucleus_scmp_act_allow()
        case .errno(let code): return nucleus_scmp_act_errno(UInt16(truncatingIfNeeded: code))
        case .killProcess: return nucleus_scmp_act_kill_process()
        case .killThread: return nucleus_scmp_act_kill_thread()
        case .trap: return nucleus_scmp_act_trap()
        case .log: return nucleus_scmp_act_log()
        }
    }

    private static func operation(_ op: SeccompCondition.Operator) -> scmp_compare {
        switch op {
        case .notEqual: return SCMP_CMP_NE
        case .less: return SCMP_CMP_LT
        case .lessOrEqual: return SCMP_CMP_LE
        case .equal: return SCMP_CMP_EQ
        case .greaterOrEqual: return SCMP_CMP_GE
        case .greater: return SCMP_CMP_GT
        case .maskedEqual: return SCMP_CMP_MASKED_EQ
        }
    }

    private static func check(_ rc: Int32, _ call: String) throws(NucleusError) {
        guard rc < 0 else { return }
        throw NucleusError("compile the seccomp filter", syscall: call, errno: -rc)
    }
}
