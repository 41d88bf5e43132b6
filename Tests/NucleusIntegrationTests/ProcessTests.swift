import Foundation
import Testing

/// The workload process: identity, environment, fds, exit status, signals, PID 1.
@Suite struct ProcessTests {
    @Test func workloadIdentityIsAppliedFourTimesOver() throws {
        let result = try NucleusBinary.sh("grep -E '^(Uid|Gid|Groups):' /proc/self/status", flags: ["--user", "1000"])
        #expect(result.status == 0)
        #expect(
            result.stdout.lines.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") } == [
                "Uid: 1000 1000 1000 1000", "Gid: 1000 1000 1000 1000", "Groups:",
            ])
    }

    @Test func unmappedUserIsRefused() throws {
        let result = try NucleusBinary.sh("true", flags: ["--user", "70000"])
        #expect(result.status == 125)
        #expect(result.stderr.contains("not mapped"))
    }

    @Test func environmentIsExactlyWhatWasAsked() throws {
        let envFile = FileManager.default.temporaryDirectory.appendingPathComponent("nucleus-env-\(getpid())")
        try "# comment\nFROM_FILE=1\n\nB=file\n".write(to: envFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: envFile) }
        var environment = ProcessInfo.processInfo.environment
        environment["FOO_HOST"] = "leak"
        environment["PASSED"] = "through"
        let result = try NucleusBinary.run(
            ["run", "-e", "A=b", "-e", "B=flag", "-e", "PASSED", "--env-file", envFile.path, "--", "/usr/bin/env"],
            environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            Set(result.stdout.lines) == [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/home/agent", "FROM_FILE=1",
                "B=flag", "A=b", "PASSED=through",
            ])
    }

    @Test(arguments: ["LD_PRELOAD=/x", "LD_LIBRARY_PATH=/x", "LD_AUDIT=/x", "GCONV_PATH=/x", "GLIBC_TUNABLES=x"])
    func loaderVariablesAreRefused(_ assignment: String) throws {
        let result = try NucleusBinary.run(["run", "-e", assignment, "--", "/bin/echo", "RAN"])
        #expect(result.status == 125)
        #expect(!result.stdout.contains("RAN"))
        #expect(result.stderr.contains("refused"))
    }

    @Test func inheritedDescriptorsAreClosedUnlessPreserved() throws {
        let script = "ls /proc/self/fd | sort -n | tr '\\n' ' '"
        let plain = try Process.runCapturing(
            "/bin/bash", ["-c", "exec 3</dev/null 7</dev/null; \(NucleusBinary.path) run -- /bin/sh -c \"\(script)\""])
        #expect(plain.status == 0, "\(plain.stderr)")
        // 0-2 plus the descriptor ls itself opens for the directory.
        #expect(plain.stdout.split(separator: " ").count == 4, "\(plain.stdout)")
        let kept = try Process.runCapturing(
            "/bin/bash",
            [
                "-c",
                "exec 3</dev/null 7</dev/null; \(NucleusBinary.path) run --preserve-fds 1 -- /bin/sh -c \"\(script)\"",
            ])
        #expect(kept.stdout.split(separator: " ").prefix(4) == ["0", "1", "2", "3"])
        #expect(kept.stdout.split(separator: " ").count == 5, "\(kept.stdout)")
        let missing = try NucleusBinary.run(["run", "--preserve-fds", "5", "--", "/bin/true"])
        #expect(missing.status == 125)
    }

    @Test func workdirDefaultsToRootAndCanBeSet() throws {
        #expect(try NucleusBinary.sh("pwd").stdout == "/\n")
        #expect(try NucleusBinary.sh("pwd", flags: ["--workdir", "/usr/bin"]).stdout == "/usr/bin\n")
        let missing = try NucleusBinary.sh("pwd", flags: ["--workdir", "/nope"])
        #expect(missing.status == 125)
        #expect(
            missing.stderr == "nucleus: error: enter the working directory: chdir /nope: No such file or directory\n")
    }

    @Test func exitStatusIsTheWorkloads() throws {
        #expect(try NucleusBinary.sh("exit 7").status == 7)
        #expect(try NucleusBinary.sh("kill -KILL $$").status == 137)
        #expect(try NucleusBinary.sh("kill -TERM $$").status == 143)
    }

    @Test func missingAndUnexecutableCommandsFollowTheDockerConvention() throws {
        let missing = try NucleusBinary.run(["run", "--", "/nonexistent"])
        #expect(missing.status == 127)
        #expect(missing.stderr == "nucleus: error: command /nonexistent not found: execve: No such file or directory\n")
        #expect(try NucleusBinary.run(["run", "--", "no-such-command"]).status == 127)
        let unexecutable = try NucleusBinary.run(["run", "--", "/etc/passwd"])
        #expect(unexecutable.status == 126)
        #expect(unexecutable.stderr.hasPrefix("nucleus: error: command /etc/passwd cannot be executed"))
    }

    @Test func initIsPidOneAndReapsOrphans() throws {
        let result = try NucleusBinary.sh(
            "echo $$; sh -c 'sleep 0.2 & exit 0'; sleep 0.6; cat /proc/[0-9]*/stat 2>/dev/null | awk '$3 == \"Z\"' | wc -l; "
                + "cat /proc/1/comm")
        #expect(result.status == 0)
        let lines = result.stdout.lines
        #expect(lines[0] == "2")
        #expect(lines[1] == "0", "zombies left unreaped")
        #expect(lines[2] == "nucleus")
    }

    @Test(arguments: [
        (SIGTERM, "TERM"), (SIGINT, "INT"), (SIGHUP, "HUP"), (SIGQUIT, "QUIT"), (SIGUSR1, "USR1"), (SIGUSR2, "USR2"),
        (SIGWINCH, "WINCH"),
    ])
    func signalsReachTheWorkload(_ signal: Int32, _ name: String) throws {
        let running = try NucleusBinary.start([
            "run", "--", "/bin/sh", "-c",
            "trap 'echo got \(name); exit 3' \(name); echo ready; while :; do sleep 0.05; done",
        ])
        let ready = running.stdout.fileHandleForReading.availableLine()
        #expect(ready == "ready")
        kill(running.process.processIdentifier, signal)
        let result = NucleusBinary.finish(running)
        #expect(result.stdout == "got \(name)\n")
        #expect(result.status == 3)
    }

    /// A workload that ignores SIGTERM is killed --stop-timeout seconds later.
    @Test func aWorkloadIgnoringSIGTERMIsKilledAfterTheStopTimeout() throws {
        let running = try NucleusBinary.start([
            "run", "--stop-timeout", "0.5", "--", "/bin/sh", "-c", "trap '' TERM; echo ready; exec sleep 60",
        ])
        #expect(running.stdout.fileHandleForReading.availableLine() == "ready")
        kill(running.process.processIdentifier, SIGTERM)
        let result = NucleusBinary.finish(running)
        #expect(result.status == 137)
        #expect(result.stderr.contains("outlived --stop-timeout 0.5 s"), "\(result.stderr)")
        let refused = try NucleusBinary.run(["run", "--stop-timeout=-1", "--", "/bin/true"])
        #expect(refused.status == 125)
    }

    /// Regression: the caller's blocked signals (and nucleus's own ignored SIGPIPE)
    /// once reached the workload, so SIGTERM and SIGINT did nothing.
    @Test func workloadStartsWithNoBlockedOrIgnoredSignals() throws {
        let result = try Process.runCapturing(
            "/bin/bash",
            [
                "-c",
                "trap '' PIPE INT; \(NucleusBinary.path) run -- /bin/sh -c 'grep -E \"^Sig(Blk|Ign):\" /proc/self/status'",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.lines.map { $0.split(separator: "\t").last.map(String.init) } == [
                "0000000000000000", "0000000000000000",
            ])
    }

    @Test func ctrlCEndsAWorkloadWithoutHandlers() throws {
        let running = try NucleusBinary.start(["run", "--", "/bin/sh", "-c", "echo ready; exec sleep 30"])
        #expect(running.stdout.fileHandleForReading.availableLine() == "ready")
        usleep(100_000)
        kill(running.process.processIdentifier, SIGINT)
        #expect(NucleusBinary.finish(running).status == 130)
    }
}

