import Foundation
import Testing

/// `--seccomp-mode trace`, `nucleus seccomp generate`, `nucleus policy check`.
@Suite struct SeccompTraceTests {
    static func traceFile(_ name: String) -> String { "/tmp/nucleus-trace-\(getpid())-\(name).ndjson" }

    static func records(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// strace inside the traced sandbox sees the workload's syscalls one way;
    /// the seccomp listener must have recorded every one of them.
    @Test func theTraceHoldsEverySyscallOfEveryDescendant() throws {
        let trace = Self.traceFile("complete")
        defer { unlink(trace) }
        let workload = """
            strace -f -qq -o /tmp/strace.out python3 -c "import subprocess; subprocess.run(['python3', '-c', \
            'import os, threading; t = threading.Thread(target=lambda: os.getpriority(os.PRIO_PROCESS, 0)); t.start(); t.join()'])"
            cat /tmp/strace.out
            """
        let result = try NucleusBinary.sh(workload, flags: ["--seccomp-mode", "trace", "--seccomp-log", trace])
        #expect(result.status == 0, "\(result.stderr)")
        let seenByStrace = Set(
            result.stdout.lines.compactMap { line -> String? in
                let call = line.drop { !$0.isWhitespace }.drop { $0.isWhitespace }
                guard let paren = call.firstIndex(of: "(") else { return nil }
                let name = call[..<paren]
                return name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } ? String(name) : nil
            })
        let records = try Self.records(trace)
        let recorded = Set(records.compactMap { $0["name"] as? String })
        #expect(seenByStrace.contains("getpriority"), "\(result.stderr)")
        #expect(seenByStrace.count > 30)
        #expect(seenByStrace.subtracting(recorded).isEmpty, "missing: \(seenByStrace.subtracting(recorded))")
        for record in records {
            #expect(record["number"] is Int && record["count"] is Int && record["first_pid"] is Int)
        }
    }

    @Test func aGeneratedProfileLetsTheSameWorkloadRunAndNothingElse() throws {
        let trace = Self.traceFile("roundtrip")
        let profile = "/tmp/nucleus-trace-\(getpid())-profile.json"
        defer {
            unlink(trace)
            unlink(profile)
        }
        let traced = try Probe.run(["getpriority"], flags: ["--seccomp-mode", "trace", "--seccomp-log", trace])
        #expect(traced == ["getpriority": 0])
        let generate = try NucleusBinary.run(["seccomp", "generate", trace, "-o", profile])
        #expect(generate.status == 0, "\(generate.stderr)")
        let enforced = try Probe.run(["getpriority", "unshare-files"], flags: ["--seccomp-profile", profile])
        #expect(enforced == ["getpriority": 0, "unshare-files": 1])
    }

    @Test func traceModeNeedsItsLogAndTheLogNeedsTraceMode() throws {
        for flags in [["--seccomp-mode", "trace"], ["--seccomp-log", "/tmp/x.ndjson"]] {
            let result = try NucleusBinary.run(["run"] + flags + ["--", "/bin/echo", "RAN"])
            #expect(result.status == 125)
            #expect(result.stderr.lines.count == 1)
            #expect(!result.stdout.contains("RAN"))
        }
        let bad = "/tmp/nucleus-trace-\(getpid())-bad.ndjson"
        try "not json\n".write(toFile: bad, atomically: true, encoding: .utf8)
        defer { unlink(bad) }
        let generate = try NucleusBinary.run(["seccomp", "generate", bad])
        #expect(generate.status != 0)
        #expect(generate.stderr.contains("\(bad): line 1 is not a trace record"))
    }

    @Test func policyCheckPrintsEachFilesHashAndFailsOnABadOne() throws {
        let good = try PolicyFileTests.file("check.json", #"{"defaultAction": "SCMP_ACT_ALLOW"}"#)
        let caps = try PolicyFileTests.file("check.toml", "[bounding]\nkeep = [\"CHOWN\"]\n")
        let bad = try PolicyFileTests.file("check-bad.json", "{")
        defer { for path in [good, caps, bad] { unlink(path) } }
        let ok = try NucleusBinary.run(["policy", "check", good, caps])
        #expect(ok.status == 0)
        let digest = try PolicyFileTests.sha256(good)
        #expect(ok.stdout.contains("\(good): seccomp profile"))
        #expect(ok.stdout.contains(digest))
        #expect(ok.stdout.contains("\(caps): capability policy"))
        let failed = try NucleusBinary.run(["policy", "check", good, bad])
        #expect(failed.status == 1)
        #expect(failed.stdout.contains(good))
        #expect(failed.stderr.contains("\(bad): not a JSON object"))
    }
}
