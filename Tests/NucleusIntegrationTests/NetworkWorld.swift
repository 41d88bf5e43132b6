import Foundation
import Testing

/// A private world for network tests: a namespace acting as "the host" (where
/// nucleus runs, through `ip netns exec`) joined by a veth to one acting as
/// "the internet", which runs `Fixtures/netserver.py` on test addresses
/// (TCP 80/8443, UDP 5000, DNS 53). Nothing reaches the machine's real
/// interfaces. `close()` deletes both namespaces and what lived in them.
final class NetworkWorld {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        .path
    /// The host's address on the link, and the internet's.
    static let hostAddress = "198.51.100.1"
    static let internetAddress = "198.51.100.2"
    /// Servers in the internet namespace.
    static let servers = ["203.0.113.10", "203.0.113.11", "203.0.113.12", "169.254.169.254"]
    static let resolver = "203.0.113.53"
    /// The IPv6 link and servers (documentation blocks).
    static let hostAddress6 = "2001:db8:ffff::1"
    static let internetAddress6 = "2001:db8:ffff::2"
    static let servers6 = ["2001:db8:10::10", "2001:db8:10::11"]

    static let namespaceLock = NSLock()

    let host: String
    let internet: String
    let records: String
    private let server: Process

    init() throws {
        let id = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        host = "nuch-" + id
        internet = "nuci-" + id
        records = "/tmp/\(internet).records"
        try "".write(toFile: records, atomically: true, encoding: .utf8)
        let (hostLink, internetLink) = ("nwh" + id, "nwi" + id)
        // Two first `ip netns add`s at once each bind /run/netns over itself,
        // and the second hides the first one's namespace files.
        Self.namespaceLock.lock()
        defer { Self.namespaceLock.unlock() }
        try Self.ip(["netns", "add", host])
        try Self.ip(["netns", "add", internet])
        try Self.ip([
            "link", "add", hostLink, "netns", host, "type", "veth", "peer", "name", internetLink, "netns", internet,
        ])
        try Self.ip(["-n", host, "link", "set", "lo", "up"])
        try Self.ip(["-n", host, "addr", "add", Self.hostAddress + "/24", "dev", hostLink])
        try Self.ip(["-n", host, "link", "set", hostLink, "up"])
        try Self.ip(["-n", host, "route", "add", "default", "via", Self.internetAddress])
        try Self.ip(["-n", host, "addr", "add", Self.hostAddress6 + "/64", "dev", hostLink, "nodad"])
        try Self.ip(["-n", host, "-6", "route", "add", "default", "via", Self.internetAddress6])
        try Self.ip(["-n", internet, "link", "set", "lo", "up"])
        try Self.ip(["-n", internet, "addr", "add", Self.internetAddress + "/24", "dev", internetLink])
        try Self.ip(["-n", internet, "link", "set", internetLink, "up"])
        for address in Self.servers + [Self.resolver] {
            try Self.ip(["-n", internet, "addr", "add", address + "/32", "dev", "lo"])
        }
        try Self.ip(["-n", internet, "addr", "add", Self.internetAddress6 + "/64", "dev", internetLink, "nodad"])
        for address in Self.servers6 {
            try Self.ip(["-n", internet, "addr", "add", address + "/128", "dev", "lo"])
        }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        server.arguments =
            ["netns", "exec", internet, "python3", Self.fixtures + "/netserver.py", records, Self.resolver]
            + Self.servers + Self.servers6
        let ready = Pipe()
        server.standardOutput = ready
        server.standardError = FileHandle.nullDevice
        try server.run()
        self.server = server
        _ = ready.fileHandleForReading.availableData
    }

    func close() {
        // SIGKILL: the test runner's threads block SIGTERM, and children inherit that mask.
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        _ = try? Self.ip(["netns", "del", host])
        _ = try? Self.ip(["netns", "del", internet])
        try? FileManager.default.removeItem(atPath: records)
        try? FileManager.default.removeItem(atPath: records + ".queries")
    }

