import Foundation
import Testing

/// The default sandbox, observed from inside real containers.
@Suite struct IsolationTests {
    @Test func helloFromTheDefaultHostname() throws {
        let result = try NucleusBinary.sh("echo hello from $(hostname)")
        #expect(result.status == 0)
        #expect(result.stdout == "hello from nucleus\n")
        #expect(result.stderr == "")
    }

    @Test func everyNamespaceIsNew() throws {
        let kinds = ["user", "pid", "mnt", "net", "uts", "ipc", "cgroup"]
        let script = kinds.map { "readlink /proc/self/ns/\($0)" }.joined(separator: "; ")
        let result = try NucleusBinary.sh(script)
        #expect(result.status == 0)
        let inside = result.stdout.lines
        #expect(inside.count == kinds.count)
        for (kind, link) in zip(kinds, inside) {
            let host = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/\(kind)")
            #expect(link != host, "namespace \(kind) is shared with the host")
        }
    }

    @Test func timeNamespaceAppliesTheBoottimeOffset() throws {
        let result = try NucleusBinary.sh(
            "readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime",
            flags: ["--time-namespace", "--time-offset-boottime", "86400"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.lines
        let host = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/time")
        #expect(lines.first != host)
        #expect((Int(lines.last ?? "") ?? 0) >= 86400)
    }

    @Test func rootMapsContainerRootToAnUnprivilegedRange() throws {
        try #require(HostState.isRoot, "mapping a 65536-id range needs host root")
        let result = try NucleusBinary.sh(
            "cat /proc/self/uid_map /proc/self/gid_map", flags: ["--userns-base", "200000"])
        #expect(result.status == 0)
        let rows = result.stdout.lines.map { $0.split(separator: " ").map(String.init) }
        #expect(rows == [["0", "200000", "65536"], ["0", "200000", "65536"]])
    }

    @Test func rootlessMapsContainerRootToTheCaller() throws {
        try #require(HostState.isRoot, "the test drops to uid 65534 with setpriv")
        // The checkout may sit below a directory uid 65534 cannot enter: run a copy.
        let directory = try FileManager.default.url(
            for: .itemReplacementDirectory, in: .userDomainMask, appropriateFor: URL(fileURLWithPath: "/tmp"),
            create: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = directory.appendingPathComponent("nucleus").path
        try FileManager.default.copyItem(atPath: NucleusBinary.path, toPath: binary)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let result = try Process.runCapturing(
            "/usr/bin/setpriv",
            [
                "--reuid", "65534", "--regid", "65534", "--clear-groups", binary, "run", "--", "/bin/sh", "-c",
                "cat /proc/self/uid_map; id -u; echo x > /dev/null && echo devnull-ok",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.lines
        #expect(lines.first?.split(separator: " ").map(String.init) == ["0", "65534", "1"])
        #expect(lines.dropFirst().first == "0")
        #expect(lines.last == "devnull-ok")
    }

    @Test func capabilitiesAreEmptyAndNoNewPrivsIsSet() throws {
        let result = try NucleusBinary.sh(#"grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):" /proc/self/status"#)
        #expect(result.status == 0)
        let fields = Dictionary(
            uniqueKeysWithValues: result.stdout.lines.map { line in
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                return (parts[0], parts[1])
            })
        for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
            #expect(fields[set] == "0000000000000000", "\(set) is \(fields[set] ?? "missing")")
        }
        #expect(fields["NoNewPrivs"] == "1")
    }

    @Test func networkNoneHasOnlyLoopbackUpAndNoRoute() throws {
        let result = try NucleusBinary.sh(
            "ls /sys/class/net; cat /sys/class/net/lo/flags; tail -n +2 /proc/net/route | wc -l")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.lines
        #expect(lines.first == "lo")
        #expect(lines.count == 3)
        #expect((Int(lines[1].dropFirst(2), radix: 16) ?? 0) & 0x1 == 1, "lo is not up")
        #expect(lines.last == "0")
    }

    @Test func aHostLoopbackListenerIsUnreachable() throws {
        let listener = try LoopbackListener()
        let result = try NucleusBinary.run(
            ["run", "--", "/bin/bash", "-c", "echo x > /dev/tcp/127.0.0.1/\(listener.port) && echo connected"])
        #expect(result.status != 0)
        #expect(!result.stdout.contains("connected"))
    }

    @Test func hostNetworkNeedsItsOptInAndLeavesSysAbsent() throws {
        let refused = try NucleusBinary.sh("true", flags: ["--network", "host"])
        #expect(refused.status == 125)
        #expect(refused.stderr.contains("--allow-host-network"))
        let result = try NucleusBinary.sh(
            "readlink /proc/self/ns/net; test -e /sys && echo sys-present || echo sys-absent",
            flags: ["--network", "host", "--allow-host-network"])
        #expect(result.status == 0)
        let host = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        #expect(result.stdout.lines == [host, "sys-absent"])
    }

    @Test func hostnameComesFromHostnameThenName() throws {
        #expect(try NucleusBinary.run(["run", "--name", "box1", "--", "hostname"]).stdout == "box1\n")
        #expect(
            try NucleusBinary.run(["run", "--name", "box1", "--hostname", "h2", "--", "hostname"]).stdout == "h2\n")
        let bad = try NucleusBinary.run(["run", "--hostname", "bad_name", "--", "/bin/echo", "RAN"])
        #expect(bad.status == 125)
        #expect(!bad.stdout.contains("RAN"))
        #expect(bad.stderr.lines.count == 1)
        #expect(bad.stderr.hasPrefix("nucleus: error: hostname \"bad_name\""))
        let badName = try NucleusBinary.run(["run", "--name", "my_box", "--", "/bin/echo", "RAN"])
        #expect(badName.status == 125)
        #expect(badName.stderr.contains("--hostname"))
    }

    @Test func sessionIsNewWithoutAControllingTerminal() throws {
        // Fields 6 and 7 of /proc/self/stat: the session id and the controlling tty.
        let result = try NucleusBinary.sh("cut -d' ' -f6,7 /proc/self/stat")
        #expect(result.status == 0)
        #expect(result.stdout == "1 0\n")
    }
}

extension Process {
    static func runCapturing(_ executable: String, _ arguments: [String]) throws -> NucleusBinary.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return .init(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A TCP listener on the host's 127.0.0.1, on a free port.
final class LoopbackListener {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }
}
