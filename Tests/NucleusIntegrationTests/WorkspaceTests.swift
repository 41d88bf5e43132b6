import Foundation
import Testing

/// `--workspace`: the project at /workspace, with nothing written there able to
/// run on the host later.
@Suite struct WorkspaceTests {
    /// A git repository with one commit, owned by uid 1234 like a user's project.
    static func repository(_ name: String, gitFile: Bool = false, hooks: Bool = true) throws -> URL {
        let url = URL(fileURLWithPath: "/srv/nucleus-ws-\(getpid())-\(name)")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var script =
            "cd \(url.path) && git init -q && echo a > a && git add a && "
            + "git -c user.name=t -c user.email=t@t commit -qm init"
        if gitFile { script += " && mv .git .realgit && echo 'gitdir: .realgit' > .git" }
        if !hooks { script += " && rm -rf \(gitFile ? ".realgit" : ".git")/hooks" }
        script += " && chown -R 1234:1234 ."
        let result = try Process.runCapturing("/bin/sh", ["-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        return url
    }

    static func git(_ url: URL, _ arguments: String) throws -> String {
        try Process.runCapturing("/bin/sh", ["-c", "git -c safe.directory='*' -C \(url.path) \(arguments)"]).stdout
    }

    @Test func writableWorkspaceIsTheWorkdirIdmappedAndNoexec() throws {
        let repo = try Self.repository("rw")
        defer { try? FileManager.default.removeItem(at: repo) }
        let result = try NucleusBinary.sh(
            "pwd; echo hi > new; cp /bin/true ./t && ./t; echo rc=$?", flags: ["--workspace", repo.path])
        #expect(result.stdout.lines == ["/workspace", "rc=126"])
        let owner = try FileManager.default.attributesOfItem(atPath: repo.appendingPathComponent("new").path)[
            .ownerAccountID]
        #expect(owner as? Int == 1234)
        let exec = try NucleusBinary.sh(
            "cp /bin/true ./t2 && ./t2; echo rc=$?", flags: ["--workspace", repo.path, "--workspace-exec"])
        #expect(exec.stdout == "rc=0\n")
    }

    @Test func readOnlyWorkspaceRefusesWrites() throws {
        let repo = try Self.repository("ro")
        defer { try? FileManager.default.removeItem(at: repo) }
        let result = try NucleusBinary.sh(
            "cat a; echo x > b", flags: ["--workspace", repo.path, "--workspace-mode", "bind-ro"])
        #expect(result.stdout == "a\n")
        #expect(result.stderr.contains("Read-only file system"))
    }

    @Test(arguments: [(false, true, "0"), (true, true, "0"), (false, false, "0"), (false, false, "1000")])
    func gitHooksAndConfigAreReadOnlyButCommitsWork(_ gitFile: Bool, _ hooks: Bool, _ user: String) throws {
        let repo = try Self.repository("git-\(gitFile)-\(hooks)-\(user)", gitFile: gitFile, hooks: hooks)
        defer { try? FileManager.default.removeItem(at: repo) }
        let dir = gitFile ? ".realgit" : ".git"
        let result = try NucleusBinary.sh(
            "echo evil > \(dir)/hooks/pre-commit; echo '[core] fsmonitor = evil' >> \(dir)/config; "
                + "git config core.hooksPath /tmp || echo config-refused; "
                + "echo b > b && git add b && git -c user.name=a -c user.email=b commit -qm inside && echo committed",
            flags: ["--workspace", repo.path, "--user", user])
        #expect(result.stdout.lines == ["config-refused", "committed"], "\(result.stderr)")
        #expect(result.stderr.components(separatedBy: "Read-only file system").count == 3, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: repo.appendingPathComponent("\(dir)/hooks/pre-commit").path))
        #expect(try !String(contentsOf: repo.appendingPathComponent("\(dir)/config"), encoding: .utf8).contains("evil"))
        #expect(try Self.git(repo, "log --format=%s").lines == ["inside", "init"])
    }

    @Test func submoduleHooksAndConfigAreReadOnlyToo() throws {
        let library = try Self.repository("submodule-lib")
        defer { try? FileManager.default.removeItem(at: library) }
        let repo = try Self.repository("submodule")
        defer { try? FileManager.default.removeItem(at: repo) }
        let add = try Process.runCapturing(
            "/bin/sh",
            [
                "-c",
                "export HOME=\(repo.path)-home && mkdir -p $HOME && git config --global safe.directory '*'"
                    + " && git config --global protocol.file.allow always"
                    + " && cd \(repo.path) && git submodule add -q \(library.path) lib && rm -rf $HOME"
                    + " && chown -R 1234:1234 .",
            ])
        #expect(add.status == 0, "\(add.stderr)")
        let result = try NucleusBinary.sh(
            "echo evil > .git/modules/lib/hooks/post-checkout; echo evil >> .git/modules/lib/config; echo ok > lib/new && echo wrote",
            flags: ["--workspace", repo.path])
        #expect(result.stdout == "wrote\n")
        #expect(result.stderr.components(separatedBy: "Read-only file system").count == 3, "\(result.stderr)")
    }

    @Test func protectMakesMorePathsReadOnly() throws {
        let repo = try Self.repository("protect")
        defer { try? FileManager.default.removeItem(at: repo) }
        try "export A=1\n".write(to: repo.appendingPathComponent(".envrc"), atomically: true, encoding: .utf8)
        #expect(chown(repo.appendingPathComponent(".envrc").path, 1234, 1234) == 0)
        let result = try NucleusBinary.sh(
            "echo evil >> .envrc", flags: ["--workspace", repo.path, "--protect", ".envrc"])
        #expect(result.stderr.contains("Read-only file system"))
        let missing = try NucleusBinary.sh("true", flags: ["--workspace", repo.path, "--protect", ".vscode"])
        #expect(missing.status == 125)
        #expect(missing.stderr.contains("--protect .vscode"))
        #expect(try NucleusBinary.sh("true", flags: ["--workspace", repo.path, "--protect", "../x"]).status == 125)
    }

    @Test func unprotectGitWarnsAndLeavesHooksWritable() throws {
        let repo = try Self.repository("unprotect")
        defer { try? FileManager.default.removeItem(at: repo) }
        let result = try NucleusBinary.sh(
            "echo ok > .git/hooks/post-checkout && echo wrote", flags: ["--workspace", repo.path, "--unprotect-git"])
        #expect(result.stdout == "wrote\n")
        #expect(result.stderr.contains("--unprotect-git"))
        let plan = try NucleusBinary.run([
            "run", "--dry-run", "--workspace", repo.path, "--unprotect-git", "--", "/bin/true",
        ])
        #expect(plan.stdout.contains("degraded  workspace"))
    }

    @Test func misuseIsRefused() throws {
        #expect(try NucleusBinary.sh("true", flags: ["--workspace-exec"]).status == 125)
        #expect(try NucleusBinary.sh("true", flags: ["--workspace", "/nonexistent-ws"]).status == 125)
    }
}

/// `--workspace-mode copy-in-out`: the workload edits a private copy; its
/// changes reach the host after exit, all or none.
@Suite(.serialized) struct CopyInOutTests {
    static let flags = ["--workspace-mode", "copy-in-out", "--user", "1000"]

    /// `find` over the tree: path, type, size, mode, owner and content digest of every entry.
    static func snapshot(_ url: URL) throws -> String {
        try Process.runCapturing(
            "/bin/sh",
            [
                "-c",
                "cd \(url.path) && find . -printf '%p %y %s %m %U:%G %l\\n' | sort && find . -type f | sort | xargs -r sha256sum",
            ]
        ).stdout
    }

    static func stagingDirectories() -> Set<String> {
        Set(
            ((try? FileManager.default.contentsOfDirectory(atPath: "/var/tmp")) ?? []).filter {
                $0.hasPrefix("nucleus-staging-")
            })
    }

    @Test func changesReachTheHostAfterExit() throws {
        let repo = try WorkspaceTests.repository("cio")
        defer { try? FileManager.default.removeItem(at: repo) }
        let setup = try Process.runCapturing(
            "/bin/sh",
            [
                "-c",
                "cd \(repo.path) && mkdir -p old/deep && echo o > old/deep/o && echo m > mod && echo x > exe && echo d > del && chown -R 1234:1234 .",
            ])
        #expect(setup.status == 0)
        let stagingBefore = Self.stagingDirectories()
        let result = try NucleusBinary.sh(
            """
            echo changed > mod; rm del; chmod 755 exe; rm -r old; mkdir -p new/sub; echo n > new/sub/n
            ln -s mod link; echo evil > .git/hooks/pre-commit || echo hooks-read-only
            """, flags: ["--workspace", repo.path] + Self.flags)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.lines == ["hooks-read-only"])
        let fm = FileManager.default
        #expect(try String(contentsOf: repo.appendingPathComponent("mod"), encoding: .utf8) == "changed\n")
        #expect(!fm.fileExists(atPath: repo.appendingPathComponent("del").path))
        #expect(!fm.fileExists(atPath: repo.appendingPathComponent("old").path))
        #expect(
            try fm.attributesOfItem(atPath: repo.appendingPathComponent("exe").path)[.posixPermissions] as? Int == 0o755
        )
        #expect(try fm.destinationOfSymbolicLink(atPath: repo.appendingPathComponent("link").path) == "mod")
        let created = try fm.attributesOfItem(atPath: repo.appendingPathComponent("new/sub/n").path)
        #expect(created[.ownerAccountID] as? Int == 1234)
        #expect(!fm.fileExists(atPath: repo.appendingPathComponent(".git/hooks/pre-commit").path))
        let leftovers = try fm.contentsOfDirectory(atPath: repo.path).filter { $0.contains(".nucleus-") }
        #expect(leftovers.isEmpty)
        #expect(Self.stagingDirectories() == stagingBefore)
    }

