import Foundation
import Testing

/// `--secret`: where the bytes go, and everywhere they must not.
@Suite struct SecretTests {
    /// A host secret file with unique contents, mode 0600.
    static func secretFile(_ name: String) throws -> (path: String, value: String) {
        let value = "TOPSECRET-\(UUID().uuidString)"
        let path = "/srv/nucleus-secret-\(getpid())-\(name)"
        try value.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return (path, value)
    }

    @Test func secretsAreReadOnlyFilesOwnedByTheWorkload() throws {
        let secret = try Self.secretFile("owned")
        defer { unlink(secret.path) }
        let result = try NucleusBinary.sh(
            "cat /run/secrets/token; echo; cat /etc/app/token; echo; stat -c '%a %u' /run/secrets /run/secrets/token; "
                + "awk '$5 == \"/run/secrets\" || $5 == \"/etc/app/token\" { print $6 }' /proc/self/mountinfo; "
                + "echo x > /run/secrets/new",
            flags: [
                "--user", "1000", "--secret", "\(secret.path):/run/secrets/token", "--secret",
                "\(secret.path):/etc/app/token",
            ])
        let lines = result.stdout.lines
        #expect(lines.prefix(4) == [secret.value, secret.value, "700 1000", "400 1000"])
        for options in lines.dropFirst(4) {
            for option in ["ro", "nosuid", "nodev", "noexec"] { #expect(options.contains(option), "\(options)") }
        }
        #expect(result.stderr.contains("Read-only file system"))
    }

    @Test func secretValuesAppearInNoArgvEnvironmentPlanOrLog() throws {
        let secret = try Self.secretFile("quiet")
        defer { unlink(secret.path) }
        let flags = ["--secret", "\(secret.path):/run/secrets/token"]
        for format in ["text", "json"] {
            let plan = try NucleusBinary.run(["run", "--dry-run", "--format", format] + flags + ["--", "/bin/true"])
            #expect(plan.status == 0)
            #expect(plan.stdout.contains(secret.path))
            #expect(!plan.stdout.contains(secret.value))
        }
        let running = try NucleusBinary.start(
            ["run", "--log-level", "trace"] + flags
                + ["--", "/bin/sh", "-c", "cat /proc/1/cmdline /proc/1/environ; env; echo; echo ready; exec sleep 5"])
        defer { kill(running.process.processIdentifier, SIGKILL) }
        var inside = ""
        while !inside.hasSuffix("ready\n") {
            let data = running.stdout.fileHandleForReading.readData(ofLength: 1)
            if data.isEmpty { break }
            inside += String(decoding: data, as: UTF8.self)
        }
        #expect(!inside.contains(secret.value), "the secret is in the container's argv or environment")
        let nucleus = running.process.processIdentifier
        let initPid = HostState.children(of: nucleus).first
        for pid in [nucleus] + (initPid.map { [$0] } ?? []) {
            for file in ["cmdline", "environ"] {
                let text = (try? String(contentsOfFile: "/proc/\(pid)/\(file)", encoding: .utf8)) ?? ""
                #expect(!text.contains(secret.value), "/proc/\(pid)/\(file)")
            }
            #expect(!HostState.memory(of: pid, contains: secret.value), "process \(pid) still holds the secret")
        }
        #expect(initPid != nil)
        kill(nucleus, SIGTERM)
        let result = NucleusBinary.finish(running)
        #expect(!result.stderr.contains(secret.value))
        #expect(result.stderr.contains("container init started"))
    }

    @Test func badSecretsAreRefusedBeforeStart() throws {
        let secret = try Self.secretFile("bad")
        defer { unlink(secret.path) }
        let cases: [[String]] = [
            ["--secret", "/srv/nonexistent-\(getpid()):/run/secrets/x"],
            ["--secret", "/srv:/run/secrets/x"],
            ["--secret", "relative:/run/secrets/x"],
            ["--secret", "\(secret.path):/usr/token"],
            ["--secret", "\(secret.path)"],
            ["--secret", "\(secret.path):/run/secrets/x", "--secret", "\(secret.path):/run/secrets/x"],
            ["--volume", "/srv:/data:ro", "--secret", "\(secret.path):/data/token"],
        ]
        for flags in cases {
            let result = try NucleusBinary.run(["run"] + flags + ["--", "/bin/echo", "RAN"])
            #expect(result.status == 125, "\(flags)")
            #expect(result.stderr.lines.count == 1, "\(flags): \(result.stderr)")
            #expect(!result.stdout.contains("RAN"))
        }
    }
}

extension HostState {
    /// Direct children of `pid` (from /proc/PID/task/PID/children).
    static func children(of pid: Int32) -> [Int32] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Whether any readable mapping of `pid` holds `needle` (needs root).
    static func memory(of pid: Int32, contains needle: String) -> Bool {
        guard let maps = try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8) else { return false }
        let memory = open("/proc/\(pid)/mem", O_RDONLY)
        guard memory >= 0 else { return false }
        defer { close(memory) }
        let pattern = Array(needle.utf8)
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, fields[1].hasPrefix("r"), !line.hasSuffix("[vvar]"), !line.hasSuffix("[vsyscall]")
            else { continue }
            let bounds = fields[0].split(separator: "-").compactMap { UInt64($0, radix: 16) }
            guard bounds.count == 2, bounds[1] > bounds[0], bounds[1] - bounds[0] <= 1 << 30 else { continue }
            var buffer = [UInt8](repeating: 0, count: Int(bounds[1] - bounds[0]))
            let count = buffer.withUnsafeMutableBytes { pread(memory, $0.baseAddress, $0.count, off_t(bounds[0])) }
            guard count > 0 else { continue }
            if buffer[..<count].firstRange(of: pattern) != nil { return true }
        }
        return false
    }
}

/// `--systemd-credential`: a credential from systemd's `$CREDENTIALS_DIRECTORY`, as a secret.
@Suite struct SystemdCredentialTests {
    @Test func aCredentialBecomesASecretFile() throws {
        let directory = "/tmp/nucleus-credentials-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "db-password\n".write(toFile: directory + "/db", atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["CREDENTIALS_DIRECTORY"] = directory
        let result = try NucleusBinary.sh(
            "cat /run/secrets/db; stat -c '%a %U' /run/secrets/db",
            flags: ["--systemd-credential", "db:/run/secrets/db"],
            environment: environment)
        #expect(result.stdout.lines == ["db-password", "400 root"], "\(result.stderr)")
        environment["CREDENTIALS_DIRECTORY"] = nil
        let unset = try NucleusBinary.sh(
            "true", flags: ["--systemd-credential", "db:/run/secrets/db"], environment: environment)
        #expect(unset.status == 125)
        #expect(unset.stderr.contains("$CREDENTIALS_DIRECTORY is not set"))
        let traversal = try NucleusBinary.sh("true", flags: ["--systemd-credential", "../etc/shadow:/x"])
        #expect(traversal.status == 125)
    }
}
