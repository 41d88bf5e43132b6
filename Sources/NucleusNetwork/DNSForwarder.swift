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

    let streams: DNSStreamRelay

    /// UDP sockets for reading, and the TCP relay's sockets for what each waits on.
    public var pollRequests: [pollfd] {
        ([listenFD] + upstreamFDs.values.sorted()).map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            + streams.pollRequests
    }

    /// Opens its sockets inside `container`; they stay there after the thread returns home.
    public init(plan: DNSForwarderPlan, container: NetworkNamespace, home: NetworkNamespace, logger: Logger)
        throws(NucleusError)
    {
        self.plan = plan
        self.container = container
        self.home = home
        self.logger = logger
        let families = Set(plan.upstream.map(\.family))
        let sockets = try container.run(from: home) { () throws(NucleusError) -> (Int32, Int32, [Int32: Int32]) in
            var opened: [Int32] = []
            do throws(NucleusError) {
                let listen = try Self.listeningSocket(plan.listen, type: SOCK_DGRAM)
                opened.append(listen)
                let stream = try Self.listeningSocket(plan.listen, type: SOCK_STREAM)
                opened.append(stream)
                var upstream: [Int32: Int32] = [:]
                for family in families {
                    let fd = try Self.markedSocket(family, type: SOCK_DGRAM, mark: plan.mark)
                    opened.append(fd)
                    var local = SocketAddress.make(
                        family == AF_INET ? IPAddress("0.0.0.0")! : IPAddress("::")!, port: plan.upstreamPort)
                    guard SocketAddress.bind(fd, &local, family: family) == 0 else {
                        throw NucleusError(
                            "bind the DNS forwarder's upstream socket", syscall: "bind", errno: errno)
                    }
                    upstream[family] = fd
                }
                return (listen, stream, upstream)
            } catch {
                opened.forEach { close($0) }
                throw error
            }
        }
        listenFD = sockets.0
        streams = DNSStreamRelay(listenFD: sockets.1)
        upstreamFDs = sockets.2
    }

    deinit {
        close(listenFD)
        upstreamFDs.values.forEach { close($0) }
    }

    /// A socket of poll's: UDP datagrams here, the rest to the TCP relay.
    public func handle(_ fd: Int32, revents: Int16, now: Double) {
        if streams.owns(fd) {
            streams.handle(fd, revents: revents, now: now, forwarder: self)
        } else {
            handle(fd, now: now)
        }
    }

    /// One datagram from `fd`, which poll reported readable.
    func handle(_ fd: Int32, now: Double) {
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

    /// What to do with a client's query: drop it (not a query), answer it
    /// at once (a name outside the policy), or forward it.
    enum Verdict: Equatable {
        case drop
        case reply([UInt8])
        case forward(DNSMessage)
    }

    func verdict(onQuery message: [UInt8]) -> Verdict {
        guard let parsed = DNSMessage(message), message[2] & 0x80 == 0 else { return .drop }
        guard plan.names.contains(where: { $0.matches(parsed.questionName) }) else {
            logger.info(
                "DNS forwarder refused a name outside --egress-domain", metadata: ["name": "\(parsed.questionName)"])
            return DNSMessage.refusal(of: message, rcode: 3).map(Verdict.reply) ?? .drop
        }
        return .forward(parsed)
    }

    /// The reply for a resolver's answer, its addresses allowed first: the
    /// answer itself, or SERVFAIL when the sets could not take them (the
    /// client must not learn an address the rules would still reject).
    func reply(toAnswer message: [UInt8], parsed: DNSMessage) -> [UInt8]? {
        guard plan.names.contains(where: { $0.matches(parsed.questionName) }) else { return nil }
        do {
            try allow(parsed.addresses)
            return message
        } catch {
            logger.error("DNS forwarder could not allow \(parsed.questionName): \(error)")
            return DNSMessage.refusal(of: message, rcode: 2)
        }
    }

    /// The resolver for the next query: round robin.
    func nextUpstream() -> IPAddress {
        defer { nextResolver += 1 }
        return plan.upstream[nextResolver % plan.upstream.count]
    }

    private func query(_ message: [UInt8], from client: sockaddr_in, now: Double) {
        let parsed: DNSMessage
        switch verdict(onQuery: message) {
        case .drop: return
        case .reply(let reply):
            send(reply, to: client)
            return
        case .forward(let query): parsed = query
        }
        expire(now: now)
        var id = UInt16.random(in: 0...UInt16.max)
        while pending[id] != nil { id = UInt16.random(in: 0...UInt16.max) }
        pending[id] = Pending(client: client, clientID: parsed.id, started: now)
        var forwarded = message
        DNSMessage.setID(id, of: &forwarded)
        let resolver = nextUpstream()
        guard let fd = upstreamFDs[resolver.family] else { return }
        var address = SocketAddress.make(resolver, port: 53)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, forwarded, forwarded.count, 0, $0, socklen_t(MemoryLayout<sockaddr_storage>.size))
            }
        }
    }

    private func answer(_ message: [UInt8]) {
        guard let parsed = DNSMessage(message), let waiting = pending.removeValue(forKey: parsed.id),
            var reply = reply(toAnswer: message, parsed: parsed)
        else { return }
        DNSMessage.setID(waiting.clientID, of: &reply)
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

    /// A socket in the container's namespace for the TCP relay's upstream connections.
    func containerSocket(_ family: Int32, type: __socket_type) throws(NucleusError) -> Int32 {
        try container.run(from: home) { () throws(NucleusError) -> Int32 in
            try Self.markedSocket(family, type: type, mark: plan.mark)
        }
    }

    /// Non-blocking, so the supervisor's loop never waits on the network.
    static func socket(_ family: Int32, type: __socket_type) throws(NucleusError) -> Int32 {
        let flags = Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd = Glibc.socket(family, Int32(type.rawValue) | flags, 0)
        guard fd >= 0 else { throw NucleusError("open a DNS forwarder socket", syscall: "socket", errno: errno) }
        return fd
    }

    static func listeningSocket(_ address: IPAddress, type: __socket_type) throws(NucleusError) -> Int32 {
        let fd = try socket(AF_INET, type: type)
        var local = SocketAddress.make(address, port: 53)
        let what = type == SOCK_STREAM ? "TCP" : "UDP"
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard SocketAddress.bind(fd, &local, family: AF_INET) == 0,
            type != SOCK_STREAM || listen(fd, 16) == 0
        else {
            let error = errno
            close(fd)
            throw NucleusError(
                "start the DNS forwarder on \(address):53 (\(what))", syscall: "bind/listen", errno: error)
        }
        return fd
    }

    /// The mark is what lets the forwarder's DNS out (SO_MARK needs CAP_NET_ADMIN).
    static func markedSocket(_ family: Int32, type: __socket_type, mark: UInt32) throws(NucleusError) -> Int32 {
        let fd = try socket(family, type: type)
        var value = mark
        guard setsockopt(fd, SOL_SOCKET, SO_MARK, &value, socklen_t(MemoryLayout<UInt32>.size)) == 0 else {
            let error = errno
            close(fd)
            throw NucleusError(
                "mark the DNS forwarder's upstream socket", syscall: "setsockopt(SO_MARK)", errno: error)
        }
        return fd
    }
}
