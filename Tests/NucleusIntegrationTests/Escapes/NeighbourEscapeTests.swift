import Foundation
import Testing

/// A second container running at the same time: the first cannot signal
/// it, see its processes, or read its files or environment.
@Suite(.serialized) struct NeighbourEscapeTests {
    @Test(arguments: EscapeMode.allCases) func aConcurrentContainerIsInvisibleAndUntouchable(mode: EscapeMode) throws {
        let secret = "NEIGHBOUR_SECRET=\(UInt64.random(in: 0...UInt64.max))"
        let victim = try NucleusBinary.start(
            ["run"] + mode.flags + [
                "-e", secret, "--", "/bin/sh", "-c", "echo \(secret) > /tmp/secret; sleep 3; echo alive",
            ])
        usleep(300_000)
        // Everything the attacker can find: its processes, their environment
        // and files, /tmp; then it signals every process it can.
        let attacker = try NucleusBinary.run(
            ["run"] + mode.flags + [
                "--", "/bin/sh", "-c",
                "ls /proc | grep -c '^[0-9]'; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\\\0' '\\\\n' | grep -c NEIGHBOUR; cat /tmp/secret 2>&1; kill -9 -1; echo survived",
            ])
        let lines = attacker.stdout.lines
        #expect(lines.first.flatMap { Int($0) }.map { $0 <= 4 } == true, "\(mode.rawValue): \(attacker.stdout)")
        #expect(lines.dropFirst().first == "0", "no neighbour's environment: \(attacker.stdout)")
        #expect(!attacker.stdout.contains(secret), "\(attacker.stdout)")
        let result = NucleusBinary.finish(victim)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.lines == ["alive"], "the neighbour survived kill -9 -1")
    }
}
