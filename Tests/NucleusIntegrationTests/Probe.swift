import Foundation
import Testing

/// `Fixtures/probe.c`, compiled once per test run: tries one syscall per
/// argument inside a container and prints `name=errno`.
enum Probe {
    static let directory: String = {
        let directory = "/tmp/nucleus-probe-\(getpid())"
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Fixtures/probe.c"
        ).path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try? Process.runCapturing("/usr/bin/gcc", ["-O2", "-o", directory + "/probe", source])
        // Gone with the test run: every run used to leave one behind in /tmp.
        atexit { try? FileManager.default.removeItem(atPath: "/tmp/nucleus-probe-\(getpid())") }
        return directory
    }()

    /// `nucleus run [flags] --volume probe -- /probe/probe names...` as `[name: errno]`.
    static func run(_ names: [String], flags: [String] = []) throws -> [String: Int] {
        let result = try NucleusBinary.run(
            ["run", "--volume", "\(directory):/probe:ro"] + flags + ["--", "/probe/probe"] + names)
        #expect(result.status == 0, "\(result.stderr)")
        var errnos: [String: Int] = [:]
        for line in result.stdout.lines {
            let parts = line.split(separator: "=")
            if parts.count == 2, let value = Int(parts[1]) { errnos[String(parts[0])] = value }
        }
        return errnos
    }
}
