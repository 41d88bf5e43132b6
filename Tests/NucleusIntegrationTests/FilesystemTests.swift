import Foundation
import Testing

/// The container's filesystem: what is there, what is writable, what is hidden.
@Suite struct FilesystemTests {
    /// Mount options of `path` as the container sees them (from its mountinfo).
    static func options(_ path: String, flags: [String] = []) throws -> [String] {
        let result = try NucleusBinary.sh(
            "awk '$5 == \"\(path)\" { o = $6 } END { print o }' /proc/self/mountinfo", flags: flags)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map(String.init)
    }

    @Test func rootIsAReadOnlyTmpfsAndSystemTreesAreReadOnly() throws {
        let result = try NucleusBinary.sh(
            "for p in /usr/x /x /etc/x /bin/x; do (echo x > $p) 2>/dev/null && echo wrote-$p; done; "
                + "mkdir /newdir 2>/dev/null && echo made-dir; awk '$5 == \"/\" { print $6, $9 }' /proc/self/mountinfo")
        #expect(result.status == 0)
        #expect(!result.stdout.contains("wrote-"))
        #expect(!result.stdout.contains("made-dir"))
        let root = result.stdout.lines.last ?? ""
        #expect(root.hasSuffix(" tmpfs"))
        for option in ["ro", "nosuid", "nodev", "noexec"] { #expect(root.contains(option)) }
        let usr = try Self.options("/usr")
        for option in ["ro", "nosuid", "nodev"] { #expect(usr.contains(option)) }
    }

    @Test func writingToTheSystemTreeFailsWithEROFS() throws {
        let result = try NucleusBinary.run(["run", "--", "/usr/bin/touch", "/usr/nucleus-test"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("Read-only file system"))
    }

    @Test func hostPathsOutsideTheSystemTreesAreInvisible() throws {
        let marker = "/root/nucleus-marker-\(getpid())"
        _ = FileManager.default.createFile(atPath: marker, contents: Data("secret".utf8))
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let result = try NucleusBinary.sh(
            "test -e \(marker) && echo LEAK; test -e /etc/shadow && echo SHADOW; test -e /etc/ssh && echo SSH; "
                + "test -e /work && echo WORK; ls /etc | tr '\\n' ' '")
        #expect(result.status == 0)
        for leak in ["LEAK", "SHADOW", "SSH", "WORK"] { #expect(!result.stdout.contains(leak)) }
        let etc = Set(result.stdout.split(separator: " ").map(String.init))
        let allowed: Set = [
            "passwd", "group", "hostname", "hosts", "nsswitch.conf", "alternatives", "ssl", "ca-certificates",
            "ld.so.cache",
        ]
        #expect(etc.isSubset(of: allowed), "unexpected /etc entries: \(etc.subtracting(allowed))")
        #expect(etc.isSuperset(of: ["passwd", "group", "hostname", "hosts", "nsswitch.conf"]))
    }

    @Test func procIsPrivateReadOnlyAndMasked() throws {
        let proc = try Self.options("/proc")
        for option in ["ro", "nosuid", "nodev", "noexec"] { #expect(proc.contains(option)) }
        let result = try NucleusBinary.sh(
            "ls /proc | grep -c '^[0-9]'; wc -c < /proc/kallsyms; wc -c < /proc/keys; "
                + "(echo 1 > /proc/sys/kernel/ns_last_pid) 2>/dev/null && echo WROTE-SYS; ls /proc/acpi 2>/dev/null | wc -l"
        )
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.lines
        #expect((Int(lines[0]) ?? 99) <= 4, "container sees host processes: \(lines[0])")
        #expect(lines[1] == "0")
        #expect(lines[2] == "0")
        #expect(!result.stdout.contains("WROTE-SYS"))
    }

    @Test func procReadWriteKeepsItsTunablesReadOnly() throws {
        let proc = try Self.options("/proc", flags: ["--proc-rw"])
        #expect(!proc.contains("ro"))
        let sys = try Self.options("/proc/sys", flags: ["--proc-rw"])
        #expect(sys.contains("ro"))
    }

    @Test func devHoldsExactlyTheDefaultDevices() throws {
        let result = try NucleusBinary.sh(
            "ls -A /dev | tr '\\n' ' '; echo; find /dev -type b | wc -l; echo hi > /dev/null && head -c 4 /dev/zero | wc -c"
        )
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.lines
        let entries = Set(lines[0].split(separator: " ").map(String.init))
        #expect(
            entries == [
                "null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm", "fd", "stdin", "stdout",
                "stderr",
            ])
        #expect(lines[1] == "0")
        #expect(lines[2] == "4")
        let shm = try Self.options("/dev/shm")
        for option in ["nosuid", "nodev", "noexec"] { #expect(shm.contains(option)) }
    }

    @Test func devPtsIsAPrivateInstance() throws {
        let result = try NucleusBinary.sh("ls /dev/pts | tr '\\n' ' '")
        #expect(result.stdout.trimmingCharacters(in: .whitespaces) == "ptmx")
    }

    @Test func tmpAndHomeAreHardenedTmpfsOwnedByTheWorkload() throws {
        let result = try NucleusBinary.sh(
            "stat -c '%a %u %g' /tmp $HOME; echo $HOME; cp /bin/true /tmp/t && /tmp/t; echo rc=$?",
            flags: ["--user", "1000", "--group", "1001"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.lines == ["1777 0 0", "700 1000 1001", "/home/agent", "rc=126"])
        for path in ["/tmp", "/home/agent"] {
            let options = try Self.options(path)
            for option in ["nosuid", "nodev", "noexec"] { #expect(options.contains(option), "\(path)") }
        }
    }

    @Test func homeCanMove() throws {
        let result = try NucleusBinary.sh("echo $HOME; stat -c %a /work/home", flags: ["--home", "/work/home"])
        #expect(result.stdout.lines == ["/work/home", "700"])
        #expect(try NucleusBinary.sh("true", flags: ["--home", "/proc/x"]).status == 125)
        #expect(try NucleusBinary.sh("true", flags: ["--home", "relative"]).status == 125)
    }

    @Test func rootfsDirectoryReplacesTheHostTrees() throws {
        let busybox = "/bin/busybox"
        try #require(FileManager.default.isExecutableFile(atPath: busybox), "busybox-static provides \(busybox)")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nucleus-rootfs-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: busybox, toPath: root.appendingPathComponent("bin/busybox").path)
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("bin/sh").path, withDestinationPath: "busybox")
        let result = try NucleusBinary.run([
            "run", "--rootfs", root.path, "--", "/bin/sh", "-c",
            "echo inside; ls /; test -e /usr && echo HOST-USR; true",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("inside\n"))
        #expect(!result.stdout.contains("HOST-USR"))
        let missing = try NucleusBinary.run(["run", "--rootfs", "/nonexistent-rootfs", "--", "/bin/true"])
        #expect(missing.status == 125)
        #expect(missing.stderr.contains("/nonexistent-rootfs"))
    }
}
