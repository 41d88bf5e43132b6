import NucleusLifecycle
import NucleusModel
import Testing

/// `NUCLEUS_FAULT_STEP` may make a start fail, never weaken one.
@Suite struct FaultInjectionTests {
    @Test func onlyStepsWhoseAbsenceIsCaughtOrHarmlessCanBeSkipped() throws {
        var plan = try FakeHost().plan { _ in }
        let loopback = try #require(plan.setup.firstIndex { $0.kind == .loopbackUp })
        #expect(try FaultInjection.parse("skip:loopback-up:", plan: plan) == .skipStep(loopback))
        // Agent mode audits nothing: no mount may be skipped.
        #expect(throws: NucleusError.self) { try FaultInjection.parse("skip:mount:/proc", plan: plan) }
        #expect(throws: NucleusError.self) { try FaultInjection.parse("skip:set-attributes:/", plan: plan) }

        plan.setup.append(SetupStep(kind: .auditMounts, target: ""))
        let proc = try #require(plan.setup.firstIndex { $0.kind == .mount && $0.target == "/proc" })
        #expect(try FaultInjection.parse("skip:mount:/proc", plan: plan) == .skipStep(proc))
        // The root (later steps would write into the host directory below it),
        // masks the audit does not check, and steps that are not mounts stay.
        for step in ["mount:/", "bind:/proc/kcore", "write-file:/etc/passwd", "join-cgroup:", "pivot-root:/"] {
            #expect(throws: NucleusError.self, "\(step)") { try FaultInjection.parse("skip:" + step, plan: plan) }
        }
        // Failing a step is always allowed: it only makes nucleus stop.
        #expect(
            try FaultInjection.parse("mount:/", plan: plan) == .setupStep(plan.setup.firstIndex { $0.target == "/" }!))
    }
}
