import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `--health-cmd`, Docker's rules: checks every interval; failures during
/// the start period do not count; the first success is healthy; `retries`
/// failures in a row are unhealthy; a check past its timeout is killed and
/// fails. Driven by the supervisor's poll loop, one check at a time.
final class HealthMonitor {
    enum Status: String {
        case starting, healthy, unhealthy
    }

    let check: HealthCheck
    private let spec: LaunchSpec
    private let initPidfd: Int32
    private let started: Double
    private var nextRun: Double
    private var failures = 0
    private var running: (pidfd: Int32, deadline: Double)?
    private(set) var status = Status.starting
    /// Called on every change of status.
    var onChange: (Status) -> Void = { _ in }

    init(check: HealthCheck, spec: LaunchSpec, initPidfd: Int32, now: Double) {
        self.check = check
        self.spec = spec
        self.initPidfd = initPidfd
        started = now
        nextRun = now + min(check.interval, max(check.startPeriod, 0.1))
    }

    deinit { if let running { close(running.pidfd) } }

    /// The running check's pidfd, to poll; -1 between checks.
    var pollFD: Int32 { running?.pidfd ?? -1 }

    /// When the monitor next needs the loop: a check to start or to kill.
    var dueAt: Double { running?.deadline ?? nextRun }

    /// Starts a check that is due, or kills one past its timeout.
    func tick(now: Double) {
        if let running, now >= running.deadline {
            _ = nucleus_pidfd_send_signal(running.pidfd, SIGKILL)
            return
        }
        guard running == nil, now >= nextRun else { return }
        var pidfd: Int32 = -1
        let pid = spec.withSpec { nucleus_spawn_in_container($0, initPidfd, &pidfd) }
        if pid > 0 {
            running = (pidfd, now + check.timeout)
        } else {
            record(success: false, now: now)
        }
    }

    /// The running check ended: its status decides.
    func checkEnded(now: Double) {
        guard let running else { return }
        self.running = nil
        record(success: Self.reapSucceeded(running.pidfd), now: now)
    }

    /// Waits for a check's process, closes its pidfd: whether it exited 0.
    static func reapSucceeded(_ pidfd: Int32) -> Bool {
        var code: Int32 = 0
        var signaled: Int32 = 0
        let waited = nucleus_wait_pidfd(pidfd, &code, &signaled)
        close(pidfd)
        return waited == 0 && signaled == 0 && code == 0
    }

    private func record(success: Bool, now: Double) {
        nextRun = now + check.interval
        if success {
            failures = 0
            change(to: .healthy)
            return
        }
        if status == .starting && now - started < check.startPeriod { return }
        failures += 1
        if failures >= check.retries { change(to: .unhealthy) }
    }

    private func change(to new: Status) {
        guard new != status else { return }
        status = new
        onChange(new)
    }
}
