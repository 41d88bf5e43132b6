import CNucleus
import NucleusModel
import NucleusPlan
import NucleusSecurity

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Trace mode's supervisor half: receives the workload's seccomp listener
/// from init, records every syscall notification (the workload and all its
/// descendants, threads included) and lets each one continue.
final class SyscallTracer {
    struct Record {
        var count: Int
        var firstPID: UInt32
    }

    /// Our end of the socket init sends the listener over.
    private var socket: Int32
    private(set) var listener: Int32 = -1
    private(set) var records: [Int32: Record] = [:]

    init(socket: Int32) {
        self.socket = socket
    }

    deinit {
        if socket >= 0 { close(socket) }
        if listener >= 0 { close(listener) }
    }

    /// What to poll: the socket until the listener arrives, then the listener.
    var pollFD: Int32 { listener >= 0 ? listener : socket }

    func handle(revents: Int16) {
        if listener < 0 {
            let fd = nucleus_receive_fd(socket)
            close(socket)
            socket = -1
            listener = fd >= 0 ? fd : -1
            return
        }
        if revents & Int16(POLLIN) == 0 {
            // The last filtered task is gone: nothing more will arrive.
            close(listener)
            listener = -2
            return
        }
        var number: Int32 = 0
        var pid: UInt32 = 0
        var id: UInt64 = 0
        guard nucleus_notif_receive(listener, &number, &pid, &id) == 0 else { return }
        records[number, default: Record(count: 0, firstPID: pid)].count += 1
        _ = nucleus_notif_continue(listener, id)
    }

    /// Whether there is still something to poll.
    var active: Bool { listener != -2 && pollFD >= 0 }

    /// One JSON object per distinct syscall, sorted by name.
    func write(to path: String) throws(NucleusError) {
        let lines = records.map { number, record in
            (SyscallNames.name(number) ?? "syscall_\(number)", number, record)
        }.sorted { $0.0 < $1.0 }.map { name, number, record in
            #"{"name":"\#(name)","number":\#(number),"count":\#(record.count),"first_pid":\#(record.firstPID)}"#
        }
        try LiveHost().writeFile(path, contents: lines.map { $0 + "\n" }.joined())
    }
}
