import Foundation
import Testing

/// CVE-2021-30465 class: a mount destination inside the workspace, which a
/// concurrent container can rewrite, swapped between a directory and a
/// symlink out of the root while nucleus starts, again and again for a few
/// seconds. Each start puts the volume where it was asked, or fails with one
/// error line, or (exit 1) runs after the racer moved the directory and
/// with it the mount; nothing ever lands in, or is created in, the host
/// directory the symlink points at. (A missing destination is created in
/// the workspace, as Docker creates a bind's destination.)
@Suite(.serialized) struct MountRaceEscapeTests {
    static let raceSeconds = 4.0

    @Test(arguments: EscapeMode.allCases) func aSymlinkSwappedUnderAMountDestinationNeverLeadsOut(mode: EscapeMode)
        throws
    {
        let id = "\(getpid())-\(mode.rawValue)"
        let (workspace, outside, volume) =
            ("/tmp/nucleus-race-ws-\(id)", "/tmp/nucleus-race-outside-\(id)", "/tmp/nucleus-race-volume-\(id)")
        for directory in [workspace + "/sub", outside, volume] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try "marker\n".write(toFile: volume + "/marker", atomically: true, encoding: .utf8)
        defer { [workspace, outside, volume].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        var outcomes: [Int32: Int] = [:]
        try Self.race(swapping: workspace + "/sub", with: outside) {
            let result = try NucleusBinary.run(
                ["run"] + mode.flags + [
                    "--workspace", workspace, "--volume", volume + ":/workspace/sub:ro", "--", "/bin/cat",
                    "/workspace/sub/marker",
                ])
            outcomes[result.status, default: 0] += 1
            switch result.status {
            case 0: #expect(result.stdout == "marker\n", "the volume is where it was asked")
            case 125: #expect(result.stderr.lines.count == 1, "one error line: \(result.stderr)")
            case 1: #expect(result.stderr.contains("/workspace/sub/marker"), "\(result.stderr)")
            default: Issue.record("\(mode.rawValue): exit \(result.status): \(result.stderr)")
            }
        }
        #expect(outcomes[0, default: 0] > 0, "some starts won the race: \(outcomes)")
        let created = try FileManager.default.contentsOfDirectory(atPath: outside)
        #expect(created.isEmpty, "nothing created outside the root: \(created)")
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(outside), "nothing mounted on the host")
    }

    /// The same race on a `--context` tree, whose host directory a
    /// concurrent writer may change while nucleus copies it: the copy never
    /// follows the swapped-in symlink, so the host directory's secret never
    /// shows up inside.
    @Test(arguments: EscapeMode.allCases) func aSymlinkSwappedInsideTheContextIsNeverFollowed(mode: EscapeMode) throws {
        let id = "\(getpid())-\(mode.rawValue)"
        let (context, outside) = ("/tmp/nucleus-race-context-\(id)", "/tmp/nucleus-race-secret-\(id)")
        for directory in [context + "/sub", outside] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try "public\n".write(toFile: context + "/sub/file", atomically: true, encoding: .utf8)
        try "host-secret\n".write(toFile: outside + "/file", atomically: true, encoding: .utf8)
        defer { [context, outside].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        var started = 0
        try Self.race(swapping: context + "/sub", with: outside) {
            let result = try NucleusBinary.run(
                ["run"] + mode.flags + [
                    "--context", context, "--", "/bin/sh", "-c", "cat /context/sub/file 2>/dev/null; true",
                ])
            #expect(!result.stdout.contains("host-secret"), "\(mode.rawValue): the symlink was followed")
            #expect(result.status == 0 || (result.status == 125 && result.stderr.lines.count == 1), "\(result.stderr)")
            if result.status == 0 { started += 1 }
        }
        #expect(started > 0)
    }

    /// Runs `attempt` again and again for `raceSeconds` while a racer swaps
    /// `path` between its directory and a symlink to `target`.
    static func race(swapping path: String, with target: String, _ attempt: () throws -> Void) throws {
        let racer = Self.racer(swapping: path, with: target)
        try racer.run()
        defer {
            kill(racer.processIdentifier, SIGKILL)
            racer.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(raceSeconds)
        while Date() < deadline { try attempt() }
    }

    /// Swaps `path` between its directory and a symlink to `target`, in bursts.
    static func racer(swapping path: String, with target: String) -> Process {
        let racer = Process()
        racer.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        racer.arguments = [
            "-c",
            """
            import os, random, sys, time
            path, target, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
            real = path + ".real"
            end = time.time() + seconds
            # Phases of a few milliseconds: swapping as fast as it can, then
            # holding the directory still, so some starts meet the race and
            # others can win it whatever the machine's load.
            while time.time() < end:
                time.sleep(random.uniform(0.002, 0.008))
                swapping = time.time() + random.uniform(0.002, 0.008)
                while time.time() < swapping:
                    for step in (lambda: os.rename(path, real), lambda: os.symlink(target, path),
                                 lambda: os.unlink(path), lambda: os.rename(real, path)):
                        try: step()
                        except OSError: pass
            """,
            path, target, String(raceSeconds + 1),
        ]
        return racer
    }
}
