import Foundation
import Testing

/// `--context`: a read-only tree at /context in which VCS metadata, credential
/// files and escaping symlinks never appear, in either mode.
@Suite struct ContextTests {
    /// Every exclusion class next to what must survive, owned by uid 1234.
    static func tree(_ name: String) throws -> URL {
        let url = URL(fileURLWithPath: "/srv/nucleus-ctx-\(getpid())-\(name)")
        try? FileManager.default.removeItem(at: url)
        let script = """
            set -e
            mkdir -p \(url.path) && cd \(url.path)
            mkdir -p .git/hooks .hg .svn src/deep secrets Credentials
            echo ref > .git/HEAD; echo h > .hg/store; echo s > .svn/entries
            for f in .env .env.local cert.pem server.KEY id_rsa id_rsa.pub id_ed25519 bundle.p12 \\
                .netrc .npmrc .pypirc credentials.json api_secret.txt src/deep/.env src/deep/TopSecret.md; do
                echo hidden > "$f"
            done
            echo s > secrets/token; echo c > Credentials/aws
            echo readme > README.md; echo 'print(1)' > src/deep/code.py; chmod 600 src/deep/code.py
            printf '#!/bin/sh\\necho ran\\n' > run.sh; chmod 755 run.sh
            ln -s ../README.md src/readme-link; ln -s deep/code.py src/code-link
            ln -s /etc/passwd absolute-link; ln -s ../../../etc/shadow src/escaping-link
            ln -s .env env-link; mkfifo pipe
            chown -R 1234:1234 .
            """
        let result = try Process.runCapturing("/bin/sh", ["-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        return url
    }

    static let visible = [
        "/context", "/context/README.md", "/context/env-link", "/context/run.sh", "/context/src",
        "/context/src/code-link", "/context/src/deep", "/context/src/deep/code.py", "/context/src/readme-link",
    ]

    @Test(arguments: ["copy", "bind"])
    func eachExclusionClassIsInvisible(_ mode: String) throws {
        let tree = try Self.tree("hide-\(mode)")
        defer { try? FileManager.default.removeItem(at: tree) }
        let result = try NucleusBinary.sh(
            "find /context | sort; cat /context/src/code-link /context/src/readme-link; cat /context/env-link",
            flags: ["--context", tree.path, "--context-mode", mode])
        #expect(result.stdout.lines == Self.visible + ["print(1)", "readme"], "\(result.stderr)")
        #expect(result.stderr.contains("env-link: No such file or directory"))
    }

    @Test(arguments: ["copy", "bind"])
    func contextIsReadOnlyNoexecAndReadableByTheWorkload(_ mode: String) throws {
        let tree = try Self.tree("ro-\(mode)")
        defer { try? FileManager.default.removeItem(at: tree) }
        let result = try NucleusBinary.sh(
            """
            grep ' /context ' /proc/self/mountinfo | cut -d' ' -f6
            cat /context/src/deep/code.py; stat -c '%U %a' /context/src/deep/code.py
            touch /context/new 2>&1 | grep -c 'Read-only file system'
            /context/run.sh; echo rc=$?
            """, flags: ["--context", tree.path, "--context-mode", mode, "--user", "1000"])
        #expect(
            result.stdout.lines == ["ro,nosuid,nodev,noexec,relatime", "print(1)", "agent 600", "1", "rc=126"],
            "\(result.stderr)")
    }

    @Test(arguments: ["copy", "bind"])
    func integrityIsVerifiedAndAMismatchRefusesTheStart(_ mode: String) throws {
        let tree = try Self.tree("verify-\(mode)")
        defer { try? FileManager.default.removeItem(at: tree) }
        let flags = ["--context", tree.path, "--context-mode", mode, "--verify-context-integrity"]
        let verified = try NucleusBinary.sh("cat /context/README.md", flags: flags)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout == "readme\n")

        let mountsBefore = try HostState.mountTable()
        let tampered = try NucleusBinary.sh(
            "echo STARTED", flags: flags, environment: ["NUCLEUS_FAULT_STEP": "context-tamper"])
        #expect(tampered.status == 125)
        #expect(!tampered.stdout.contains("STARTED"))
        #expect(tampered.stderr.lines.count == 1)
        #expect(tampered.stderr.contains("context integrity check failed"), "\(tampered.stderr)")
        #expect(try HostState.mountTable() == mountsBefore)
    }

