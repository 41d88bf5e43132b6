import Foundation
import NucleusPlan
import Testing

@testable import NucleusCLI
@testable import NucleusLifecycle

/// The default seccomp allowlist and its options, observed from inside.
@Suite struct SeccompTests {
    static let eperm = 1
    static let enosys = 38

    @Test func theFilterIsInstalled() throws {
        let result = try NucleusBinary.sh("grep -E '^Seccomp(_filters)?:' /proc/self/status")
        #expect(
            result.stdout.lines.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") } == [
                "Seccomp: 2", "Seccomp_filters: 1",
            ])
    }

    @Test func dangerousSyscallsFailWithEPERM() throws {
        let denied = [
            "unshare-user", "ptrace", "bpf", "keyctl", "io_uring_setup", "userfaultfd", "perf_event_open", "mount",
            "socket-inet", "socket-raw", "socket-packet", "socket-netlink-audit", "tiocsti", "tiocsti-high-bits",
            "mmap-wx", "mprotect-wx", "personality-change", "i386", "x32",
        ]
        let errnos = try Probe.run(denied)
        for name in denied { #expect(errnos[name] == Self.eperm, "\(name): \(errnos[name] ?? -1)") }
    }

    @Test func harmlessUsesStayAllowedAndNewSyscallsGetENOSYS() throws {
        let errnos = try Probe.run(["unshare-files", "socket-unix", "personality-query", "getpriority", "clone3"])
        #expect(errnos["unshare-files"] == 0)
        #expect(errnos["socket-unix"] == 0)
        #expect(errnos["personality-query"] == 0)
        #expect(errnos["getpriority"] == 0)
        #expect(errnos["clone3"] == Self.enosys)
    }

    @Test func internetSocketsFollowTheNetworkMode() throws {
        let host = try Probe.run(
            ["socket-inet", "socket-raw"], flags: ["--network", "host", "--allow-host-network"])
        #expect(host["socket-inet"] == 0)
        #expect(host["socket-raw"] == Self.eperm)
    }

    @Test func optInsAndJITAreAllowedAndShownAsWeakenings() throws {
        let errnos = try Probe.run(["ptrace", "mmap-wx"], flags: ["--seccomp-allow", "ptrace", "--allow-jit"])
        #expect(errnos["ptrace"] == 0)
        #expect(errnos["mmap-wx"] == 0)
        let plan = try NucleusBinary.run(["run", "--dry-run", "--seccomp-allow", "ptrace", "--", "/bin/true"])
        #expect(plan.stdout.contains("degraded  seccomp"))
        #expect(plan.stdout.contains("weakened by --seccomp-allow ptrace"))
        let refused = try NucleusBinary.run(["run", "--seccomp-allow", "mount", "--", "/bin/true"])
        #expect(refused.status == 125)
        #expect(refused.stderr.contains("--seccomp-allow mount: not an opt-in syscall"))
    }

    /// busybox, coreutils, bash, tar, python3 with subprocess and threads, git,
    /// gcc, make, in a workspace where executing is allowed.
    @Test(arguments: ["0", "1000"])
    func ordinaryToolsWork(_ user: String) throws {
        let work = "/srv/nucleus-tools-\(getpid())-\(user)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let script = """
            set -e
            busybox ls -l / >/dev/null; busybox sh -c 'echo busybox' ; busybox sort </etc/hostname >/dev/null
            ls -l /usr >/dev/null; mkdir -p d/e; touch d/e/f; cp -a d d2; sort /etc/passwd >/dev/null
            timeout 5 sleep 0.1; id -u
            bash -c 'for i in 1 2; do echo $i; done' >/dev/null
            tar cf t.tar d && mkdir x && tar xf t.tar -C x && test -f x/d/e/f
            python3 -c 'import subprocess, threading; print(subprocess.run(["echo","python"],capture_output=True).stdout.decode().strip()); t=threading.Thread(target=print, args=("thread",)); t.start(); t.join()'
            git init -q repo && cd repo && echo a > a && git add a && git -c user.name=a -c user.email=b commit -qm m && git log --format=%s && cd ..
            printf '#include <stdio.h>\\nint main(){puts("compiled");return 0;}\\n' > m.c && gcc -o m m.c && ./m
            printf 'all:\\n\\t@echo make\\n' > Makefile && make -s
            """
        let result = try NucleusBinary.run([
            "run", "--workspace", work, "--workspace-exec", "--user", user, "--", "/bin/bash", "-c", script,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.lines == ["busybox", user, "python", "thread", "m", "compiled", "make"])
    }

    @Test func deniedCallsReachTheKernelLogOnlyWhenAsked() throws {
        // A copy of unshare under a name of its own, so its audit lines are this
        // test's alone (the kernel ring buffer may also drop older lines).
        let directory = "/tmp/nucleus-audit-\(getpid())"
        let name = "aud\(getpid() % 100_000)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.copyItem(atPath: "/usr/bin/unshare", toPath: directory + "/" + name)
        func logged() throws -> Bool {
            try Process.runCapturing("/bin/dmesg", []).stdout.lines.contains {
                $0.contains("type=1326") && $0.contains("comm=\"\(name)\"")
            }
        }
        let flags = ["--volume", "\(directory):/audit:ro"]
        _ = try NucleusBinary.sh("/audit/\(name) -U true", flags: flags)
        #expect(try !logged())
        _ = try NucleusBinary.sh("/audit/\(name) -U true", flags: flags + ["--seccomp-log-denied"])
        #expect(try logged())
    }
}

/// Compiled filters are cached in /run/nucleus/seccomp, trusted only when
/// root alone can write them.
@Suite struct SeccompCacheTests {
    static let directory = "/run/nucleus/seccomp"

    /// The cache file of the policy `arguments` plan, named the way the
    /// binary names it. Other suites fill the directory at the same time, so
    /// a before/after listing cannot tell which new file is this test's.
    static func cacheFile(for arguments: [String]) throws -> String {
        let run = try #require(FastRunParser.parse(["nucleus", "run"] + arguments + ["--", "/bin/true"]))
        let plan = try Planner.plan(run.flags.request(), host: LiveHost())
        let policy = try #require(plan.seccomp)
        return directory + "/" + SeccompCache.key(policy) + ".bpf"
    }

    @Test func aCachedProgramOthersCouldWriteIsIgnored() throws {
        // A flag combination no other test uses, so the cache file is this test's alone.
        let flags = ["--seccomp-allow", "sched_getattr", "--seccomp-allow", "munlockall", "--allow-jit"]
        let path = try Self.cacheFile(for: flags)
        unlink(path)  // left by an interrupted earlier run
        defer { unlink(path) }
        let first = try Probe.run(["ptrace"], flags: flags)
        #expect(first == ["ptrace": 1])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.ownerAccountID] as? Int == 0)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        chmod(path, 0o666)
        try Data(count: 8).write(to: URL(fileURLWithPath: path))  // "return KILL" if it were ever loaded
        let second = try Probe.run(["ptrace", "getpriority"], flags: flags)
        #expect(second == ["ptrace": 1, "getpriority": 0])
    }
}
