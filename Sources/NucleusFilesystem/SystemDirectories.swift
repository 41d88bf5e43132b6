import NucleusModel

/// The read-only system trees: the host's (agent default) or those of
/// `--rootfs`. A usr-merge symlink such as `/bin -> usr/bin` is recreated as
/// the same symlink instead of a second bind of the same tree.
public enum SystemDirectories {
    public static let names = ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"]
    public static let options: MountOptions = [.readOnly, .noSuid, .noDev]

    public static func steps(sourceRoot: String, host: any HostProbe) -> [SetupStep] {
        var steps: [SetupStep] = []
        for name in names {
            let source = join(sourceRoot, name)
            switch host.entry(at: source) {
            case .directory:
                steps += [.directory("/" + name), .bind(host: source, at: "/" + name, options: options)]
            case .symlink(let text):
                guard let resolved = host.resolve(source), host.entry(at: resolved) == .directory else { continue }
                if staysInside(resolved: resolved, sourceRoot: sourceRoot) {
                    steps.append(.symlink("/" + name, to: text))
                } else {
                    steps += [.directory("/" + name), .bind(host: resolved, at: "/" + name, options: options)]
                }
            case .missing, .file, .other:
                continue
            }
        }
        return steps
    }

    /// A symlink may be copied when it lands in another system tree of the same root.
    static func staysInside(resolved: String, sourceRoot: String) -> Bool {
        names.contains { name in
            let tree = join(sourceRoot, name)
            return resolved == tree || resolved.hasPrefix(tree + "/")
        }
    }

    static func join(_ root: String, _ name: String) -> String {
        root == "/" ? "/" + name : root + "/" + name
    }
}
