import NucleusModel
import NucleusPlan

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Production's check that setup did what the plan says: every planned mount
/// is there, with at least the read-only, nosuid, nodev and noexec flags the
/// plan gave it (`setAttributes` steps included), read from the container's
/// `/proc/<pid>/mountinfo` while it waits at its audit step.
enum MountAudit {
    static let audited: [(MountOptions, String)] = [
        (.readOnly, "ro"), (.noSuid, "nosuid"), (.noDev, "nodev"), (.noExec, "noexec"),
    ]

    static func check(plan: Plan, pid: pid_t) throws(NucleusError) {
        let path = "/proc/\(pid)/mountinfo"
        let text: String
        do {
            text = try LiveHost().readTextFile(path)
        } catch {
            throw NucleusError("audit the container's mounts", syscall: "open", path: path, errno: error.errno)
        }
        var actual: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 5 else { continue }
            actual[String(fields[4])] = Set(fields[5].split(separator: ",").map(String.init))
        }
        var required: [String: MountOptions] = [:]
        for step in plan.setup where !step.optional && !step.target.isEmpty {
            switch step.kind {
            case .mount, .bind:
                required[step.target] = step.options
            case .setAttributes:
                required[step.target, default: []].formUnion(step.options)
            default:
                continue
            }
        }
        for target in required.keys.sorted() {
            guard let flags = actual[target] else {
                throw .invalid("mount audit: \(target) is not mounted, the plan mounts it; refusing to start")
            }
            for (option, word) in audited where required[target]?.contains(option) == true && !flags.contains(word) {
                throw .invalid(
                    "mount audit: \(target) is mounted \(flags.sorted().joined(separator: ",")), the plan requires \(word); refusing to start"
                )
            }
        }
    }
}
