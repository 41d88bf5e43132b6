import Testing

@testable import NucleusLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The `key value` files read at exit (memory.oom_control, memory.events, cpu.stat).
@Suite struct CgroupFilesTests {
    static func file(_ text: String) -> String {
        var template = Array("/tmp/nucleus-keyed-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test func aKeyIsFoundAmongOthersAndMalformedLinesAreSkipped() {
        let path = Self.file(
            "oom_kill_disable 0\nunder_oom 0\noom_kill 3\nbroken\nnegative -1\nhuge 99999999999999999999\n")
        defer { unlink(path) }
        #expect(CgroupFiles.keyed(path, "oom_kill") == 3)
        #expect(CgroupFiles.keyed(path, "oom") == nil)
        #expect(CgroupFiles.keyed(path, "negative") == nil)
        #expect(CgroupFiles.keyed(path, "huge") == nil)
        #expect(CgroupFiles.keyed(path) == ["oom_kill_disable": 0, "under_oom": 0, "oom_kill": 3])
    }

    @Test func aMissingFileHasNoValues() {
        #expect(CgroupFiles.keyed("/nonexistent/memory.events", "oom_kill") == nil)
        #expect(CgroupFiles.keyed("/nonexistent/memory.events").isEmpty)
    }

    /// Only `nucleus-<pid>-<random>` children are swept; anything else below
    /// nucleus's cgroup belongs to someone else.
    @Test func staleChildrenAreRecognisedByTheirNameOnly() {
        #expect(StaleCgroups.owner(of: "nucleus-4242-1f3a") == 4242)
        #expect(StaleCgroups.owner(of: "nucleus-4242") == nil)
        #expect(StaleCgroups.owner(of: "nucleus-4242-1f-3a") == nil)
        #expect(StaleCgroups.owner(of: "nucleus-x-1f3a") == nil)
        #expect(StaleCgroups.owner(of: "other-4242-1f3a") == nil)
    }
}
