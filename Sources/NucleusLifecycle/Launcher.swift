import CNucleus
import Logging
import NucleusModel
import NucleusNetwork

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Applies a plan: clone the container's init, write its id maps, release it,
/// then relay signals until it exits. Returns the workload's exit status.
public struct Launcher {
    public var plan: Plan
    public var fault: FaultInjection?
    public var logger: Logger
    /// Lines the user must see whatever the log level (an OOM kill).
    public var notice: (String) -> Void = { message in
        let line = "nucleus: \(message)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    public init(plan: Plan, fault: FaultInjection? = nil, logger: Logger) {
        self.plan = plan
        self.fault = fault
        self.logger = logger
    }

    /// What the events stream's exit record reports, gathered while the container ends.
    struct Ending {
        var oomKills: Int?
        var stats: String?
        var cleanupOK = true
    }

    public func run() throws(NucleusError) -> Int32 {
        let events = try plan.events.map { target throws(NucleusError) in try EventStream(target) }
        let id = plan.name ?? "nucleus-\(getpid())"
        var ending = Ending()
        do throws(NucleusError) {
            let status = try runContainer(events: events, id: id, ending: &ending)
            events?.exit(
                id: id, status: status, oomKills: ending.oomKills, stats: ending.stats, cleanupOK: ending.cleanupOK,
                error: nil)
            return status
        } catch {
            events?.exit(
                id: id, status: error.exitCode, oomKills: ending.oomKills, stats: ending.stats,
                cleanupOK: ending.cleanupOK, error: error.description)
            throw error
        }
    }

