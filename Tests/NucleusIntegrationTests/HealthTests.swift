import Foundation
import Testing

/// `--health-cmd`: checks run inside the container, as the workload, and
/// their verdicts reach stderr and the events stream.
@Suite struct HealthTests {
    @Test func theStatusFollowsACheckThatSeesTheContainersFiles() throws {
        let events = "/tmp/nucleus-health-\(getpid()).jsonl"
        defer { unlink(events) }
        let result = try NucleusBinary.run([
            "run", "--events-jsonl", events, "--health-cmd", "test -f /tmp/ok", "--health-interval", "0.2",
            "--health-start-period", "30", "--health-retries", "2", "--", "/bin/sh", "-c",
            "sleep 0.5; touch /tmp/ok; sleep 1; rm /tmp/ok; sleep 1.5",
        ])
        #expect(result.status == 0)
        #expect(result.stderr.lines == ["nucleus: health: healthy", "nucleus: health: unhealthy"], "\(result.stderr)")
        let records = try String(contentsOfFile: events, encoding: .utf8).lines.compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let health = records.filter { $0["event"] as? String == "health" }.compactMap { $0["status"] as? String }
        #expect(health == ["healthy", "unhealthy"])
    }

    @Test func theCheckRunsAsTheWorkloadWithoutCapabilities() throws {
        let result = try NucleusBinary.run([
            "run", "--user", "1000", "--health-cmd",
            "test \"$(id -u)\" = 1000 && grep -q '^CapEff:[[:space:]]*0000000000000000$' /proc/self/status",
            "--health-interval", "0.2", "--health-start-period", "30", "--", "/bin/sleep", "1",
        ])
        #expect(result.stderr.lines == ["nucleus: health: healthy"], "\(result.stderr)")
    }

    /// A check counts against the container's limits: it runs in the
    /// container's cgroups, so inside the cgroup namespace its
    /// /proc/self/cgroup reads like the workload's, every path `/`. Outside
    /// them, the memory line would climb above the namespace's root (`/..`).
    @Test func theCheckRunsInTheContainersCgroups() throws {
        let result = try NucleusBinary.run([
            "run", "--memory", "64M", "--health-cmd", "cat /proc/self/cgroup > /tmp/check-cgroup",
            "--health-interval", "0.2", "--health-start-period", "30", "--", "/bin/sh", "-c",
            "for i in $(seq 100); do [ -s /tmp/check-cgroup ] && break; sleep 0.1; done; "
                + "cat /proc/self/cgroup; echo ---; cat /tmp/check-cgroup",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let halves = result.stdout.components(separatedBy: "---\n")
        #expect(halves.count == 2 && !halves[1].isEmpty, "\(result.stdout)")
        #expect(halves.first?.lines.sorted() == halves.last?.lines.sorted(), "\(result.stdout)")
        #expect(result.stdout.lines.contains { $0.contains(":memory:") && $0.hasSuffix(":/") }, "\(result.stdout)")
        #expect(!result.stdout.contains("/.."), "\(result.stdout)")
    }

    @Test func anUnhealthyContainerEndsWhenAsked() throws {
        let result = try NucleusBinary.run([
            "run", "--health-cmd", "false", "--health-interval", "0.2", "--health-start-period", "0",
            "--health-retries", "2", "--health-exit-on-unhealthy", "--", "/bin/sleep", "60",
        ])
        #expect(result.status == 137)
        #expect(result.stderr.contains("nucleus: health: unhealthy"))
        let orphan = try NucleusBinary.run(["run", "--health-interval", "1", "--", "/bin/true"])
        #expect(orphan.stderr.contains("need --health-cmd"))
    }
}
