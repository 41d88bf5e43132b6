import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The host side's handles on the container's init: its pidfd and the two
/// channels of the start protocol (sync, a socket: we release it and hand
/// it descriptors; error, a pipe: it reports).
final class ContainerInit {
    let pid: pid_t
    let pidfd: Int32
    private var syncFD: Int32
    private(set) var errorFD: Int32

    init(pid: pid_t, pidfd: Int32, syncFD: Int32, errorFD: Int32) {
        self.pid = pid
        self.pidfd = pidfd
        self.syncFD = syncFD
        self.errorFD = errorFD
    }

    /// One byte tells the child its id maps are in place. The socket then stays
    /// open: its closing is how the child learns nucleus died.
    func release() throws(NucleusError) {
        var byte: UInt8 = 1
        guard write(syncFD, &byte, 1) == 1 else {
            throw NucleusError("release the container's init", syscall: "write", errno: errno)
        }
    }

    /// cgroup v1: the `tasks` files init moves itself through at its join-cgroup step.
    func send(cgroupTasks fds: [Int32]) throws(NucleusError) {
        let rc = nucleus_send_fds(syncFD, fds, UInt32(fds.count))
        guard rc == 0 else {
            throw NucleusError("hand the container's init its cgroups", syscall: "sendmsg", errno: -rc)
        }
    }

    func signal(_ signal: Int32) {
        _ = nucleus_pidfd_send_signal(pidfd, signal)
    }

    func kill() { signal(SIGKILL) }

    /// Blocks until init exits; returns (status or signal number, killed by signal).
    func waitForExit() -> (code: Int32, signaled: Bool) {
        var code: Int32 = 0
        var signaled: Int32 = 0
        if nucleus_wait_pidfd(pidfd, &code, &signaled) < 0 { return (Int32(NUCLEUS_EXIT_SETUP_FAILED), false) }
        return (code, signaled != 0)
    }

    enum ErrorPipeEvent: Equatable {
        case failure(ChildFailure)
        /// Every writer is gone: the workload exec'd, or init exited.
        case endOfFile
        case interrupted
    }

    func readErrorPipe() -> ErrorPipeEvent {
        var record = nucleus_child_error()
        let size = MemoryLayout<nucleus_child_error>.size
        let count = withUnsafeMutableBytes(of: &record) { read(errorFD, $0.baseAddress, size) }
        if count < 0, errno == EINTR || errno == EAGAIN { return .interrupted }
        guard count == size else { return .endOfFile }
        return .failure(ChildFailure(step: record.step, syscall: record.syscall, errno: record.err))
    }

    func closeErrorPipe() {
        if errorFD >= 0 { Glibc.close(errorFD) }
        errorFD = -1
    }

    func close() {
        closeErrorPipe()
        if syncFD >= 0 { Glibc.close(syncFD) }
        syncFD = -1
        Glibc.close(pidfd)
    }
}
