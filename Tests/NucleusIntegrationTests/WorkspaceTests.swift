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

    @Test(arguments: [(false, true), (true, true), (false, false)])
    func gitHooksAndConfigAreReadOnlyButCommitsWork(_ gitFile: Bool, _ hooks: Bool) throws {
        let repo = try Self.repository("git-\(gitFile)-\(hooks)", gitFile: gitFile, hooks: hooks)
        defer { try? FileManager.default.removeItem(at: repo) }
        let dir = gitFile ? ".realgit" : ".git"
        let result = try NucleusBinary.sh(
            "echo evil > \(dir)/hooks/pre-commit; echo '[core] fsmonitor = evil' >> \(dir)/config; "
                + "git config core.hooksPath /tmp || echo config-refused; "
                + "echo b > b && git add b && git -c user.name=a -c user.email=b commit -qm inside && echo committed",
            flags: ["--workspace", repo.path])
        #expect(result.stdout.lines == ["config-refused", "committed"], "\(result.stderr)")
        #expect(result.stderr.components(separatedBy: "Read-only file system").count == 3, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: repo.appendingPathComponent("\(dir)/hooks/pre-commit").path))
        #expect(try !String(contentsOf: repo.appendingPathComponent("\(dir)/config"), encoding: .utf8).contains("evil"))
        #expect(try Self.git(repo, "log --format=%s").lines == ["inside", "init"])
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

    @Test func whatIsNotBuiltYetOrMisusedIsRefused() throws {
        let repo = try Self.repository("refused")
        defer { try? FileManager.default.removeItem(at: repo) }
        let copy = try NucleusBinary.sh("true", flags: ["--workspace", repo.path, "--workspace-mode", "copy-in-out"])
        #expect(copy.status == 125)
        #expect(copy.stderr.contains("not implemented"))
        #expect(try NucleusBinary.sh("true", flags: ["--workspace-exec"]).status == 125)
        #expect(try NucleusBinary.sh("true", flags: ["--workspace", "/nonexistent-ws"]).status == 125)
    }
}
