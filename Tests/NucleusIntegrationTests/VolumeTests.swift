import Foundation
import Testing

/// `--volume` and `--tmpfs`, observed from inside and from the host.
@Suite struct VolumeTests {
    /// A fresh host directory owned by `owner`, removed by the caller.
    static func hostDirectory(_ name: String, owner: uid_t = 0) throws -> URL {
        let url = URL(fileURLWithPath: "/srv/nucleus-test-\(getpid())-\(name)")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        #expect(chown(url.path, owner, owner) == 0)
        return url
    }

    @Test func readOnlyVolumeIsReadableAndRefusesWrites() throws {
        let dir = try Self.hostDirectory("ro")
        defer { try? FileManager.default.removeItem(at: dir) }
        try "hostdata\n".write(to: dir.appendingPathComponent("f"), atomically: true, encoding: .utf8)
        let result = try NucleusBinary.sh(
            "cat /data/f; echo x > /data/g; awk '$5 == \"/data\" { print $6 }' /proc/self/mountinfo",
            flags: ["--volume", "\(dir.path):/data:ro"])
        #expect(result.stdout.lines.first == "hostdata")
        #expect(result.stderr.contains("Read-only file system"))
        let options = result.stdout.lines.last ?? ""
        for option in ["ro", "nosuid", "nodev"] { #expect(options.contains(option)) }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("g").path))
    }

    @Test(arguments: [(0 as UInt32, "0"), (1000, "1000")])
    func filesWrittenToAVolumeBelongToTheDirectorysOwner(_ user: UInt32, _ shown: String) throws {
        try #require(HostState.isRoot, "idmapped volumes are for host root")
        let dir = try Self.hostDirectory("rw\(user)", owner: 1234)
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try NucleusBinary.sh(
            "stat -c '%u' /data; echo hi > /data/new && mkdir /data/sub && stat -c '%u %g' /data/new",
            flags: ["--volume", "\(dir.path):/data", "--user", "\(user)"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.lines == [shown, "\(shown) \(shown)"])
        for name in ["new", "sub"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(name).path)
            #expect(attributes[.ownerAccountID] as? Int == 1234, "\(name) is not owned by the directory's owner")
            #expect(attributes[.groupOwnerAccountID] as? Int == 1234)
        }
    }

    @Test(arguments: [
        "/", "/proc", "/dev/x", "/sys", "/usr/x", "/bin", "/sbin", "/lib", "/lib64/x", "/etc", "/nix", "/run",
        "/run/secrets/x", "relative", "/a/../b", "/tmp", "/home/agent",
    ])
    func refusedDestinationsStopBeforeStart(_ destination: String) throws {
        // One directory per case: the cases run in parallel.
        let dir = try Self.hostDirectory("refused" + destination.map { $0.isLetter ? String($0) : "-" }.joined())
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try NucleusBinary.run(["run", "--volume", "\(dir.path):\(destination)", "--", "/bin/echo", "RAN"])
        #expect(result.status == 125)
        #expect(!result.stdout.contains("RAN"))
        #expect(result.stderr.lines.count == 1)
    }

    @Test func badSourcesAndDuplicatesAreRefused() throws {
        let dir = try Self.hostDirectory("dup")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [[String]] = [
            ["--volume", "relative:/data"],
            ["--volume", "/nonexistent-\(getpid()):/data"],
            ["--volume", "\(dir.path):/data", "--volume", "\(dir.path):/data"],
            ["--volume", "\(dir.path):/data", "--tmpfs", "/data"],
            ["--volume", "\(dir.path):/data:rx"],
            ["--tmpfs", "/scratch:lots"],
        ]
        for flags in cases {
            let result = try NucleusBinary.run(["run"] + flags + ["--", "/bin/echo", "RAN"])
            #expect(result.status == 125, "\(flags)")
            #expect(result.stderr.lines.count == 1, "\(flags): \(result.stderr)")
            #expect(!result.stdout.contains("RAN"))
        }
    }

    @Test func tmpfsIsSizeLimitedHardenedAndOwnedByTheWorkload() throws {
        let result = try NucleusBinary.sh(
            "stat -c '%a %u' /scratch; head -c 2000000 /dev/zero > /scratch/f; echo rc=$?; "
                + "awk '$5 == \"/scratch\" { print $6 }' /proc/self/mountinfo; echo x > /frozen/f",
            flags: ["--tmpfs", "/scratch:1M", "--tmpfs", "/frozen:ro", "--user", "1000"])
        #expect(result.stdout.lines.prefix(2) == ["700 1000", "rc=1"])
        #expect(result.stderr.contains("No space left on device"))
        #expect(result.stderr.contains("Read-only file system"))
        let options = result.stdout.lines.last ?? ""
        for option in ["nosuid", "nodev"] { #expect(options.contains(option)) }
    }

    @Test func aSymlinkInsideAVolumeCannotLeadAMountOut() throws {
        let outer = try Self.hostDirectory("outer")
        let inner = try Self.hostDirectory("inner")
        let landing = "/nucleus-escape-\(getpid())"
        defer {
            try? FileManager.default.removeItem(at: outer)
            try? FileManager.default.removeItem(at: inner)
            try? FileManager.default.removeItem(atPath: landing)
        }
        try "inner-data\n".write(to: inner.appendingPathComponent("marker"), atomically: true, encoding: .utf8)
        // Planted in host content: an absolute symlink that would mean the host's
        // root if the next mount's destination were resolved naively.
        try FileManager.default.createSymbolicLink(
            atPath: outer.appendingPathComponent("escape").path, withDestinationPath: "/")
        let result = try NucleusBinary.sh(
            "cat \(landing)/marker",
            flags: ["--volume", "\(outer.path):/data:ro", "--volume", "\(inner.path):/data/escape\(landing):ro"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "inner-data\n")
        #expect(!FileManager.default.fileExists(atPath: landing), "a directory was created on the host")
    }

    @Test func volumesComeFromAConfigDocumentToo() throws {
        let dir = try Self.hostDirectory("config")
        defer { try? FileManager.default.removeItem(at: dir) }
        try "from-config\n".write(to: dir.appendingPathComponent("f"), atomically: true, encoding: .utf8)
        let json =
            #"{"volume": ["\#(dir.path):/data:ro"], "tmpfs": ["/scratch:2M"], "command": ["/bin/cat", "/data/f"]}"#
        let result = try Process.runCapturing(
            "/bin/bash", ["-c", "\(NucleusBinary.path) run --config-fd 3 3<<'EOF'\n\(json)\nEOF"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "from-config\n")
    }

    /// ramfs cannot be idmapped: the user namespace maps the workload to the
    /// owner instead. The ramfs lives in a private mount namespace of the test.
    @Test func whereIdmapIsUnavailableTheWorkloadIsMappedToTheOwner() throws {
        let directory = "/srv/nucleus-ramfs-\(getpid())"
        defer { rmdir(directory) }
        let script =
            "mkdir -p \(directory) && mount -t ramfs none \(directory) && chown 1234:1234 \(directory)"
            + " && \(NucleusBinary.path) run --user 1000 --volume \(directory):/data -- /bin/sh -c 'echo hi > /data/new'"
            + " && stat -c %u:%g \(directory)/new"
        let result = try Process.runCapturing("/usr/bin/unshare", ["-m", "/bin/sh", "-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "1234:1234\n")
    }
}
