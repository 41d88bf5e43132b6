import ArgumentParser
import NucleusLifecycle
import NucleusPlan

/// `nucleus attest generate DIR`: the manifest `--verify-rootfs-attestation` checks.
struct AttestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest", abstract: "Pin a root filesystem's contents.", subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write DIR/.nucleus-rootfs-sha256: SHA-256, mode and path of every file, sorted.")

        @Argument(help: ArgumentHelp("The root filesystem.", valueName: "dir"))
        var directory: String

        @Option(name: .shortAndLong, help: ArgumentHelp("Write the manifest here instead.", valueName: "file"))
        var output: String?

        func run() throws {
            let manifest = try RootfsAttestation.manifest(for: directory)
            try LiveHost().writeFile(output ?? directory + "/" + RootfsAttestation.manifestName, contents: manifest)
        }
    }
}
