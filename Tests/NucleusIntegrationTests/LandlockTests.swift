import Foundation
import Testing

/// Landlock, observed from inside: the default rules follow the mounts, a
/// policy file replaces them, TCP and signals are confined.
@Suite struct LandlockTests {
    static func file(_ name: String, _ contents: String) throws -> String {
        let path = "/tmp/nucleus-landlock-\(getpid())-\(name)"
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Everything allowed by seccomp, so only Landlock decides.
    static func allowAllProfile() throws -> String {
        try file("allow-all.json", #"{"defaultAction": "SCMP_ACT_ALLOW"}"#)
    }

    @Test func defaultRulesFollowTheMounts() throws {
        let result = try NucleusBinary.run([
            "run", "--tmpfs", "/scratch", "--volume", "\(Probe.directory):/probe:ro", "--", "/bin/sh", "-c",
            """
            grep ' /scratch ' /proc/self/mountinfo | grep -c noexec
            touch /tmp/a /scratch/b && echo wrote
            cp /bin/true /scratch/t; /scratch/t; echo exec=$?
            cat /etc/hostname
            /probe/probe kill-init
            """,
        ])
        #expect(result.stdout.lines == ["0", "wrote", "exec=126", "nucleus", "kill-init=1"], "\(result.stderr)")
        #expect(result.stderr.contains("/scratch/t: Permission denied"))
    }

    @Test func aPolicyFileReplacesTheDefaults() throws {
        let policy = try Self.file(
            "ro-tmp.toml",
            """
            min_abi = 1
            [[rules]]
            path = "/usr"
            access = ["read", "execute"]
            [[rules]]
            path = "/tmp"
            access = ["read"]
            """)
        defer { unlink(policy) }
        let result = try NucleusBinary.sh(
            "ls -d /tmp; touch /tmp/x; cat /etc/hostname",
            flags: ["--landlock-policy", policy])
        #expect(result.stdout.lines == ["/tmp"], "\(result.stderr)")
        #expect(result.stderr.contains("touch: cannot touch '/tmp/x': Permission denied"))
        #expect(result.stderr.contains("/etc/hostname: Permission denied"))
    }

    @Test func tcpFollowsTheRules() throws {
        let profile = try Self.allowAllProfile()
        defer { unlink(profile) }
        let bind = """
            import socket
            s = socket.socket(); s.bind(('127.0.0.1', 8080)); s.listen(); print('bound')
            try:
                socket.create_connection(('127.0.0.1', 8080)); print('connected')
            except PermissionError:
                print('connect denied')
            """
        let denied = try NucleusBinary.run([
            "run", "--seccomp-profile", profile, "--", "/usr/bin/python3", "-c", bind,
        ])
        #expect(denied.stderr.contains("PermissionError"), "\(denied.stderr)")
        let policy = try Self.file(
            "tcp.toml",
            """
            [[rules]]
            path = "/usr"
            access = ["read", "execute"]
            [network]
            bind = [8080]
            """)
        defer { unlink(policy) }
        let allowed = try NucleusBinary.run([
            "run", "--seccomp-profile", profile, "--landlock-policy", policy, "--", "/usr/bin/python3", "-c", bind,
        ])
        #expect(allowed.stdout == "bound\nconnect denied\n", "\(allowed.stderr)")
    }

    @Test func badPoliciesStopBeforeStart() throws {
        for (name, contents, problem) in [
            ("word.toml", "[[rules]]\npath = \"/usr\"\naccess = [\"fly\"]\n", "unknown access \"fly\""),
            ("abi.toml", "min_abi = 99\n", "needs Landlock ABI 99"),
            ("key.toml", "rulez = []\n", "unknown key \"rulez\""),
            ("broken.toml", "[[rules]\n", "malformed TOML"),
            ("relative.toml", "[[rules]]\npath = \"usr\"\naccess = [\"read\"]\n", "every rule needs an absolute path"),
        ] {
            let policy = try Self.file(name, contents)
            defer { unlink(policy) }
            let result = try NucleusBinary.run(["run", "--landlock-policy", policy, "--", "/bin/echo", "RAN"])
            #expect(result.status == 125, "\(name)")
            #expect(!result.stdout.contains("RAN"))
            #expect(result.stderr.lines.count == 1, "\(name): \(result.stderr)")
            #expect(result.stderr.contains("--landlock-policy \(policy): \(problem)"), "\(result.stderr)")
        }
    }
}
