import Foundation
import Testing

/// The host's own services, devices and secrets, from inside.
@Suite(.serialized) struct HostReachEscapeTests {
    /// A host process listening on an abstract unix socket and on
    /// 127.0.0.1: with `--network none` the container has its own loopback
    /// and abstract namespace, and no inet sockets at all.
    @Test(arguments: EscapeMode.allCases) func hostLoopbackListenersAreUnreachable(mode: EscapeMode) throws {
        let name = "nucleus-escape-\(getpid())"
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        listener.arguments = [
            "-c",
            """
            import socket, sys, time
            u = socket.socket(socket.AF_UNIX); u.bind("\\0\(name)"); u.listen()
            t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen()
            print(t.getsockname()[1], flush=True); time.sleep(60)
            """,
        ]
        let ready = Pipe()
        listener.standardOutput = ready
        try listener.run()
        defer {
            kill(listener.processIdentifier, SIGKILL)
            listener.waitUntilExit()
        }
        let port = String(decoding: ready.fileHandleForReading.availableData, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let results = try Probe.attempt(["connect-abstract:\(name)", "connect-loopback:\(port)"], mode: mode)
        expectBlocked(
            results,
            ["connect-abstract:\(name)": [Errno.econnrefused], "connect-loopback:\(port)": [Errno.eperm]], mode: mode)
    }

    @Test(arguments: EscapeMode.allCases) func hostDevicesAreAbsent(mode: EscapeMode) throws {
        let results = try Probe.attempt(
            [
                "open-read:/dev/mem", "open-read:/dev/kmem", "open-read:/dev/port", "open-read:/dev/kmsg",
                "block-devices",
            ],
            mode: mode)
        expectBlocked(
            results,
            [
                "open-read:/dev/mem": [Errno.enoent], "open-read:/dev/kmem": [Errno.enoent],
                "open-read:/dev/port": [Errno.enoent], "open-read:/dev/kmsg": [Errno.enoent],
            ], mode: mode)
        #expect(results["block-devices"] == 0, "\(mode.rawValue): no block device in /dev")
    }

    /// Secrets the host keeps, and marker files a test drops where a careless
    /// runtime would expose them: none is visible inside.
    @Test(arguments: EscapeMode.allCases) func hostSecretsAndMarkersAreInvisible(mode: EscapeMode) throws {
        let marker = "nucleus-escape-marker-\(getpid())"
        let places = ["/tmp", "/var/tmp", "/etc", "/root"].map { $0 + "/" + marker }
        for place in places { try "secret\n".write(toFile: place, atomically: true, encoding: .utf8) }
        defer { places.forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let secrets = [
            "/etc/shadow", "/etc/gshadow", "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_rsa_key", "/root",
        ]
        let attempts = (secrets + places).map { "open-read:" + $0 }
        let results = try Probe.attempt(attempts, mode: mode)
        expectBlocked(results, Dictionary(uniqueKeysWithValues: attempts.map { ($0, [Errno.enoent]) }), mode: mode)
    }
}