    private func runContainer(events: EventStream?, id: String, ending: inout Ending) throws(NucleusError) -> Int32 {
        let callerMask = ForwardedSignals.block()
        defer { ForwardedSignals.restore(callerMask) }
        var forwarded = ForwardedSignals.set
        let signalFD = signalfd(-1, &forwarded, Int32(SFD_CLOEXEC))
        guard signalFD >= 0 else { throw NucleusError("watch signals", syscall: "signalfd", errno: errno) }
        defer { close(signalFD) }

        let faultStep: Int32 = if case .setupStep(let index) = fault { Int32(index) } else { -1 }
        let skipStep: Int32 = if case .skipStep(let index) = fault { Int32(index) } else { -1 }
        if let root = plan.attestedRootfs { try RootfsAttestation.verify(root) }
        let trees = try PreparedTrees(plan: plan, tamperWithContext: fault == .contextTamper)
        defer { trees.close() }
        let started = MonotonicClock.now()
        // v2: created first, init is cloned straight into it. v1: created
        // while init builds its mounts (below), which it then joins itself.
        let cgroupPlan = plan.resources?.cgroup
        let minFD = Int32(3 + plan.process.preserveFDs)
        var cgroup = try cgroupPlan.flatMap { cgroupPlan throws(NucleusError) in
            cgroupPlan.version == .v2 ? try CgroupSession(plan: cgroupPlan, minFD: minFD) : nil
        }
        defer { cgroup?.destroy() }
        let network = try plan.network.map { networkPlan throws(NucleusError) in
            try NetworkSession(plan: networkPlan, logger: logger)
        }
        defer { network?.close() }
        let seccompProgram = try plan.seccomp.map { policy throws(NucleusError) in
            try SeccompCache.program(for: policy, compile: SeccompCompiler.compile)
        }
        let spec = try LaunchSpec(
            plan: trees.plan, faultStep: faultStep, skipStep: skipStep, detachedTrees: trees.trees,
            seccompProgram: seccompProgram ?? [])
        let tracer = try traceSocket(spec)
        if let cgroup { spec.join(cgroup) }
        var pidfd: Int32 = -1
        var syncFD: Int32 = -1
        var errorFD: Int32 = -1
        let pid = spec.withSpec { nucleus_spawn($0, &pidfd, &syncFD, &errorFD) }
        spec.wipeSecrets()
        if spec.spec.trace_fd >= 0 { close(spec.spec.trace_fd) }
        guard pid > 0 else {
            throw NucleusError("create the container's namespaces", syscall: "clone3", errno: -pid)
        }
        let child = ContainerInit(pid: pid, pidfd: pidfd, syncFD: syncFD, errorFD: errorFD)
        defer { child.close() }
        logger.debug("container init started", metadata: ["pid": "\(pid)"])

        do throws(NucleusError) {
            try IDMapWriter(pid: pid, mapping: plan.idMapping, failOnPurpose: fault == .idMaps).write()
            try child.release()
            if let cgroupPlan, cgroupPlan.version == .v1 {
                let session = try CgroupSession(plan: cgroupPlan, minFD: minFD)
                cgroup = session
                try child.send(cgroupTasks: session.tasksFDs)
                // Health checks and exec probes join through the same files later.
                if plan.health == nil && plan.readiness == nil { session.closeTasksFiles() }
            }
            cgroup?.sweepStaleSiblings()
            if let cgroup, fault == .afterCgroup {
                cgroup.awaitMember()
                throw NucleusError("join the cgroup", syscall: "injected fault (NUCLEUS_FAULT_STEP)", errno: EIO)
            }
            if let network {
                let notice = self.notice
                network.onDenied = { notice(DeniedLog.notice($0)) }
                try network.attach(pid: pid, rootless: plan.idMapping.rootless)
                if fault == .afterNetwork {
                    throw NucleusError("attach the network", syscall: "injected fault (NUCLEUS_FAULT_STEP)", errno: EIO)
                }
                try awaitStep(.awaitNetwork, child) { () throws(NucleusError) in }
            } else if !plan.idMapping.rootless {
                // While init sets up its mounts: undo what a killed bridge
                // container left in this namespace (its port mappings would
                // otherwise keep capturing their host ports).
                BridgeAttachment.reclaimStale()
            }
            try awaitStep(.auditMounts, child) { () throws(NucleusError) in
                try MountAudit.check(plan: plan, pid: child.pid)
            }
        } catch {
            child.kill()
            _ = child.waitForExit()
            // The child runs its first steps while we write the maps: if one of
            // them failed, that is the error to report, not the map write it broke.
            // (errno 0 is init waiting at a step, not a failure.)
            if case .failure(let record) = child.readErrorPipe(), record.errno != 0 { throw record.error(in: plan) }
            throw error
        }
        events?.start(id: id, pid: pid, cgroup: cgroup?.directories.values.sorted().first, plan: plan)
        let health = try healthMonitor(
            child: child, cgroup: cgroup, seccompProgram: seccompProgram ?? [], events: events, id: id)
        let readiness = try readinessMonitor(
            child: child, cgroup: cgroup, seccompProgram: seccompProgram ?? [], endpoint: trees.notify, events: events,
            id: id)
        let outcome = Supervisor(
            child: child, signalFD: signalFD, tracer: tracer, stopTimeout: plan.process.stopTimeout, health: health,
            readiness: readiness, network: network,
            logger: logger
        ).superviseUntilExit()
        network?.drainDenied()
        if let tracer, let path = plan.seccomp?.traceLog {
            try tracer.write(to: path)
            logger.info("syscall trace written", metadata: ["path": "\(path)", "syscalls": "\(tracer.records.count)"])
        }
        if plan.process.terminal { TerminalForeground.reclaim() }
        if let cgroup {
            let oomKills = cgroup.oomKills
            // Read only when someone asked: the event stream or --stats-json.
            let stats =
                events != nil || plan.resources?.statsJSON != nil
                ? StatsReport(stats: cgroup.stats, wallSeconds: MonotonicClock.now() - started, oomKills: oomKills)
                : nil
            try report(cgroup, oomKills: oomKills, stats: stats)
            ending.oomKills = oomKills
            ending.stats = events == nil ? nil : stats?.compactJSON
            ending.cleanupOK = cgroup.destroy()
        }
        if let failure = outcome.failure { throw failure.error(in: plan) }
        if let staging = trees.staging {
            let applied = try WorkspaceSync(staging, failAfterRenames: fault == .workspaceSync ? 1 : nil).run()
            logger.info("workspace synced back", metadata: ["changes": "\(applied)", "to": "\(staging.staged.source)"])
        }
        return outcome.exitCode
    }
}

