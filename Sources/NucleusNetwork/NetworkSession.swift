import CNucleus
import Logging
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A container's network for its whole life, whichever back-end: `prepare`
/// before clone, `attach` while init waits at its network step (interface,
/// egress rules, DNS forwarder), `close` at the end, failure or not.
public final class NetworkSession {
    public let plan: NetworkPlan
    let home: NetworkNamespace
    let logger: Logger
    private var bridge: BridgeAttachment?
    private var slirp: SlirpAttachment?
    private var slirpBinary: String?
    public private(set) var forwarder: DNSForwarder?
    private var deniedLog: DeniedLog?
    /// Rootless: the process that holds the rules, forwarder and denial log.
    private var helper: NetworkHelper?
    /// Where each denied connection is told ("tcp 203.0.113.11:80").
    public var onDenied: (String) -> Void = { _ in }

    public init(plan: NetworkPlan, logger: Logger) throws(NucleusError) {
        self.plan = plan
        self.logger = logger
        home = try NetworkNamespace()
        if plan.egressRules != nil || (plan.backend == .kernel && !plan.publish.isEmpty) {
            // Fail before anything exists rather than after the bridge does.
            // (A plain bridge start never loads libnftables once the host table exists.)
            guard nucleus_nft_available() == 0 else {
                throw NucleusError("bridge networking needs libnftables.so.1 (Debian: apt install libnftables1)")
            }
        }
        switch plan.backend {
        case .kernel: bridge = try BridgeAttachment.prepare(plan, home: home)
        case .userspace: slirpBinary = try SlirpAttachment.check(plan)
        }
    }

    /// The container's address, once known (kernel back-end: leased in `init`).
    public var address: IPAddress? {
        bridge?.address ?? (plan.backend == .userspace ? plan.subnet.address.advanced(by: 100) : nil)
    }

    public func attach(pid: Int32, rootless: Bool) throws(NucleusError) {
        let container = try NetworkNamespace(pid: pid)
        if let bridge { try bridge.attach(to: container) }
        if rootless {
            // nucleus may not enter namespaces its container's user namespace
            // owns: a helper that joins them does the inside work.
            if plan.egressRules != nil || plan.forwarder != nil {
                helper = try NetworkHelper.start(plan, containerPID: pid, container: container)
            }
        } else {
            (deniedLog, forwarder) = try Self.configureInside(
                plan, container: container, home: home, logger: logger, onDenied: onDenied)
        }
        if let slirpBinary {
            slirp = try SlirpAttachment.attach(plan, binary: slirpBinary, containerPID: pid, rootless: rootless)
        }
        logger.debug("network attached", metadata: ["address": "\(address.map { "\($0)" } ?? "?")"])
    }

    /// Inside the container's namespace: low ports for the workload, the
    /// denial log, the egress rules and the DNS forwarder's sockets. `home`
    /// is where the calling thread returns (the helper: the container itself).
    static func configureInside(
        _ plan: NetworkPlan, container: NetworkNamespace, home: NetworkNamespace, logger: Logger,
        onDenied: @escaping (String) -> Void
    ) throws(NucleusError) -> (DeniedLog?, DNSForwarder?) {
        let rules = plan.egressRules
        let deniedLog = try container.run(from: home) { () throws(NucleusError) -> DeniedLog? in
            // The workload has no CAP_NET_BIND_SERVICE: let it serve on port 80
            // in its own namespace, as Docker does.
            try SmallFiles.set("/proc/sys/net/ipv4/ip_unprivileged_port_start", to: "0")
            guard let rules else { return nil }
            let log = try DeniedLog(group: EgressRules.logGroup, report: onDenied)
            try Nftables.run(rules, what: "install the egress rules in the container's network namespace")
            return log
        }
        let forwarder = try plan.forwarder.map { forwarderPlan throws(NucleusError) in
            // Init brings `lo` up too, but concurrently with this: until it is
            // up, 127.0.0.53 is not an address of the namespace to bind.
            try container.run(from: home) { () throws(NucleusError) in
                try RouteSocket().up(1, name: "lo")
            }
            return try DNSForwarder(plan: forwarderPlan, container: container, home: home, logger: logger)
        }
        return (deniedLog, forwarder)
    }

    /// What the supervisor polls for the container's network: the DNS
    /// forwarder's sockets and the denial log.
    public var pollRequests: [pollfd] {
        (forwarder?.pollRequests ?? [])
            + (deniedLog.map { [pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0)] } ?? [])
    }

    public func handle(_ fd: Int32, revents: Int16, now: Double) {
        if let deniedLog, fd == deniedLog.fd {
            deniedLog.drain()
        } else {
            forwarder?.handle(fd, revents: revents, now: now)
        }
    }

    /// Denials logged just before the workload ended, still queued.
    public func drainDenied() { deniedLog?.drain() }

    public func close() {
        helper?.stop()
        helper = nil
        deniedLog = nil
        forwarder = nil
        slirp?.detach()
        slirp = nil
        bridge?.detach()
        bridge = nil
    }
}
