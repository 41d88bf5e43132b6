import ArgumentParser
import NucleusModel
import NucleusPlan
import NucleusSecurity

/// `nucleus policy check FILE...`: validate policy files and print their SHA-256.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Work with policy files.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate seccomp profiles (.json), Landlock and capability policies (.toml).",
            discussion: "Prints each valid file's SHA-256 for the matching --…-sha256 flag; exits 1 if any is invalid.")

        @Argument(help: "Policy files.")
        var files: [String]

        func run() throws {
            var failed = false
            for path in files {
                do {
                    let report = try PolicyCheck.check(path, host: LiveHost())
                    print("\(path): \(report.kind), \(report.summary); sha256 \(report.sha256)")
                } catch {
                    writeError(error.description)
                    failed = true
                }
            }
            if failed { throw ExitCode(1) }
        }
    }
}

/// `nucleus seccomp generate TRACE.ndjson [-o profile.json]`.
struct SeccompCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seccomp", abstract: "Work with seccomp traces and profiles.", subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the minimal OCI profile allowing what a --seccomp-mode trace run recorded.")

        @Argument(help: ArgumentHelp("The trace written by --seccomp-log.", valueName: "trace.ndjson"))
        var trace: String

        @Option(name: .shortAndLong, help: ArgumentHelp("Write the profile here instead of stdout.", valueName: "file"))
        var output: String?

        func run() throws {
            let host = LiveHost()
            let names = try SeccompProfileGenerator.names(fromTrace: try host.readFile(trace), path: trace)
            let profile = SeccompProfileGenerator.profile(allowing: names)
            if let output {
                try host.writeFile(output, contents: profile)
            } else {
                print(profile, terminator: "")
            }
        }
    }
}
