import Foundation
import Testing

/// `nucleus attest generate` and `--verify-rootfs-attestation`: a pinned root
/// starts only while it is exactly what its manifest says.
@Suite struct AttestationTests {
    static func root(_ name: String) throws -> String {
        let root = "/srv/nucleus-attest-\(getpid())-\(name)"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: root + "/bin/busybox")
        try FileManager.default.createSymbolicLink(atPath: root + "/bin/sh", withDestinationPath: "busybox")
        try "pinned\n".write(toFile: root + "/etc/app.conf", atomically: true, encoding: .utf8)
        let generate = try NucleusBinary.run(["attest", "generate", root])
        #expect(generate.status == 0, "\(generate.stderr)")
        return root
    }

    static func start(_ root: String) throws -> NucleusBinary.Result {
        try NucleusBinary.run([
            "run", "--rootfs", root, "--verify-rootfs-attestation", "--", "/bin/sh", "-c", "echo started",
        ])
    }

    @Test func theManifestListsEveryFileSortedWithModeAndDigest() throws {
        let root = try Self.root("format")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let lines = try String(contentsOfFile: root + "/.nucleus-rootfs-sha256", encoding: .utf8).lines
        #expect(
            lines.map { $0.split(separator: " ").dropFirst().joined(separator: " ") } == [
                "0755 bin/busybox", "link bin/sh", "0644 etc/app.conf",
            ])
        let digest = String(try Process.runCapturing("/usr/bin/sha256sum", [root + "/etc/app.conf"]).stdout.prefix(64))
        #expect(lines.last?.hasPrefix(digest) == true)
        #expect(try Self.start(root).stdout == "started\n")
    }

    @Test(arguments: [
        ("content", "echo changed > etc/app.conf", "etc/app.conf does not match its SHA-256"),
        ("mode", "chmod 4755 bin/busybox", "bin/busybox has mode 4755, the manifest says 0755"),
        ("extra", "echo x > etc/extra", "etc/extra is not in the manifest"),
        ("missing", "rm etc/app.conf", "etc/app.conf is missing"),
        ("link", "ln -sf /etc/shadow bin/sh", "bin/sh does not match its SHA-256"),
    ])
    func anyDifferenceRefusesTheStartNamingThePath(_ name: String, _ tamper: String, _ problem: String) throws {
        let root = try Self.root(name)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let changed = try Process.runCapturing("/bin/sh", ["-c", "cd \(root) && \(tamper)"])
        #expect(changed.status == 0)
        let result = try Self.start(root)
        #expect(result.status == 125)
        #expect(!result.stdout.contains("started"))
        #expect(result.stderr == "nucleus: error: rootfs attestation failed: \(root)/\(problem); refusing to start\n")
    }

    @Test func aMissingManifestOrRootfsIsRefused() throws {
        let root = try Self.root("none")
        defer { try? FileManager.default.removeItem(atPath: root) }
        unlink(root + "/.nucleus-rootfs-sha256")
        let result = try Self.start(root)
        #expect(result.status == 125)
        #expect(result.stderr.contains("has no readable .nucleus-rootfs-sha256"))
        let noRootfs = try NucleusBinary.run(["run", "--verify-rootfs-attestation", "--", "/bin/true"])
        #expect(noRootfs.stderr.contains("--verify-rootfs-attestation needs --rootfs"))
    }
}
