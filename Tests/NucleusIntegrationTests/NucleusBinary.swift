import Foundation
import Testing

/// Runs the `nucleus` binary this package just built, as a user would.
/// `NUCLEUS_BINARY` overrides the path (e.g. to test a release build).
enum NucleusBinary {
    static let path: String = {
        if let override = ProcessInfo.processInfo.environment["NUCLEUS_BINARY"] { return override }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/nucleus").path
    }()

    struct Result {
        /// nucleus's own pid: what its cgroups are named after.
        var pid: Int32 = 0
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs nucleus with `arguments` and waits for it.
    @discardableResult
    static func run(
        _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil,
        extraFileDescriptors: [Int32: FileHandle] = [:]
    ) throws -> Result {
        let process = try start(arguments, environment: environment, stdin: stdin)
        return finish(process)
    }

    struct Running {
        var process: Process
        var stdout: Pipe
        var stderr: Pipe
        /// Open when the caller feeds the workload's stdin as it runs.
        var stdin: Pipe? = nil
    }

    static func start(_ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil) throws
        -> Running
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        return Running(process: process, stdout: out, stderr: err)
    }

    static func finish(_ running: Running) -> Result {
        let stdout = running.stdout.fileHandleForReading.readDataToEndOfFile()
        let stderr = running.stderr.fileHandleForReading.readDataToEndOfFile()
        running.process.waitUntilExit()
        return Result(
            pid: running.process.processIdentifier, status: running.process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// `nucleus run [flags] -- /bin/sh -c script`
    @discardableResult
    static func sh(_ script: String, flags: [String] = [], environment: [String: String]? = nil) throws -> Result {
        try run(["run"] + flags + ["--", "/bin/sh", "-c", script], environment: environment)
    }
}

/// What the test process itself sees on the host, for before/after comparisons.
enum HostState {
    /// The host's mounts, without the named network namespaces under
    /// `/run/netns` that `NetworkWorld` test hosts add and remove while other
    /// suites run (nucleus itself never mounts there).
    static func mountTable() throws -> String {
        try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).lines
            .filter { !$0.contains(" /run/netns") }.joined(separator: "\n")
    }

    /// Host pids whose command line contains `marker`.
    static func processes(containing marker: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\0", with: " ").contains(marker)
        }
    }

    static var isRoot: Bool { geteuid() == 0 }
}

extension String {
    var lines: [String] { split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
}
