import ArgumentParser

struct NucleusCommand: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "nucleus",
        abstract: "A security-hardened, declarative container runtime for agent sandboxes and Nix services.",
        version: version,
        subcommands: [RunCommand.self, PolicyCommand.self, SeccompCommand.self, AttestCommand.self, GCCommand.self])
}