    @Test func aSyncFailingHalfwayLeavesTheHostAsItWasAndKeepsTheStagedCopy() throws {
        let repo = try WorkspaceTests.repository("cio-fail")
        defer { try? FileManager.default.removeItem(at: repo) }
        let before = try Self.snapshot(repo)
        let result = try NucleusBinary.sh(
            "echo changed > a; echo new > b; mkdir dir", flags: ["--workspace", repo.path] + Self.flags,
            environment: ["NUCLEUS_FAULT_STEP": "workspace-sync"])
        #expect(result.status == 125)
        #expect(result.stderr.lines.count == 1)
        #expect(try Self.snapshot(repo) == before)
        let kept = try #require(result.stderr.split(whereSeparator: \.isWhitespace).last.map(String.init))
        #expect(kept.hasPrefix("/var/tmp/nucleus-staging-"), "\(result.stderr)")
        defer { try? FileManager.default.removeItem(atPath: String(kept.dropLast("/workspace".count))) }
        #expect(try String(contentsOfFile: kept + "/a", encoding: .utf8) == "changed\n")
        #expect(FileManager.default.fileExists(atPath: kept + "/b"))
        #expect(try NucleusBinary.run(["gc"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: kept + "/b"), "gc leaves a copy kept after a failed sync")
    }

