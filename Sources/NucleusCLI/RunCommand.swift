import ArgumentParser
import Logging
import NucleusDocuments
import NucleusLifecycle
import NucleusModel
import NucleusPlan

enum PlanFormat: String, ExpressibleByArgument {
    case text, json
}

/// `nucleus run`: request -> plan -> (print | apply). No logic beyond that recipe.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command in a new, fully isolated sandbox.",
        discussion: """
            The sandbox gets new user, pid, mount, network, uts, ipc and cgroup namespaces, a read-only \
            tmpfs root with the host's system directories bound read-only, a private /proc, /dev, /tmp \
            and home, and no capabilities. nucleus exits with the command's status (128+N if killed by \
            signal N); 125 if nucleus itself failed, 126 if the command cannot be executed, 127 if it is \
            not found.
            """)

    @OptionGroup var logging: LoggingOptions

    @Flag(help: "Print the plan and exit without touching the kernel.")
    var dryRun = false

    @Option(help: "Plan output format for --dry-run: text or json.")
    var format: PlanFormat = .text

    @Option(help: ArgumentHelp("Read the whole request from a TOML or JSON file.", valueName: "path"))
    var config: String?

    @Option(help: ArgumentHelp("Read the whole request (TOML or JSON) from file descriptor N.", valueName: "n"))
    var configFd: Int32?

    @OptionGroup var sandbox: SandboxOptions

    func run() throws {
        let logger = logging.bootstrap()
        let flags = try sandboxFlags()
        let status = try Self.run(flags, dryRun: dryRun ? format : nil, logger: logger)
        throw ExitCode(status)
    }

    /// The recipe both parsers end in: request, plan, then print or apply.
    /// `dryRun` is the plan format to print instead of running.
    static func run(_ flags: SandboxFlags, dryRun: PlanFormat?, logger: Logger) throws(NucleusError) -> Int32 {
        let host = LiveHost()
        let plan = try Planner.plan(try flags.request(), host: host)
        // Agent mode runs degraded and says so, unless the caller accepted it with
        // --allow-degraded-security; the other modes refused in the planner.
        for mechanism in plan.mechanisms
        where mechanism.status == .degraded && dryRun == nil && !flags.allowDegradedSecurity {
            logger.warning("degraded: \(mechanism.name): \(mechanism.detail)")
        }
        if let dryRun {
            print(dryRun == .json ? PlanRenderer.json(plan) : PlanRenderer.text(plan), terminator: "")
            return 0
        }
        let fault = try host.environmentValue(FaultInjection.environmentVariable).map { value throws(NucleusError) in
            try FaultInjection.parse(value, plan: plan)
        }
        return try Launcher(plan: plan, fault: fault, logger: logger).run()
    }

    /// The flags, or the config document: never both.
    private func sandboxFlags() throws -> SandboxFlags {
        guard config != nil || configFd != nil else { return sandbox.flags }
        if config != nil, configFd != nil { throw NucleusError.invalid("give --config or --config-fd, not both") }
        guard sandbox.flags == SandboxFlags() else {
            throw NucleusError.invalid(
                "a config document holds the whole request: do not add sandbox flags or a command")
        }
        let document = try ConfigSource.read(path: config, fd: configFd)
        let arguments = try document.arguments()
        do {
            return try SandboxOptions.parse(arguments).flags
        } catch {
            throw NucleusError.invalid("\(document.origin): \(SandboxOptions.message(for: error))")
        }
    }
}
