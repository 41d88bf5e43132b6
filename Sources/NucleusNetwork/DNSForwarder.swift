import Logging
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The container's resolver when `--egress-domain` is given. It listens
/// inside the container's namespace, answers NXDOMAIN for every name the
/// policy does not allow, forwards the rest from a marked socket (the only
/// DNS traffic the egress rules let out) and, before passing an answer on,
/// adds its addresses to the egress sets for the record's TTL. Addresses
/// learned any other way stay blocked. It runs in nucleus's supervisor loop:
/// no thread, no process of its own, gone when the container is.
public final class DNSForwarder {
    struct Pending {
        var client: sockaddr_in
        var clientID: UInt16
        var started: Double
    }

    /// The shortest time an answered address stays allowed, for TTL-0 answers.
    static let minimumTimeout: UInt32 = 2
    static let maximumPending = 256

    let plan: DNSForwarderPlan
    let listenFD: Int32
    /// One per address family of the resolvers.
    let upstreamFDs: [Int32: Int32]
    let container: NetworkNamespace
    let home: NetworkNamespace
    let logger: Logger
    private var pending: [UInt16: Pending] = [:]
    private var nextResolver = 0

    public var pollFDs: [Int32] { [listenFD] + upstreamFDs.values.sorted() }

    /// Opens its sockets inside `container`; they stay there after the thread returns home.
    public init(plan: DNSForwarderPlan, container: NetworkNamespace, home: NetworkNamespace, logger: Logger)
        throws(NucleusError)
    {
        self.plan = plan
        self.container = container
        self.home = home
        self.logger = logger
        let families = Set(plan.upstream.map(\.family))
        (listenFD, upstreamFDs) = try container.run(from: home) { () throws(NucleusError) -> (Int32, [Int32: Int32]) in
            let listen = try Self.udpSocket(AF_INET)
            var address = SocketAddress.make(plan.listen, port: 53)
            guard SocketAddress.bind(listen, &address, family: AF_INET) == 0 else {
                let error = errno
                close(listen)
                throw NucleusError("start the DNS forwarder on \(plan.listen):53", syscall: "bind", errno: error)
            }
            var upstream: [Int32: Int32] = [:]
            for family in families {
                let fd = try Self.udpSocket(family)
                var local = SocketAddress.make(
                    family == AF_INET ? IPAddress("0.0.0.0")! : IPAddress("::")!, port: plan.upstreamPort)
                guard SocketAddress.bind(fd, &local, family: family) == 0 else {
                    let error = errno
                    close(fd)
                    close(listen)
                    throw NucleusError("bind the DNS forwarder's upstream socket", syscall: "bind", errno: error)
                }
                var mark = plan.mark
                guard setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, socklen_t(MemoryLayout<UInt32>.size)) == 0 else {
                    let error = errno
                    close(fd)
                    close(listen)
                    throw NucleusError(
                        "mark the DNS forwarder's upstream socket", syscall: "setsockopt(SO_MARK)", errno: error)
                }
                upstream[family] = fd
            }
            return (listen, upstream)
        }
    }

    deinit {
        close(listenFD)
        upstreamFDs.values.forEach { close($0) }
    }

    /// One datagram from `fd`, which poll reported readable.
    public func handle(_ fd: Int32, now: Double) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var from = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let count = withUnsafeMutablePointer(to: &from) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                recvfrom(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT), $0, &length)
            }
        }
        guard count > 0 else { return }
        let message = Array(buffer[0..<count])
        if fd == listenFD {
            let client = withUnsafeBytes(of: from) { $0.load(as: sockaddr_in.self) }
            query(message, from: client, now: now)
        } else if Self.isResolver(from, plan.upstream) {
            answer(message)
        }
    }

    /// Answers count only from a configured resolver's port 53.
    public static func isResolver(_ from: sockaddr_storage, _ resolvers: [IPAddress]) -> Bool {
        withUnsafeBytes(of: from) { raw in
            switch Int32(raw.load(as: sa_family_t.self)) {
            case AF_INET:
                let address = raw.load(as: sockaddr_in.self)
                let bytes = withUnsafeBytes(of: address.sin_addr) { Array($0) }
                return UInt16(bigEndian: address.sin_port) == 53
                    && resolvers.contains { $0.bytes == bytes }
            case AF_INET6:
                let address = raw.load(as: sockaddr_in6.self)
                let bytes = withUnsafeBytes(of: address.sin6_addr) { Array($0) }
                return UInt16(bigEndian: address.sin6_port) == 53
                    && resolvers.contains { $0.bytes == bytes }
            default:
                return false
            }
        }
    }

    private func query(_ message: [UInt8], from client: sockaddr_in, now: Double) {
        guard let parsed = DNSMessage(message), message[2] & 0x80 == 0 else { return }
        guard plan.names.contains(where: { $0.matches(parsed.questionName) }) else {
            logger.info(
                "DNS forwarder refused a name outside --egress-domain", metadata: ["name": "\(parsed.questionName)"])
            if let reply = DNSMessage.refusal(of: message, rcode: 3) { send(reply, to: client) }
            return
        }
        expire(now: now)
        var id = UInt16.random(in: 0...UInt16.max)
        while pending[id] != nil { id = UInt16.random(in: 0...UInt16.max) }
        pending[id] = Pending(client: client, clientID: parsed.id, started: now)
        var forwarded = message
        forwarded[0] = UInt8(id >> 8)
        forwarded[1] = UInt8(id & 0xFF)
        let resolver = plan.upstream[nextResolver % plan.upstream.count]
        nextResolver += 1
        guard let fd = upstreamFDs[resolver.family] else { return }
        var address = SocketAddress.make(resolver, port: 53)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, forwarded, forwarded.count, 0, $0, socklen_t(MemoryLayout<sockaddr_storage>.size))
            }
        }
    }

    private func answer(_ message: [UInt8]) {
        guard let parsed = DNSMessage(message), let waiting = pending.removeValue(forKey: parsed.id) else { return }
        guard plan.names.contains(where: { $0.matches(parsed.questionName) }) else { return }
        do {
            try allow(parsed.addresses)
        } catch {
            logger.error("DNS forwarder could not allow \(parsed.questionName): \(error)")
            if let reply = DNSMessage.refusal(of: message, rcode: 2) {
                var servfail = reply
                servfail[0] = UInt8(waiting.clientID >> 8)
                servfail[1] = UInt8(waiting.clientID & 0xFF)
                send(servfail, to: waiting.client)
            }
            return
        }
        var reply = message
        reply[0] = UInt8(waiting.clientID >> 8)
        reply[1] = UInt8(waiting.clientID & 0xFF)
        send(reply, to: waiting.client)
    }

    /// The answered addresses into the egress sets, each for its TTL. Add,
    /// delete, add again in one transaction: a plain add would keep an
    /// existing element's older timeout.
    func allow(_ addresses: [(address: [UInt8], ttl: UInt32)]) throws(NucleusError) {
        let commands = Self.setCommands(addresses, plan: plan)
        guard !commands.isEmpty else { return }
        try container.run(from: home) { () throws(NucleusError) -> Void in
            try Nftables.run(commands, what: "allow the answered addresses")
        }
    }

    static func setCommands(_ addresses: [(address: [UInt8], ttl: UInt32)], plan: DNSForwarderPlan) -> String {
        var commands = ""
        for (set, family) in [(plan.ipv4Set, 4), (plan.ipv6Set, 16)] {
            let entries = addresses.filter { $0.address.count == family }.compactMap { entry in
                IPAddress(bytes: entry.address).map { ($0, max(entry.ttl, minimumTimeout)) }
            }
            guard !entries.isEmpty else { continue }
            let timed = entries.map { "\($0.0) timeout \($0.1)s" }.joined(separator: ", ")
            let keys = entries.map { "\($0.0)" }.joined(separator: ", ")
            commands += "add element inet \(plan.table) \(set) { \(timed) }\n"
            commands += "delete element inet \(plan.table) \(set) { \(keys) }\n"
            commands += "add element inet \(plan.table) \(set) { \(timed) }\n"
        }
        return commands
    }

    /// Queries unanswered for 10 s are forgotten; the client has retried by then.
    private func expire(now: Double) {
        guard pending.count >= Self.maximumPending / 2 else { return }
        pending = pending.filter { now - $0.value.started < 10 }
        while pending.count >= Self.maximumPending,
            let oldest = pending.min(by: { $0.value.started < $1.value.started })
        {
            pending.removeValue(forKey: oldest.key)
        }
    }

    private func send(_ bytes: [UInt8], to client: sockaddr_in) {
        var address = client
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(listenFD, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    static func udpSocket(_ family: Int32) throws(NucleusError) -> Int32 {
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NucleusError("open a DNS forwarder socket", syscall: "socket", errno: errno) }
        return fd
    }

}
