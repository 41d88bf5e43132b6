import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The userspace back-end: slirp4netns gives the container a `tap0` and a
/// user-mode TCP/IP stack, so no host privilege and no host firewall rule is
/// involved. It exits when nucleus does (its exit pipe closes, even on
/// SIGKILL). Published ports are its host forwards, added through its API socket.
public final class SlirpAttachment {
    public static let candidates = ["/usr/bin/slirp4netns", "/usr/local/bin/slirp4netns", "/bin/slirp4netns"]

    let plan: NetworkPlan
    let pid: pid_t
    private var exitPipe: Int32
    let apiSocket: String

    private init(plan: NetworkPlan, pid: pid_t, exitPipe: Int32, apiSocket: String) {
        self.plan = plan
        self.pid = pid
        self.exitPipe = exitPipe
        self.apiSocket = apiSocket
    }

    /// Before clone: slirp4netns is there, and the ports are free now.
    public static func check(_ plan: NetworkPlan) throws(NucleusError) -> String {
        guard let binary = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw NucleusError("--nat-backend userspace needs slirp4netns (Debian: apt install slirp4netns)")
        }
        let probes = try PortReservation.reserve(plan.publish)
        probes.forEach { close($0) }
        return binary
    }

    /// Starts slirp4netns for the container `containerPID`, waits until it has
    /// configured `tap0`, then adds the port forwards.
    public static func attach(_ plan: NetworkPlan, binary: String, containerPID: pid_t, rootless: Bool)
        throws(NucleusError) -> SlirpAttachment
    {
        let directory = (getuid() == 0 ? "/run/nucleus" : "/tmp/nucleus-\(getuid())") + "/slirp"
        try makeDirectories(directory)
        let apiSocket = directory + "/\(getpid()).sock"
        unlink(apiSocket)
        let (ready, exit) = try ChildProcess.pipes(for: "slirp4netns")
        var arguments = [
            binary, "--configure", "--mtu=65520", "--disable-host-loopback", "--enable-sandbox", "--enable-seccomp",
            "--cidr=\(plan.subnet)", "--ready-fd=3", "--exit-fd=4", "--api-socket=\(apiSocket)",
        ]
        if rootless { arguments.append("--userns-path=/proc/\(containerPID)/ns/user") }
        arguments += ["\(containerPID)", plan.interface]
        let spawned = ChildProcess.spawn(
            arguments, descriptors: [3: ready.write, 4: exit.read], privateMounts: !rootless)
        close(ready.write)
        close(exit.read)
        guard case .success(let pid) = spawned else {
            close(ready.read)
            close(exit.write)
            if case .failure(let error) = spawned { throw error }
            throw NucleusError("start slirp4netns")
        }
        let attachment = SlirpAttachment(plan: plan, pid: pid, exitPipe: exit.write, apiSocket: apiSocket)
        do throws(NucleusError) {
            try waitReady(ready.read)
            close(ready.read)
            for mapping in plan.publish { try attachment.addForward(mapping) }
        } catch {
            close(ready.read)
            attachment.detach()
            throw error
        }
        return attachment
    }

    /// slirp4netns writes "1" once `tap0` is configured, or exits.
    static func waitReady(_ fd: Int32) throws(NucleusError) {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 10_000) == 1 else {
            throw NucleusError("slirp4netns did not configure tap0 within 10 s", syscall: "poll", errno: ETIMEDOUT)
        }
        var byte: UInt8 = 0
        guard read(fd, &byte, 1) == 1, byte == UInt8(ascii: "1") else {
            throw NucleusError("slirp4netns exited before configuring tap0 (see its messages above)")
        }
    }

    func addForward(_ mapping: PortMapping) throws(NucleusError) {
        let host = mapping.hostAddress.map { ",\"host_addr\":\"\($0)\"" } ?? ""
        let request =
            "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"\(mapping.transport.rawValue)\"\(host),"
            + "\"host_port\":\(mapping.hostPort),\"guest_port\":\(mapping.containerPort)}}"
        let reply = try SlirpAPI.call(apiSocket, request)
        guard reply.contains("\"return\"") else {
            throw NucleusError("--publish \(mapping): slirp4netns refused the forward: \(reply.trimmingNewline)")
        }
    }

    /// The container is gone, so slirp4netns has nothing left to flush.
    /// SIGKILL, and no waiting for the corpse: tearing down its sandbox's mount
    /// namespace waits out an RCU grace period (~25 ms) that nobody needs to
    /// sit through. It is reaped here if already gone, else by init once
    /// nucleus exits.
    public func detach() {
        if exitPipe >= 0 {
            close(exitPipe)
            exitPipe = -1
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
        }
        unlink(apiSocket)
    }
}

/// One request, one reply over slirp4netns's API socket.
enum SlirpAPI {
    static func call(_ path: String, _ request: String) throws(NucleusError) -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NucleusError("reach slirp4netns", syscall: "socket", errno: errno) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8.prefix(107)) + [0]) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else { throw NucleusError("reach slirp4netns", syscall: "connect", path: path, errno: errno) }
        let bytes = Array(request.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else {
            throw NucleusError("talk to slirp4netns", syscall: "write", path: path, errno: errno)
        }
        shutdown(fd, Int32(SHUT_WR))
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            reply += chunk[0..<count]
        }
        return String(decoding: reply, as: UTF8.self)
    }
}
