import Foundation
import Testing

/// `--events-jsonl` / `--events-fd`: a start and an exit record per run.
@Suite struct EventsTests {
    static func records(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test func aRunWritesStartAndExitRecords() throws {
        let path = "/tmp/nucleus-events-\(getpid()).jsonl"
        defer { unlink(path) }
        let result = try NucleusBinary.run([
            "run", "--name", "evented", "--memory", "32M", "--events-jsonl", path, "--", "/usr/bin/python3", "-c",
            "x = bytearray(200 * 1024 * 1024)",
        ])
        #expect(result.status == 137)
        let records = try Self.records(path)
        #expect(records.count == 2)
        let start = try #require(records.first)
        #expect(start["event"] as? String == "start")
        #expect(start["id"] as? String == "evented")
        #expect((start["pid"] as? Int ?? 0) > 0)
        #expect((start["cgroup"] as? String)?.contains("nucleus-") == true)
        #expect(start["mode"] as? String == "agent")
        #expect((start["mechanisms"] as? [String: String])?["seccomp"] == "enforced")
        #expect((start["time"] as? String)?.hasSuffix("Z") == true)
        let exit = try #require(records.last)
        #expect(exit["event"] as? String == "exit")
        #expect(exit["status"] as? Int == 137)
        #expect(exit["signal"] as? Int == 9)
        #expect(exit["oom_kills"] as? Int == 1)
        #expect((exit["stats"] as? [String: Any])?["memory_peak_bytes"] != nil)
        #expect(exit["cleanup_ok"] as? Bool == true)
        #expect(exit["error"] is NSNull)
    }

    @Test func aFailureBeforeStartIsAnExitRecordWithTheError() throws {
        let result = try Process.runCapturing(
            "/bin/bash",
            ["-c", "\(NucleusBinary.path) run --events-fd 5 -- /nonexistent/command 5>&1 >/dev/null 2>/dev/null"])
        let records = try result.stdout.lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let exit = try #require(records.last)
        #expect(exit["event"] as? String == "exit")
        #expect(exit["status"] as? Int == 127)
        #expect((exit["error"] as? String)?.contains("not found") == true)
    }
}
