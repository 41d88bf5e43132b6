import CNucleus
import Logging
import NucleusModel
import NucleusNetwork

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The host side while the container runs: one poll loop over the error pipe,
/// the signalfd and init's pidfd. No threads, no timers.
struct Supervisor {
    struct Outcome {
        var exitCode: Int32
        var failure: ChildFailure?
    }

    let child: ContainerInit
    let signalFD: Int32
    /// Trace mode: the syscall recorder, polled with everything else.
    let tracer: SyscallTracer?
    /// Seconds between a forwarded SIGTERM or SIGINT and SIGKILL (`--stop-timeout`).
    let stopTimeout: Double
    /// `--health-cmd`: checks started and reaped from this loop.
    let health: HealthMonitor?
    /// `--readiness-*`: probes started and reaped from this loop.
    let readiness: ReadinessMonitor?
    /// Bridge mode: the DNS forwarder's sockets and the egress denial log, served from this loop.
    let network: NetworkSession?
    let logger: Logger

    func superviseUntilExit() -> Outcome {
        var failure: ChildFailure?
        var killAt: Double?
        // Checks and probes start once the workload has exec'd (the error
        // pipe's end of file). Before that init is still building the
        // container, and a check joining its namespaces would find them half
        // made: the host's root before pivot_root, the cgroup namespace
        // before the join.
        var workloadStarted = false
        while true {
            var fds = [
                pollfd(fd: child.errorFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: child.pidfd, events: Int16(POLLIN), revents: 0),
            ]
            if let tracer, tracer.active { fds.append(pollfd(fd: tracer.pollFD, events: Int16(POLLIN), revents: 0)) }
            let healthSlot = fds.count
            if let health, health.pollFD >= 0 {
                fds.append(pollfd(fd: health.pollFD, events: Int16(POLLIN), revents: 0))
            }
            let readinessSlot = fds.count
            if let readiness, readiness.pollFD >= 0 {
                fds.append(pollfd(fd: readiness.pollFD, events: Int16(POLLIN), revents: 0))
            }
            let networkSlot = fds.count
            fds += network?.pollRequests ?? []
            let checksDue = workloadStarted ? [health?.dueAt, readiness?.dueAt] : []
            let due = ([killAt] + checksDue).compactMap { $0 }.min()
            let wait = due.map { Int32(max(0, ($0 - MonotonicClock.now()) * 1000).rounded(.up)) } ?? -1
            let ready = poll(&fds, nfds_t(fds.count), wait)
            if let health {
                let slotUsed = health.pollFD >= 0
                if slotUsed, fds.count > healthSlot, fds[healthSlot].revents != 0 {
                    health.checkEnded(now: MonotonicClock.now())
                }
                if workloadStarted { health.tick(now: MonotonicClock.now()) }
            }
            if let readiness {
                if readiness.pollFD >= 0, fds.count > readinessSlot, fds[readinessSlot].revents != 0 {
                    readiness.probeEnded(now: MonotonicClock.now())
                }
                if workloadStarted { readiness.tick(now: MonotonicClock.now()) }
            }
            if let network, ready > 0 {
                for slot in networkSlot..<fds.count where fds[slot].revents != 0 {
                    network.handle(fds[slot].fd, revents: fds[slot].revents, now: MonotonicClock.now())
                }
            }
            if ready == 0, let deadline = killAt, MonotonicClock.now() >= deadline {
                logger.warning("the workload outlived --stop-timeout \(stopTimeout) s after SIGTERM: killing it")
                child.kill()
                killAt = nil
                continue
            }
            if ready < 0 { continue }
            if tracer?.active == true, fds.count > 3, fds[3].revents != 0 { tracer?.handle(revents: fds[3].revents) }
            if fds[0].revents != 0 {
                switch child.readErrorPipe() {
                case .failure(let record): failure = failure ?? record
                case .endOfFile:
                    child.closeErrorPipe()
                    workloadStarted = failure == nil
                    if workloadStarted { logger.debug("workload started") }
                case .interrupted: break
                }
            }
            if fds[1].revents != 0, let signal = forwardPendingSignal(), signal == SIGTERM || signal == SIGINT,
                killAt == nil
            {
                killAt = MonotonicClock.now() + stopTimeout
            }
            if fds[2].revents != 0 { break }
        }
        let (code, signaled) = child.waitForExit()
        while child.errorFD >= 0, failure == nil {
            switch child.readErrorPipe() {
            case .failure(let record): failure = record
            case .endOfFile: child.closeErrorPipe()
            case .interrupted: continue
            }
        }
        let exitCode = signaled ? 128 + code : code
        logger.debug("container init exited", metadata: ["status": "\(exitCode)"])
        return Outcome(exitCode: exitCode, failure: failure)
    }

    /// Returns the signal forwarded, if any.
    private func forwardPendingSignal() -> Int32? {
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        guard withUnsafeMutableBytes(of: &info, { read(signalFD, $0.baseAddress, size) }) == size else { return nil }
        logger.debug("forwarding signal", metadata: ["signal": "\(info.ssi_signo)"])
        child.signal(Int32(info.ssi_signo))
        return Int32(info.ssi_signo)
    }
}