extension Launcher {
    /// OOM kills named as such, and `--stats-json`, read before the cgroup goes.
    func report(_ cgroup: CgroupSession, oomKills: Int, stats: StatsReport?) throws(NucleusError) {
        if oomKills > 0 {
            let limit = cgroup.plan.memoryLimit.map { " (limit \($0))" } ?? ""
            notice("out of memory\(limit): the kernel's OOM killer ended a process of the workload")
        }
        if let path = plan.resources?.statsJSON, let stats { try stats.write(to: path) }
    }

    /// A step where init reports and waits (the network, production's mount
    /// audit): once it is there, do `action` and let it go on only if that succeeds.
    func awaitStep(_ kind: SetupStep.Kind, _ child: ContainerInit, action: () throws(NucleusError) -> Void)
        throws(NucleusError)
    {
        guard let index = plan.setup.firstIndex(where: { $0.kind == kind }) else { return }
        while true {
            switch child.readErrorPipe() {
            case .interrupted: continue
            case .endOfFile: throw NucleusError("the container's init ended before its \(kind.rawValue) step")
            case .failure(let record) where record.step == Int32(index) && record.errno == 0:
                try action()
                try child.release()
                return
            case .failure(let record): throw record.error(in: plan)
            }
        }
    }

    /// `--health-cmd`: the same process spec as the workload's, another argv,
    /// in the container's cgroups.
    func healthMonitor(
        child: ContainerInit, cgroup: CgroupSession?, seccompProgram: [UInt8], events: EventStream?, id: String
    ) throws(NucleusError) -> HealthMonitor? {
        guard let check = plan.health else { return nil }
        var healthPlan = plan
        healthPlan.process.argv = check.command
        let spec = try LaunchSpec(plan: healthPlan, faultStep: -1, seccompProgram: seccompProgram)
        if let cgroup { spec.join(cgroup) }
        let monitor = HealthMonitor(check: check, spec: spec, initPidfd: child.pidfd, now: MonotonicClock.now())
        let notice = self.notice
        monitor.onChange = { status in
            notice("health: \(status.rawValue)")
            events?.health(id: id, status: status.rawValue)
            if status == .unhealthy && check.exitOnUnhealthy { child.kill() }
        }
        return monitor
    }

    /// `--readiness-*`: once ready, an events record and, with `--sd-notify`, READY=1 to the caller.
    func readinessMonitor(
        child: ContainerInit, cgroup: CgroupSession?, seccompProgram: [UInt8], endpoint: NotifyEndpoint?,
        events: EventStream?, id: String
    ) throws(NucleusError) -> ReadinessMonitor? {
        guard let readiness = plan.readiness else { return nil }
        var probePlan = plan
        if case .exec(let argv) = readiness { probePlan.process.argv = argv }
        let spec = try LaunchSpec(plan: probePlan, faultStep: -1, seccompProgram: seccompProgram)
        if let cgroup { spec.join(cgroup) }
        let monitor = ReadinessMonitor(
            readiness: readiness, spec: spec, initPidfd: child.pidfd, endpoint: endpoint, now: MonotonicClock.now())
        let notifySocket = plan.notifySocket
        let logger = self.logger
        monitor.onReady = {
            logger.info("the workload is ready")
            events?.ready(id: id)
            if let notifySocket {
                let rc = nucleus_sd_notify(notifySocket, "READY=1\nSTATUS=workload ready\n")
                if rc < 0 { logger.warning("sd_notify to \(notifySocket) failed", metadata: ["errno": "\(-rc)"]) }
            }
        }
        return monitor
    }

    /// Trace mode: a socketpair; init gets one end through the spec.
    func traceSocket(_ spec: LaunchSpec) throws(NucleusError) -> SyscallTracer? {
        guard plan.seccomp?.mode == .trace else { return nil }
        var fds: [Int32] = [-1, -1]
        let rc = nucleus_trace_socketpair(&fds, Int32(3 + plan.process.preserveFDs))
        guard rc == 0 else { throw NucleusError("prepare the syscall trace", syscall: "socketpair", errno: -rc) }
        spec.setTraceSocket(fds[1])
        return SyscallTracer(socket: fds[0])
    }
}

/// Terminal job control after a `--terminal` workload held the foreground.
enum TerminalForeground {
    static func reclaim() {
        guard isatty(0) == 1 else { return }
        tcsetpgrp(0, getpgrp())
    }
}
