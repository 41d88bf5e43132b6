import CNucleus
import FoundationEssentials
import Logging
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The inside of a rootless container's network. A nucleus without root
/// holds capabilities in its container's user namespace but may not setns
/// into the network namespace that namespace owns without joining it first,
/// and a process joins a user namespace only while single-threaded and for
/// good. So nucleus spawns itself as this helper, which joins both at once,
/// installs the egress rules, and serves the DNS forwarder and the denial log
/// until nucleus closes its pipe (or dies). It runs outside the container's
/// pid and mount namespaces: the workload cannot see or signal it.
public final class NetworkHelper {
    public static let command = "__network-helper"
    /// The helper's descriptors: the plan pipe (then EOF when nucleus is
    /// done), the report pipe, stderr, and the two namespaces to join.
    static let (planFD, reportFD, userFD, netFD): (Int32, Int32, Int32, Int32) = (0, 1, 3, 4)

    let pid: pid_t
    private var control: Int32

    private init(pid: pid_t, control: Int32) {
        self.pid = pid
        self.control = control
    }

    /// Spawns the helper and waits until the rules are in place, or for its error.
    static func start(_ plan: NetworkPlan, containerPID: pid_t, container: NetworkNamespace) throws(NucleusError)
        -> NetworkHelper
    {
        let userPath = "/proc/\(containerPID)/ns/user"
        let user = open(userPath, O_RDONLY | O_CLOEXEC)
        guard user >= 0 else {
            throw NucleusError("open the container's user namespace", syscall: "open", path: userPath, errno: errno)
        }
        defer { close(user) }
        let (planPipe, reportPipe) = try ChildProcess.pipes(for: "the rootless network helper")
        defer { [planPipe.read, reportPipe.write].forEach { close($0) } }
        let descriptors = [planFD: planPipe.read, reportFD: reportPipe.write, 2: 2, userFD: user, netFD: container.fd]
        let pid: pid_t
        switch ChildProcess.spawn(["/proc/self/exe", command], descriptors: descriptors) {
        case .success(let spawned): pid = spawned
        case .failure(let error):
            [planPipe.write, reportPipe.read].forEach { close($0) }
            throw error
        }
        let helper = NetworkHelper(pid: pid, control: planPipe.write)
        defer { close(reportPipe.read) }
        guard let encoded = try? JSONEncoder().encode(plan), writeAll(Array(encoded) + [0x0A], to: planPipe.write)
        else {
            helper.stop()
            throw NucleusError("hand the network plan to the rootless network helper")
        }
        let report = readLine(reportPipe.read)
        guard report == "ready" else {
            helper.stop()
            throw NucleusError(
                report.hasPrefix("error: ")
                    ? String(report.dropFirst(7)) : "the rootless network helper exited before it was ready")
        }
        return helper
    }

    /// Closing the pipe tells the helper to drain its log and exit.
    func stop() {
        guard control >= 0 else { return }
        close(control)
        control = -1
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// The helper's side; returns its exit status. Joins the namespaces
    /// before anything can start a thread.
    public static func main() -> Int32 {
        let rc = nucleus_join_user_and_net(userFD, netFD)
        close(userFD)
        close(netFD)
        guard rc == 0 else {
            return fail(NucleusError("join the container's namespaces", syscall: "setns", errno: -rc))
        }
        let line = readLine(planFD)
        guard let plan = try? JSONDecoder().decode(NetworkPlan.self, from: Data(line.utf8)) else {
            return fail(NucleusError("read the network plan from nucleus"))
        }
        var handler = StreamLogHandler.standardError(label: "nucleus")
        handler.logLevel = .warning
        let logger = Logger(label: "nucleus") { _ in handler }
        let report: (String) -> Void = { denial in
            let notice = "nucleus: \(DeniedLog.notice(denial))\n"
            _ = notice.withCString { write(2, $0, strlen($0)) }
        }
        let deniedLog: DeniedLog?
        let forwarder: DNSForwarder?
        do throws(NucleusError) {
            let here = try NetworkNamespace()
            (deniedLog, forwarder) = try NetworkSession.configureInside(
                plan, container: here, home: here, logger: logger, onDenied: report)
        } catch {
            return fail(error)
        }
        _ = "ready\n".withCString { write(reportFD, $0, strlen($0)) }
        close(reportFD)
        serve(forwarder: forwarder, deniedLog: deniedLog)
        return 0
    }

    /// Until the plan pipe reports EOF: forwarder sockets and the denial log.
    static func serve(forwarder: DNSForwarder?, deniedLog: DeniedLog?) {
        while true {
            var fds = [pollfd(fd: planFD, events: Int16(POLLIN), revents: 0)]
            fds += forwarder?.pollRequests ?? []
            if let deniedLog { fds.append(pollfd(fd: deniedLog.fd, events: Int16(POLLIN), revents: 0)) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { return }
            if fds[0].revents != 0 {
                deniedLog?.drain()
                return
            }
            for entry in fds.dropFirst() where entry.revents != 0 {
                if let deniedLog, entry.fd == deniedLog.fd {
                    deniedLog.drain()
                } else {
                    forwarder?.handle(entry.fd, revents: entry.revents, now: MonotonicClock.now())
                }
            }
        }
    }

    static func fail(_ error: NucleusError) -> Int32 {
        _ = "error: \(error.description)\n".withCString { write(reportFD, $0, strlen($0)) }
        return 1
    }

    static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            written += count
        }
        return true
    }

    /// One line, without its newline; empty at EOF.
    static func readLine(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1, byte != 0x0A else { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