    /// A SIGKILLed nucleus cannot sync: its changes land all or none, so
    /// none, and its staging copy goes with the next copy-in-out start or
    /// `nucleus gc`.
    @Test func aKilledRunsStagingCopyIsReclaimed() throws {
        let repo = try WorkspaceTests.repository("cio-killed")
        defer { try? FileManager.default.removeItem(at: repo) }
        let before = Self.stagingDirectories()
        let running = try NucleusBinary.start(
            ["run", "--workspace", repo.path] + Self.flags + ["--", "/bin/sh", "-c", "echo ready; exec sleep 30"])
        #expect(running.stdout.fileHandleForReading.availableLine() == "ready")
        kill(running.process.processIdentifier, SIGKILL)
        running.process.waitUntilExit()
        #expect(Self.stagingDirectories().count == before.count + 1, "left by the kill")
        let gc = try NucleusBinary.run(["gc"])
        #expect(gc.stdout.contains("1 workspace staging copy"), "\(gc.stdout)")
        #expect(Self.stagingDirectories() == before)
    }

    @Test func aHostChangeDuringTheRunRefusesTheSync() throws {
        let repo = try WorkspaceTests.repository("cio-conflict")
        defer { try? FileManager.default.removeItem(at: repo) }
        let result = try NucleusBinary.sh(
            "echo staged > a; echo concurrent > /host/a",
            flags: ["--workspace", repo.path, "--volume", "\(repo.path):/host"] + Self.flags)
        #expect(result.status == 125)
        #expect(result.stderr.contains("\(repo.path)/a was changed on the host during the run"), "\(result.stderr)")
        #expect(try String(contentsOf: repo.appendingPathComponent("a"), encoding: .utf8) == "concurrent\n")
        let kept = try #require(result.stderr.split(whereSeparator: \.isWhitespace).last.map(String.init))
        try? FileManager.default.removeItem(atPath: String(kept.dropLast("/workspace".count)))
    }
}
