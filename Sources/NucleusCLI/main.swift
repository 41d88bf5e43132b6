import ArgumentParser
import Logging
import NucleusModel
import NucleusNetwork

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Exit codes: the workload's own status; 125 when nucleus fails; 126/127 when
/// the command cannot be run; 2 for a command line the parser rejects.
func writeError(_ message: String) {
    let line = "nucleus: error: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}

// Before anything else: the rootless network helper must still be
// single-threaded when it joins its container's user namespace.
if CommandLine.arguments.count == 2, CommandLine.arguments[1] == NetworkHelper.command {
    exit(NetworkHelper.main())
}

do {
    if let run = FastRunParser.parse(CommandLine.arguments) {
        exit(try RunCommand.run(run.flags, dryRun: run.dryRun, logger: LoggingOptions.bootstrap(level: .warning)))
    }
    var command = try NucleusCommand.parseAsRoot()
    try command.run()
    exit(0)
} catch let error as NucleusError {
    writeError(error.description)
    exit(error.exitCode)
} catch let error as ExitCode {
    exit(error.rawValue)
} catch {
    if NucleusCommand.exitCode(for: error) == .success {
        print(NucleusCommand.fullMessage(for: error))
        exit(0)
    }
    let message = NucleusCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid usage"
    writeError("\(message) (see nucleus run --help)")
    exit(2)
}
