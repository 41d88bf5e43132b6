import Foundation
import Testing

/// Policy files: pinned by SHA-256, read once on the host, and every mistake
/// one line naming the file, with nothing started.
@Suite struct PolicyFileTests {
    static func file(_ name: String, _ contents: String) throws -> String {
        let path = "/tmp/nucleus-policy-\(getpid())-\(name)"
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func sha256(_ path: String) throws -> String {
        String(try Process.runCapturing("/usr/bin/sha256sum", [path]).stdout.prefix(64))
    }

    static func refused(_ flags: [String]) throws -> String {
        let result = try NucleusBinary.run(["run"] + flags + ["--", "/bin/echo", "RAN"])
        #expect(result.status == 125, "\(flags): \(result.stderr)")
        #expect(!result.stdout.contains("RAN"))
        #expect(result.stderr.lines.count == 1, "\(result.stderr)")
        return result.stderr
    }

    static let denyGetpriority =
        #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpriority"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}"#

    @Test func aPinnedSeccompProfileIsEnforced() throws {
        let profile = try Self.file("profile.json", Self.denyGetpriority)
        defer { unlink(profile) }
        let errnos = try Probe.run(
            ["getpriority", "unshare-files"],
            flags: ["--seccomp-profile", profile, "--seccomp-profile-sha256", try Self.sha256(profile)])
        #expect(errnos == ["getpriority": 1, "unshare-files": 0])
    }

    @Test func aWrongHashRefusesTheStart() throws {
        let profile = try Self.file("pinned.json", Self.denyGetpriority)
        defer { unlink(profile) }
        let wrong = String(repeating: "0", count: 64)
        let error = try Self.refused(["--seccomp-profile", profile, "--seccomp-profile-sha256", wrong])
        #expect(error.contains("--seccomp-profile \(profile): SHA-256 is \(try Self.sha256(profile))"))
        let caps = try Self.file("pinned.toml", "[bounding]\nkeep = []\n")
        defer { unlink(caps) }
        #expect(try Self.refused(["--caps-policy", caps, "--caps-policy-sha256", wrong]).contains("SHA-256 is"))
        #expect(try Self.refused(["--caps-policy", caps, "--caps-policy-sha256", "xyz"]).contains("not a SHA-256"))
        #expect(try Self.refused(["--caps-policy-sha256", wrong]).contains("needs --caps-policy"))
    }

    @Test(arguments: [
        ("not json", "not a JSON object"),
        (
            #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["no_such_call"], "action": "SCMP_ACT_ERRNO"}]}"#,
            "unknown syscall \"no_such_call\""
        ),
        (#"{"defaultAction": "SCMP_ACT_EXPLODE"}"#, "unknown action SCMP_ACT_EXPLODE"),
        (#"{"defaultAction": "SCMP_ACT_ALLOW", "extra": 1}"#, "unknown key \"extra\""),
        (
            #"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_AARCH64"]}"#,
            "architecture SCMP_ARCH_AARCH64 is not supported (x86_64 only)"
        ),
        (#"{"syscalls": []}"#, "malformed profile: missing \"defaultAction\""),
    ])
    func badSeccompProfilesNameTheFileAndTheProblem(_ contents: String, _ problem: String) throws {
        let profile = try Self.file("bad-\(problem.count).json", contents)
        defer { unlink(profile) }
        let error = try Self.refused(["--seccomp-profile", profile])
        #expect(error.contains("--seccomp-profile \(profile): \(problem)"), "\(error)")
    }

    @Test func anUnreadableFileIsNamed() throws {
        let error = try Self.refused(["--seccomp-profile", "/nonexistent/profile.json"])
        #expect(error.contains("--seccomp-profile /nonexistent/profile.json: cannot read it"))
    }
}

/// `--caps-policy`: what the workload keeps, across the switch to a non-root user.
@Suite struct CapabilityPolicyTests {
    @Test func netBindServiceLetsANonRootUserBindPort80() throws {
        let caps = try PolicyFileTests.file(
            "bind.toml", "[bounding]\nkeep = [\"NET_BIND_SERVICE\"]\n[ambient]\nkeep = [\"CAP_NET_BIND_SERVICE\"]\n")
        // seccomp and Landlock would stop TCP in network mode none on their own: open both for this test.
        let profile = try PolicyFileTests.file("allow-all.json", #"{"defaultAction": "SCMP_ACT_ALLOW"}"#)
        let landlock = try PolicyFileTests.file(
            "tcp80.toml",
            "[[rules]]\npath = \"/usr\"\naccess = [\"read\", \"execute\"]\n[[rules]]\npath = \"/proc\"\naccess = [\"read\"]\n[network]\nbind = [80]\n"
        )
        defer { for path in [caps, profile, landlock] { unlink(path) } }
        let script = """
            import socket
            print(*[l.split()[1] for l in open('/proc/self/status') if l.startswith(('CapEff', 'CapAmb', 'CapBnd'))])
            s = socket.socket(); s.bind(('127.0.0.1', 80)); print('bound')
            """
        let flags = ["--user", "1000", "--seccomp-profile", profile, "--landlock-policy", landlock]
        let kept = try NucleusBinary.run(
            ["run"] + flags + ["--caps-policy", caps, "--", "/usr/bin/python3", "-c", script])
        #expect(kept.stdout.lines == ["0000000000000400 0000000000000400 0000000000000400", "bound"], "\(kept.stderr)")
        let dropped = try NucleusBinary.run(["run"] + flags + ["--", "/usr/bin/python3", "-c", script])
        #expect(dropped.stdout.lines == ["0000000000000000 0000000000000000 0000000000000000"])
        #expect(dropped.stderr.contains("Permission denied"))
    }

    @Test(arguments: [
        ("[bounding]\nkeep = [\"FLY\"]\n", "unknown capability \"FLY\" in [bounding]"),
        ("[ambient]\nkeep = [\"NET_RAW\"]\n", "[ambient] NET_RAW is not in [bounding] keep"),
        (
            "[bounding]\nkeep = [\"NET_RAW\"]\n[effective]\nkeep = [\"NET_RAW\"]\n",
            "[effective] NET_RAW is not in [ambient]"
        ),
        ("[permitted]\nkeep = []\n", "unknown key \"permitted\""),
    ])
    func badPoliciesAreRefused(_ contents: String, _ problem: String) throws {
        let caps = try PolicyFileTests.file("caps-\(problem.count).toml", contents)
        defer { unlink(caps) }
        let error = try PolicyFileTests.refused(["--caps-policy", caps])
        #expect(error.contains("--caps-policy \(caps): \(problem)"), "\(error)")
    }
}