    /// Every name the test DNS server was asked, in order.
    var queries: [String] {
        ((try? String(contentsOfFile: records + ".queries", encoding: .utf8)) ?? "").lines
    }

    /// Replaces the DNS records: lines "name ttl address".
    func setRecords(_ lines: [String]) throws {
        try lines.map { $0 + "\n" }.joined().write(toFile: records, atomically: true, encoding: .utf8)
    }

    /// `nucleus ARGS` inside the host namespace.
    func nucleus(_ arguments: [String], stdin: String? = nil, fault: String? = nil) throws -> NucleusBinary.Result {
        NucleusBinary.finish(try start(arguments, stdin: stdin, fault: fault))
    }

    /// `fault`: a `NUCLEUS_FAULT_STEP` for this run.
    func start(_ arguments: [String], stdin: String? = nil, fault: String? = nil) throws -> NucleusBinary.Running {
        let process = Process()
        // nsenter, not `ip netns exec`: that one mounts a fresh sysfs over
        // /sys, hiding the host's cgroups from nucleus.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        let environment = fault.map { ["/usr/bin/env", "NUCLEUS_FAULT_STEP=" + $0] } ?? []
        process.arguments = ["--net=/run/netns/\(host)"] + environment + [NucleusBinary.path] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        return NucleusBinary.Running(process: process, stdout: out, stderr: err, stdin: input)
    }

    /// `netclient.py COMMANDS...` inside a bridge container; one line per command.
    func probe(_ commands: [String], flags: [String] = []) throws -> NucleusBinary.Result {
        try nucleus(Self.clientArguments(commands, flags: flags))
    }

    static func clientArguments(_ commands: [String], flags: [String]) -> [String] {
        ["run", "--network", "bridge", "--volume", fixtures + ":/fixtures:ro"] + flags
            + ["--", "/usr/bin/python3", "/fixtures/netclient.py"] + commands
    }

    /// A command in the host namespace.
    func inHost(_ executable: String, _ arguments: [String]) throws -> NucleusBinary.Result {
        try Process.runCapturing("/usr/sbin/ip", ["netns", "exec", host, executable] + arguments)
    }

    /// A TCP connection from the host namespace; its first line or the failure.
    func connectFromHost(_ address: String, _ port: Int) throws -> String {
        let script = """
            import socket, sys
            try:
                s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
                print("ok " + s.makefile().readline().strip())
            except OSError as e:
                print("failed", e)
            """
        return try inHost("/usr/bin/python3", ["-c", script, address, String(port)]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    /// What a test must find gone after a container: veths, leases, published-port elements.
    /// The kernel removes a veth with its namespace, asynchronously: give it 5 s.
    func leftovers() throws -> [String] {
        var found = try leftoversNow()
        for _ in 0..<50 where !found.isEmpty {
            usleep(100_000)
            found = try leftoversNow()
        }
        return found
    }

    func leftoversNow() throws -> [String] {
        var found: [String] = []
        let links = try inHost("/usr/sbin/ip", ["-o", "link", "show"]).stdout
        found += links.lines.filter { $0.contains(": nuc") && !$0.contains(": nucleus0") }.map { "veth: " + $0 }
        let maps = try inHost("/usr/sbin/nft", ["list", "table", "inet", "nucleus"]).stdout
        found += maps.lines.filter { $0.contains("elements") }.map { "element: " + $0 }
        let inode = try inHost("/usr/bin/stat", ["-L", "-c", "%i", "/proc/self/ns/net"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let directory = "/run/nucleus/network/netns-" + inode
        let leases = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        found += leases.filter { $0.hasSuffix(".lease") }.map { "lease: " + $0 }
        return found
    }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> NucleusBinary.Result {
        let result = try Process.runCapturing("/usr/sbin/ip", arguments)
        guard result.status == 0 else {
            throw NetworkWorldError(message: "ip \(arguments.joined(separator: " ")): \(result.stderr)")
        }
        return result
    }
}

struct NetworkWorldError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