    @Test func dryRunListsTheExclusions() throws {
        let tree = try Self.tree("plan")
        defer { try? FileManager.default.removeItem(at: tree) }
        let result = try NucleusBinary.run(["run", "--dry-run", "--context", tree.path, "--", "/bin/true"])
        #expect(result.status == 0)
        for pattern in [".git", ".env*", "*.pem", "id_ed25519*", "credentials*", "*secret*", "symlinks"] {
            #expect(result.stdout.contains(pattern), "\(pattern)")
        }
        #expect(result.stdout.contains("bind /context from a copy of \(tree.path)"))
    }

    @Test func badContextsStopBeforeStart() throws {
        for flags in [
            ["--context", "relative/dir"], ["--context", "/nonexistent-nucleus-context"],
            ["--context", "/etc/hostname"],
            ["--context-mode", "bind"], ["--verify-context-integrity"],
            ["--context", "/tmp", "--volume", "/tmp:/context"],
        ] {
            let result = try NucleusBinary.run(["run"] + flags + ["--", "/bin/echo", "RAN"])
            #expect(result.status != 0, "\(flags)")
            #expect(!result.stdout.contains("RAN"))
            #expect(result.stderr.lines.count == 1, "\(flags): \(result.stderr)")
        }
    }
}

/// `--provider-config-ro/-rw`: one file or directory bound into the home.
@Suite struct ProviderConfigTests {
    @Test func configsLandInTheHomeReadOnlyOrOwnedByTheirOwner() throws {
        let base = URL(fileURLWithPath: "/srv/nucleus-provider-\(getpid())")
        defer { try? FileManager.default.removeItem(at: base) }
        let setup = try Process.runCapturing(
            "/bin/sh",
            [
                "-c",
                "mkdir -p \(base.path)/state && echo token > \(base.path)/auth.json && chmod 600 \(base.path)/auth.json && chown -R 1234:1234 \(base.path)",
            ])
        #expect(setup.status == 0)
        let result = try NucleusBinary.sh(
            """
            cat ~/.config/tool/auth.json
            stat -c '%U %a' ~/.config/tool/auth.json
            grep ' /home/agent/.config/tool/auth.json ' /proc/self/mountinfo | cut -d' ' -f6
            echo new > /home/agent/.tool-state/written && echo wrote
            """,
            flags: [
                "--user", "1000", "--provider-config-ro", "\(base.path)/auth.json:.config/tool/auth.json",
                "--provider-config-rw", "\(base.path)/state:/home/agent/.tool-state",
            ])
        #expect(
            result.stdout.lines == ["token", "agent 600", "ro,nosuid,nodev,relatime,idmapped", "wrote"],
            "\(result.stderr)")
        let owner = try FileManager.default.attributesOfItem(atPath: base.path + "/state/written")[.ownerAccountID]
        #expect(owner as? Int == 1234)
    }

    @Test func destinationsOutsideTheHomeAreRefused() throws {
        for flag in ["/etc/hostname:/opt/x", "/etc/hostname:../x", "/etc/hostname", "/missing-nucleus-file:x"] {
            let result = try NucleusBinary.run(["run", "--provider-config-ro", flag, "--", "/bin/echo", "RAN"])
            #expect(result.status != 0)
            #expect(!result.stdout.contains("RAN"))
            #expect(result.stderr.contains("--provider-config-ro"), "\(result.stderr)")
        }
    }
}
