import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// DNS over TCP for the forwarder: clients retry there when a UDP answer
/// was truncated, and some always use it. A query gets the forwarder's
/// verdict; an allowed one gets its own marked upstream connection, whose
/// answer's addresses are allowed before the answer is passed on. Every
/// socket is non-blocking and driven by the supervisor's poll.
final class DNSStreamRelay {
    struct Client {
        var buffer: [UInt8] = []
        var lastActive: Double
        /// A query of this client is upstream: read no further until it is answered.
        var waiting = false
    }

    struct Upstream {
        var client: Int32
        var query: DNSMessage
        var framed: [UInt8]
        var connected = false
        var buffer: [UInt8] = []
        var started: Double
    }

    static let idleTimeout = 10.0
    static let maximumClients = 32

    let listenFD: Int32
    private var clients: [Int32: Client] = [:]
    private var upstreams: [Int32: Upstream] = [:]

    init(listenFD: Int32) {
        self.listenFD = listenFD
    }

    deinit {
        close(listenFD)
        clients.keys.forEach { close($0) }
        upstreams.keys.forEach { close($0) }
    }

    var pollRequests: [pollfd] {
        var requests = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)]
        for (fd, client) in clients where !client.waiting {
            requests.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
        }
        for (fd, upstream) in upstreams {
            requests.append(pollfd(fd: fd, events: Int16(upstream.connected ? POLLIN : POLLOUT), revents: 0))
        }
        return requests
    }

    func owns(_ fd: Int32) -> Bool { fd == listenFD || clients[fd] != nil || upstreams[fd] != nil }

    func handle(_ fd: Int32, revents: Int16, now: Double, forwarder: DNSForwarder) {
        expire(now: now)
        if fd == listenFD {
            acceptClient(now: now)
        } else if clients[fd] != nil {
            readClient(fd, now: now, forwarder: forwarder)
        } else if upstreams[fd] != nil {
            driveUpstream(fd, revents: revents, forwarder: forwarder)
        }
    }

    private func acceptClient(now: Double) {
        let fd = nucleus_accept_nonblock(listenFD)
        guard fd >= 0 else { return }
        guard clients.count < Self.maximumClients else {
            close(fd)
            return
        }
        clients[fd] = Client(lastActive: now)
    }

    private func readClient(_ fd: Int32, now: Double, forwarder: DNSForwarder) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
        guard count > 0 else {
            if count == 0 || (errno != EAGAIN && errno != EINTR) { dropClient(fd) }
            return
        }
        clients[fd]?.buffer += chunk[0..<count]
        clients[fd]?.lastActive = now
        nextQuery(of: fd, now: now, forwarder: forwarder)
    }

    /// The next whole message a client sent, if it is not already waiting.
    private func nextQuery(of fd: Int32, now: Double, forwarder: DNSForwarder) {
        guard let client = clients[fd], !client.waiting, let message = DNSMessage.unframe(client.buffer) else { return }
        clients[fd]?.buffer.removeFirst(message.count + 2)
        switch forwarder.verdict(onQuery: message) {
        case .drop: dropClient(fd)
        case .reply(let reply):
            send(reply, to: fd)
            nextQuery(of: fd, now: now, forwarder: forwarder)
        case .forward(let query):
            guard let upstream = connect(to: forwarder.nextUpstream(), forwarder: forwarder) else {
                DNSMessage.refusal(of: message, rcode: 2).map { send($0, to: fd) }
                return
            }
            clients[fd]?.waiting = true
            upstreams[upstream] = Upstream(client: fd, query: query, framed: DNSMessage.frame(message), started: now)
        }
    }

    /// A marked, non-blocking socket made in the container's namespace; the
    /// connection completes under poll.
    private func connect(to resolver: IPAddress, forwarder: DNSForwarder) -> Int32? {
        guard let fd = try? forwarder.containerSocket(resolver.family, type: SOCK_STREAM) else { return nil }
        var address = SocketAddress.make(resolver, port: 53)
        let size = resolver.isIPv4 ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(size)) }
        }
        guard rc == 0 || errno == EINPROGRESS else {
            close(fd)
            return nil
        }
        return fd
    }

    private func driveUpstream(_ fd: Int32, revents: Int16, forwarder: DNSForwarder) {
        guard var upstream = upstreams[fd] else { return }
        if !upstream.connected {
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0,
                Self.sendAll(upstream.framed, to: fd)
            else { return failUpstream(fd, forwarder: forwarder) }
            upstreams[fd]?.connected = true
            return
        }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
        guard count > 0 else {
            if count == 0 || (errno != EAGAIN && errno != EINTR) { failUpstream(fd, forwarder: forwarder) }
            return
        }
        upstream.buffer += chunk[0..<count]
        upstreams[fd] = upstream
        guard let answer = DNSMessage.unframe(upstream.buffer) else { return }
        finish(fd)
        guard let parsed = DNSMessage(answer), parsed.id == upstream.query.id,
            let reply = forwarder.reply(toAnswer: answer, parsed: parsed)
        else { return dropClient(upstream.client) }
        send(reply, to: upstream.client)
        clients[upstream.client]?.waiting = false
        nextQuery(of: upstream.client, now: upstream.started, forwarder: forwarder)
    }

    /// The resolver could not be reached or hung up: SERVFAIL, as a UDP
    /// client would see after its timeout, but at once.
    private func failUpstream(_ fd: Int32, forwarder: DNSForwarder) {
        guard let upstream = upstreams[fd] else { return }
        finish(fd)
        let query = Array(upstream.framed.dropFirst(2))
        DNSMessage.refusal(of: query, rcode: 2).map { send($0, to: upstream.client) }
        clients[upstream.client]?.waiting = false
    }

    private func finish(_ upstream: Int32) {
        upstreams.removeValue(forKey: upstream)
        close(upstream)
    }

    private func dropClient(_ fd: Int32) {
        guard clients.removeValue(forKey: fd) != nil else { return }
        close(fd)
        for (upstream, entry) in upstreams where entry.client == fd { finish(upstream) }
    }

    /// Idle clients and upstreams slower than the timeout are closed.
    private func expire(now: Double) {
        for (fd, client) in clients where !client.waiting && now - client.lastActive > Self.idleTimeout {
            dropClient(fd)
        }
        for (fd, upstream) in upstreams where now - upstream.started > Self.idleTimeout {
            finish(fd)
            dropClient(upstream.client)
        }
    }

    private func send(_ message: [UInt8], to client: Int32) {
        if !Self.sendAll(DNSMessage.frame(message), to: client) { dropClient(client) }
    }

    /// Answers are small next to a socket's send buffer; a peer that lets it
    /// fill is not reading and loses its connection instead of stalling the loop.
    static func sendAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }
}
