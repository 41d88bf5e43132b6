import Foundation
import Testing

/// The CLI surface: version, help, usage errors, dry-run, config documents.
@Suite struct CommandLineTests {
    @Test func versionAndHelpExitZero() throws {
        let version = try NucleusBinary.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        let help = try NucleusBinary.run(["run", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--dry-run"))
        #expect(help.stdout.contains("--rootfs"))
    }

    @Test func unknownFlagIsAUsageError() throws {
        let result = try NucleusBinary.run(["run", "--bogus", "--", "/bin/true"])
        #expect(result.status == 2)
        #expect(result.stderr.lines.count == 1)
        #expect(result.stderr.contains("--bogus"))
    }

    @Test func dryRunPrintsThePlanAndStartsNothing() throws {
        let result = try NucleusBinary.run(["run", "--dry-run", "--name", "box1", "--", "/nonexistent", "arg"])
        #expect(result.status == 0)
        for expected in [
            "hostname:    box1", "namespaces:  user pid mount network uts ipc cgroup", "pivot_root",
            "mount proc on /proc", "enforced  capabilities", "enforced  seccomp", "enforced  landlock",
            "landlock (ABI", "allow: accept accept4", "capabilities (after exec: the ambient set):",
        ] {
            #expect(result.stdout.contains(expected), "missing \(expected)")
        }
    }

    @Test func dryRunJSONIsMachineReadable() throws {
        let result = try NucleusBinary.run(["run", "--dry-run", "--format", "json", "--", "/bin/true"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let plan = try #require(object)
        #expect(plan["hostname"] as? String == "nucleus")
        #expect((plan["namespaces"] as? [String])?.contains("user") == true)
        let setup = try #require(plan["setup"] as? [[String: Any]])
        #expect(setup.contains { $0["kind"] as? String == "pivot-root" })
        let mechanisms = try #require(plan["mechanisms"] as? [[String: Any]])
        #expect(
            mechanisms.contains { $0["name"] as? String == "capabilities" && $0["status"] as? String == "enforced" })
    }

    @Test func tomlConfigDocumentRunsTheWholeRequest() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nucleus-\(getpid()).toml")
        try """
        name = "tbox"
        env = ["A=1"]
        workdir = "/usr"
        command = ["/bin/sh", "-c", "echo $(hostname) $A $(pwd)"]
        """.write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let result = try NucleusBinary.run(["run", "--config", path.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "tbox 1 /usr\n")
    }

    @Test func jsonConfigDocumentOnADescriptor() throws {
        let json = #"{"command": ["/bin/sh", "-c", "echo $A"], "env": ["A=2"], "proc_rw": true}"#
        let result = try Process.runCapturing(
            "/bin/bash", ["-c", "\(NucleusBinary.path) run --config-fd 3 3<<'EOF'\n\(json)\nEOF"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "2\n")
    }

    @Test(arguments: [
        ("command = [\n", "malformed TOML"),
        // Found by the config fuzz target: toml++'s debug assertion aborted (exit 134).
        ("[\n", "malformed TOML"),
        ("bogus_key = 1\ncommand = [\"/bin/true\"]\n", "bogus-key"),
        ("name = 3.5\ncommand = \"/bin/true\"\n", "command must be an array"),
    ])
    func badConfigDocumentsAreRefused(_ text: String, _ message: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nucleus-bad-\(getpid())-\(message.count).toml")
        try text.write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let result = try NucleusBinary.run(["run", "--config", path.path])
        #expect(result.status == 125)
        #expect(result.stderr.lines.count == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func configAndSandboxFlagsDoNotMix() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nucleus-mix-\(getpid()).json")
        try #"{"command": ["/bin/true"]}"#.write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let result = try NucleusBinary.run(["run", "--config", path.path, "--name", "x"])
        #expect(result.status == 125)
        #expect(result.stderr.contains("config document holds the whole request"))
    }

    @Test func logsGoToStderrOnly() throws {
        let result = try NucleusBinary.run(["run", "--log-level", "debug", "--", "/bin/echo", "out"])
        #expect(result.status == 0)
        #expect(result.stdout == "out\n")
        #expect(result.stderr.contains("container init started"))
    }
}