extension FileHandle {
    /// Reads up to the first newline (blocking), for "ready" handshakes.
    func availableLine() -> String {
        var bytes: [UInt8] = []
        while true {
            let data = readData(ofLength: 1)
            guard let byte = data.first, byte != UInt8(ascii: "\n") else { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Runs under a pseudo-terminal (util-linux `script`), as from an interactive shell.
@Suite struct TerminalTests {
    /// Fields 5, 7 and 8 of /proc/self/stat: process group, controlling tty, foreground group.
    static func statUnderATerminal(_ flags: String) throws -> (lines: [String], status: Int32) {
        let inner =
            "\(NucleusBinary.path) run \(flags) -- /bin/sh -c 'cut -d\" \" -f5,7,8 /proc/self/stat; echo TERM=$TERM'"
        let result = try Process.runCapturing("/usr/bin/script", ["-qec", inner, "/dev/null"])
        return (result.stdout.replacingOccurrences(of: "\r", with: "").lines, result.status)
    }

    @Test func terminalModeMakesTheWorkloadTheForegroundJob() throws {
        let (lines, status) = try Self.statUnderATerminal("--terminal")
        #expect(status == 0)
        let fields = try #require(lines.first).split(separator: " ").map(String.init)
        #expect(fields.count == 3)
        #expect(fields[1] != "0", "no controlling terminal")
        #expect(fields[0] == fields[2], "the workload is not the foreground process group")
        #expect(lines.contains { $0.hasPrefix("TERM=") && $0 != "TERM=" })
    }

    @Test func withoutTerminalModeTheCallersTerminalIsNotControlling() throws {
        let (lines, status) = try Self.statUnderATerminal("")
        #expect(status == 0)
        #expect(lines.first == "1 0 -1")
    }
}

/// `--env-fd`: variables from a descriptor reach the workload and nothing else.
@Suite struct EnvironmentDescriptorTests {
    static func run(_ document: String, _ arguments: String) throws -> NucleusBinary.Result {
        try Process.runCapturing(
            "/bin/bash", ["-c", "\(NucleusBinary.path) run --env-fd 3 \(arguments) 3<<'EOF'\n\(document)\nEOF"])
    }

    @Test(arguments: [#"{"API_KEY": "s3cret-value", "B": "2"}"#, #"["API_KEY=s3cret-value", "B=2"]"#])
    func variablesReachTheWorkload(_ document: String) throws {
        let result = try Self.run(document, "-- /bin/sh -c 'echo $API_KEY $B'")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "s3cret-value 2\n")
    }

    @Test(arguments: ["", "--format json"])
    func valuesNeverAppearInThePlan(_ format: String) throws {
        let result = try Self.run(#"{"API_KEY": "s3cret-value"}"#, "--dry-run \(format) -- /bin/true")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("API_KEY"))
        #expect(!result.stdout.contains("s3cret-value"))
    }

    @Test(arguments: [#"{"A": 1}"#, #"["A"]"#, "not json", #"{"LD_PRELOAD": "/x"}"#, "[1, 2]", #"{"A": {"b": "c"}}"#])
    func malformedDocumentsStopBeforeStart(_ document: String) throws {
        let result = try Self.run(document, "-- /bin/echo RAN")
        #expect(result.status == 125)
        #expect(!result.stdout.contains("RAN"))
        #expect(result.stderr.lines.count == 1)
        #expect(result.stderr.hasPrefix("nucleus: error: --env-fd"))
    }

    @Test func standardDescriptorsAreRefused() throws {
        let result = try NucleusBinary.run(["run", "--env-fd", "0", "--", "/bin/true"])
        #expect(result.status == 125)
    }
}

/// `--user`, `--group`, `--additional-group` by name, resolved in the container's root filesystem.
@Suite struct IdentityTests {
    static func ids(_ flags: [String]) throws -> [String] {
        try NucleusBinary.sh(#"grep -E "^(Uid|Gid|Groups):" /proc/self/status"#, flags: flags).stdout.lines.map {
            $0.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
    }

    @Test func hostNamesResolveInAgentMode() throws {
        #expect(
            try Self.ids(["--user", "nobody"]) == [
                "Uid: 65534 65534 65534 65534", "Gid: 65534 65534 65534 65534", "Groups:",
            ])
        #expect(
            try Self.ids(["--user", "1000", "--additional-group", "video", "--additional-group", "50"]).last
                == "Groups: 44 50")
    }

    @Test func rootfsNamesComeFromTheRootfs() throws {
        let busybox = "/bin/busybox"
        try #require(FileManager.default.isExecutableFile(atPath: busybox), "busybox-static provides \(busybox)")
        let root = URL(fileURLWithPath: "/srv/nucleus-idroot-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: busybox, toPath: root.appendingPathComponent("bin/busybox").path)
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("bin/sh").path, withDestinationPath: "busybox")
        try "svc:x:4242:4343::/home/svc:/bin/sh\n".write(
            to: root.appendingPathComponent("etc/passwd"), atomically: true, encoding: .utf8)
        try "svcgrp:x:4343:\n".write(to: root.appendingPathComponent("etc/group"), atomically: true, encoding: .utf8)
        let result = try NucleusBinary.run([
            "run", "--rootfs", root.path, "--user", "svc", "--", "/bin/sh", "-c",
            "grep -E '^(Uid|Gid)' /proc/self/status",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.lines.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") } == [
                "Uid: 4242 4242 4242 4242", "Gid: 4343 4343 4343 4343",
            ])
        let hostOnly = try NucleusBinary.run(["run", "--rootfs", root.path, "--user", "nobody", "--", "/bin/true"])
        #expect(hostOnly.status == 125)
        #expect(hostOnly.stderr.contains("\(root.path)/etc/passwd"))
    }

    @Test func unknownNamesStopBeforeStart() throws {
        for flags in [["--user", "ghost-user"], ["--group", "ghost-group"], ["--additional-group", "ghost-group"]] {
            let result = try NucleusBinary.run(["run"] + flags + ["--", "/bin/echo", "RAN"])
            #expect(result.status == 125)
            #expect(!result.stdout.contains("RAN"))
            #expect(result.stderr.lines.count == 1)
        }
    }
}
