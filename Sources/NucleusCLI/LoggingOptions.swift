import ArgumentParser
import Logging

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Logs go to stderr only, so they never mix with the workload's stdout.
struct LoggingOptions: ParsableArguments {
    @Option(help: "trace, debug, info, notice, warning (default), error or critical.")
    var logLevel: Logger.Level = .warning

    func bootstrap() -> Logger { Self.bootstrap(level: logLevel) }

    static func bootstrap(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "nucleus")
    }
}
