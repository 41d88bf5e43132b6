import ArgumentParser
import Testing

@testable import NucleusCLI

/// The start path's hand-written parser must agree with swift-argument-parser
/// on everything it accepts, and hand everything else back.
@Suite struct FastRunParserTests {
    static let accepted: [[String]] = [
        ["--", "/bin/true"],
        ["--name", "box1", "--", "/bin/sh", "-c", "echo hi"],
        ["--name=box1", "--hostname", "h2", "--rootfs", "/srv/r", "--rootfs-size", "64M", "--", "x"],
        ["--network", "host", "--allow-host-network", "--proc-rw", "--allow-chroot-fallback", "--", "x", "--name"],
        ["--network", "bridge", "--nat-backend", "kernel", "--subnet", "10.89.0.0/16", "-p", "8080:80", "--", "x"],
        [
            "--publish=127.0.0.1:53:53/udp", "--dns", "10.0.0.53", "--egress-allow", "192.0.2.0/24",
            "--egress-tcp-port", "443", "--egress-udp-port=53", "--egress-domain", "*.example.com", "--", "x",
        ],
        ["--time-namespace", "--time-offset-monotonic", "5", "--time-offset-boottime=7", "--", "x"],
        ["--userns-base", "200000", "--user", "1000", "--group", "1001", "--home", "/h", "--workdir", "/w", "--", "x"],
        ["-e", "A=1", "--env", "B=2", "--env=C", "--env-file", "/f", "--env-file", "/g", "--", "x"],
        ["--preserve-fds", "2", "--terminal", "--name", "a", "--name", "b", "--", "x", "--", "y"],
        ["--volume", "/a:/b:ro", "--volume=/c:/d", "--tmpfs", "/s:1M", "--tmpfs=/t", "--", "x"],
        ["--user", "svc", "--group", "video", "--additional-group", "44", "--secret", "/s:/run/secrets/s", "--", "x"],
        ["--workspace", "/w", "--workspace-mode", "bind-ro", "--workspace-exec", "--protect", ".envrc", "--", "x"],
        ["--workspace=/w", "--unprotect-git", "--env-fd", "3", "--", "x"],
        ["--context", "/c", "--context-mode", "bind", "--verify-context-integrity", "--", "x"],
        ["--provider-config-ro", "/a:.config/a", "--provider-config-rw=/b:/home/agent/b", "--", "x"],
        ["--seccomp-profile", "/p.json", "--seccomp-profile-sha256", "ab", "--seccomp-log-denied", "--", "x"],
        [
            "--seccomp-mode", "trace", "--seccomp-log", "/t.ndjson", "--seccomp-allow", "ptrace", "--allow-jit", "--",
            "x",
        ],
        ["--landlock-policy", "/l.toml", "--landlock-policy-sha256=cd", "--caps-policy", "/c.toml", "--", "x"],
        ["--caps-policy-sha256", "ef", "--systemd-credential", "token:/run/secrets/token", "--", "x"],
        ["--memory", "32M", "--memory-swap=64M", "--cpus", "0.5", "--cpu-weight", "200", "--cpuset", "0", "--", "x"],
        ["--pids", "8", "--io-limit", "8:0 rbps=1048576", "--memlock", "1M", "--nofile", "100", "--", "x"],
        ["--health-cmd", "test -f /tmp/ok", "--health-interval", "0.5", "--health-retries", "2", "--", "x"],
        ["--readiness-sd-notify", "--", "x"],
        ["--readiness-exec", "test -f /tmp/up", "--readiness-tcp", "8080", "--sd-notify", "--", "x"],
        ["--health-start-period=1", "--health-timeout", "2", "--health-exit-on-unhealthy", "--", "x"],
        ["--stats-json", "/s.json", "--events-jsonl", "/e.jsonl", "--events-fd", "5", "--", "x"],
        ["--service-mode", "production", "--trust-level", "trusted", "--stop-timeout", "2.5", "--", "x"],
        [
            "--verify-rootfs-attestation", "--strict-agent", "--allow-degraded-security", "--require-kernel-lockdown",
            "integrity", "--", "x",
        ],
    ]

    @Test(arguments: accepted)
    func agreesWithArgumentParser(_ arguments: [String]) throws {
        let fast = try #require(FastRunParser.parse(["nucleus", "run"] + arguments))
        let reference = try SandboxOptions.parse(arguments).flags
        #expect(fast.flags == reference)
        #expect(fast.dryRun == nil)
    }

    static let dryRuns: [[String]] = [
        ["--dry-run", "--", "/bin/true"], ["--dry-run", "--format", "json", "--", "x"],
        ["--format=json", "--memory", "32M", "--dry-run", "--", "x"], ["--format", "text", "--dry-run", "--", "x"],
        ["--format", "json", "--", "x"],
    ]

    /// `--dry-run` and `--format` mean what `RunCommand` makes of them.
    @Test(arguments: dryRuns)
    func dryRunAgreesWithArgumentParser(_ arguments: [String]) throws {
        let fast = try #require(FastRunParser.parse(["nucleus", "run"] + arguments))
        let reference = try RunCommand.parse(arguments)
        #expect(fast.flags == reference.sandbox.flags)
        #expect(fast.dryRun == (reference.dryRun ? reference.format : nil))
    }

    static let handedBack: [[String]] = [
        [], ["--"], ["--help", "--", "x"], ["--dry-run=yes", "--", "x"], ["--format", "yaml", "--dry-run", "--", "x"],
        ["--config", "c.toml"],
        ["--log-level", "debug", "--", "x"],
        ["--bogus", "--", "x"], ["--preserve-fds", "abc", "--", "x"], ["--network", "bridged", "--", "x"], ["--name"],
        ["--terminal=yes", "--", "x"], ["--context-mode", "rsync", "--", "x"], ["/bin/true"], ["--name", "--", "x"],
    ]

    @Test(arguments: handedBack)
    func handsBackWhatItDoesNotKnow(_ arguments: [String]) {
        #expect(FastRunParser.parse(["nucleus", "run"] + arguments) == nil)
        #expect(FastRunParser.parse(["nucleus", "other"] + arguments) == nil)
    }

    @Test func knowsEverySandboxFlag() {
        // Option lines of the help start with the flag names: "-e, --env <key[=value]>   Set ...".
        var flags: Set<String> = []
        for line in SandboxOptions.helpMessage(columns: 1000).split(separator: "\n") {
            let words = line.split(separator: " ").map { $0.trimmingCharacters(in: [","]) }
            guard words.first?.hasPrefix("-") == true else { continue }
            flags.formUnion(words.prefix { $0.hasPrefix("-") || $0.hasPrefix("<") }.filter { $0.hasPrefix("-") })
        }
        flags.subtract(["-h", "--help"])
        let known = Set(FastRunParser.Flag.allCases.map(\.rawValue))
        #expect(flags == known, "differs: \(flags.symmetricDifference(known))")
    }
}
