import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `--readiness-exec` / `--readiness-tcp`: probes inside the container every
/// 100 ms, one at a time, until one succeeds; then `onReady` runs once (the
/// events record and the `--sd-notify` relay) and probing stops.
final class ReadinessMonitor {
    static let interval = 0.1

    private let readiness: Readiness
    private let spec: LaunchSpec
    private let initPidfd: Int32
    private var running: Int32 = -1
    private var nextRun: Double
    /// `--readiness-sd-notify`: no probes, the workload says it.
    private let endpoint: NotifyEndpoint?
    private(set) var ready = false
    var onReady: () -> Void = {}

    init(readiness: Readiness, spec: LaunchSpec, initPidfd: Int32, endpoint: NotifyEndpoint?, now: Double) {
        self.readiness = readiness
        self.spec = spec
        self.initPidfd = initPidfd
        self.endpoint = endpoint
        nextRun = now
    }

    deinit { if running >= 0 { close(running) } }

    var pollFD: Int32 {
        if let endpoint { return ready ? -1 : endpoint.fd }
        return running
    }

    var dueAt: Double? { ready || running >= 0 || endpoint != nil ? nil : nextRun }

    func tick(now: Double) {
        guard !ready, running < 0, endpoint == nil, now >= nextRun else { return }
        var pidfd: Int32 = -1
        let pid: pid_t
        switch readiness {
        case .exec: pid = spec.withSpec { nucleus_spawn_in_container($0, initPidfd, &pidfd) }
        case .tcp(let port): pid = nucleus_probe_tcp_in_container(initPidfd, port, &pidfd)
        case .sdNotify: return
        }
        if pid > 0 { running = pidfd } else { nextRun = now + Self.interval }
    }

    func probeEnded(now: Double) {
        if let endpoint {
            if !ready && endpoint.readReady() {
                ready = true
                onReady()
            }
            return
        }
        guard running >= 0 else { return }
        let succeeded = HealthMonitor.reapSucceeded(running)
        running = -1
        nextRun = now + Self.interval
        if succeeded {
            ready = true
            onReady()
        }
    }
}
