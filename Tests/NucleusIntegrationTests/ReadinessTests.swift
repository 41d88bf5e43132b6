import Foundation
import Testing

/// `--readiness-exec`, `--readiness-tcp` and `--sd-notify`, with a real
/// datagram listener standing in for systemd.
@Suite struct ReadinessTests {
    /// Receives one datagram on a fresh unix socket and prints it.
    static func listener(_ path: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            "-c",
            "import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); "
                + "s.settimeout(20); print(s.recv(4096).decode(), end='')", path,
        ]
        process.standardOutput = Pipe()
        try process.run()
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: path) { usleep(20_000) }
        return process
    }

    /// Probes start once the workload has exec'd, when init has finished the
    /// container, not while it is still mounting (300 tmpfs mounts make that
    /// take long enough that an early probe always lands in it): the probe
    /// then sees the container's /etc and writes to its /tmp.
    @Test func probesWaitForTheFinishedContainer() throws {
        let seen = "/tmp/nucleus-readiness-seen-\(getpid())"
        defer { unlink(seen) }
        let mounts = (1...300).flatMap { ["--tmpfs", "/scratch/t\($0)"] }
        let result = try NucleusBinary.run(
            ["run"] + mounts + [
                "--hostname", "probe-box", "--readiness-exec", "cat /etc/hostname >> \(seen)", "--", "/bin/sh", "-c",
                "for i in $(seq 100); do [ -s \(seen) ] && break; sleep 0.1; done; cat \(seen)",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "probe-box\n")
        #expect(access(seen, F_OK) != 0, "a probe wrote to the host's /tmp")
    }

    /// Like health checks, an exec probe runs in the container's cgroups.
    @Test func anExecProbeRunsInTheContainersCgroups() throws {
        let result = try NucleusBinary.run([
            "run", "--pids", "64", "--readiness-exec", "cat /proc/self/cgroup > /tmp/probe-cgroup", "--", "/bin/sh",
            "-c", "for i in $(seq 100); do [ -s /tmp/probe-cgroup ] && break; sleep 0.1; done; cat /tmp/probe-cgroup",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.lines.contains { $0.contains(":pids:") && $0.hasSuffix(":/") }, "\(result.stdout)")
        #expect(!result.stdout.contains("/.."), "\(result.stdout)")
    }

    @Test func readyAfterTheCommandSucceedsIsRelayedToNotifySocket() throws {
        let socket = "/tmp/nucleus-notify-\(getpid()).sock"
        let events = "/tmp/nucleus-ready-\(getpid()).jsonl"
        defer {
            unlink(socket)
            unlink(events)
        }
        let systemd = try Self.listener(socket)
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = socket
        let result = try NucleusBinary.run(
            [
                "run", "--readiness-exec", "test -f /tmp/up", "--sd-notify", "--events-jsonl", events, "--", "/bin/sh",
                "-c", "sleep 0.3; touch /tmp/up; sleep 0.5",
            ], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        systemd.waitUntilExit()
        let received = (systemd.standardOutput as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data()
        #expect(String(decoding: received, as: UTF8.self) == "READY=1\nSTATUS=workload ready\n")
        let kinds = try String(contentsOfFile: events, encoding: .utf8).lines.compactMap {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["event"] as? String
        }
        #expect(kinds == ["start", "ready", "exit"])
    }

    @Test func theWorkloadsOwnReadyIsRelayedAndItsSocketRemoved() throws {
        let socket = "/tmp/nucleus-notify-own-\(getpid()).sock"
        defer { unlink(socket) }
        let systemd = try Self.listener(socket)
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = socket
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: "/run")) ?? [])
        let result = try NucleusBinary.run(
            [
                "run", "--readiness-sd-notify", "--sd-notify", "--user", "1000", "--", "/usr/bin/python3", "-c",
                "import os, socket, time; time.sleep(0.2); "
                    + "socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'READY=1', os.environ['NOTIFY_SOCKET']); "
                    + "time.sleep(0.3)",
            ], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        systemd.waitUntilExit()
        let received = (systemd.standardOutput as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data()
        #expect(String(decoding: received, as: UTF8.self) == "READY=1\nSTATUS=workload ready\n")
        let after = Set((try? FileManager.default.contentsOfDirectory(atPath: "/run")) ?? [])
        #expect(after.subtracting(before).filter { $0.hasPrefix("nucleus-notify-") }.isEmpty)
    }

    @Test func aTCPPortThatAcceptsMakesItReady() throws {
        let events = "/tmp/nucleus-ready-tcp-\(getpid()).jsonl"
        defer { unlink(events) }
        let port = 41_000 + Int(getpid() % 1000)
        let result = try NucleusBinary.run([
            "run", "--network", "host", "--allow-host-network", "--allow-degraded-security", "--readiness-tcp",
            String(port), "--events-jsonl", events, "--", "/usr/bin/python3", "-c",
            "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', \(port))); s.listen(); time.sleep(1)",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: events, encoding: .utf8).contains("\"event\": \"ready\""))
    }

    @Test func sdNotifyNeedsASocketAndAReadinessProbe() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = nil
        let unset = try NucleusBinary.run(
            ["run", "--readiness-tcp", "80", "--sd-notify", "--", "/bin/true"], environment: environment)
        #expect(unset.status == 125)
        #expect(unset.stderr.contains("$NOTIFY_SOCKET is not set"))
        environment["NOTIFY_SOCKET"] = "/tmp/x.sock"
        let noProbe = try NucleusBinary.run(["run", "--sd-notify", "--", "/bin/true"], environment: environment)
        #expect(noProbe.stderr.contains("needs a --readiness-* option"))
        let both = try NucleusBinary.run([
            "run", "--readiness-tcp", "80", "--readiness-exec", "true", "--", "/bin/true",
        ])
        #expect(both.status == 125)
    }
}
