import NucleusModel
import TOMLKit

/// `--caps-policy FILE`: `[bounding]`, `[inheritable]`, `[ambient]`,
/// `[effective]`, each `keep = [NAMES]` without `CAP_`. The default keeps nothing.
public enum CapabilityPolicy {
    public static func plan(_ file: PolicyFile?, uid: UInt32, host: any HostProbe) throws(NucleusError)
        -> (sets: CapabilitySets, mechanism: Mechanism)
    {
        guard let file else {
            return (
                CapabilitySets(),
                Mechanism(
                    name: "capabilities", status: .enforced,
                    detail:
                        "all dropped: bounding, permitted, effective, inheritable and ambient sets empty; securebits locked"
                )
            )
        }
        let loaded = try PolicyFiles.load(file, flag: "--caps-policy", host: host)
        var sets = try parse(loaded.bytes, origin: "--caps-policy \(file.path)")
        sets.origin = "policy \(file.path) (sha256 \(loaded.sha256))"
        let kept = sets.ambient.isEmpty ? "none usable after exec" : sets.ambient.joined(separator: ", ")
        let detail =
            "\(sets.origin ?? ""): keeps \(kept) (bounding: \(list(sets.bounding)); inheritable: \(list(sets.inheritable)); ambient: \(list(sets.ambient))); securebits locked"
        return (sets, Mechanism(name: "capabilities", status: .enforced, detail: detail))
    }

    static func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: " ") }

    public static func parse(_ bytes: [UInt8], origin: String) throws(NucleusError) -> CapabilitySets {
        let sections = ["bounding", "inheritable", "ambient", "effective"]
        let document = try PolicyTOML(bytes, origin: origin, allowedKeys: Set(sections))
        var found: [String: [String]] = [:]
        for section in sections {
            guard let value = document.table[section] else { continue }
            guard let table = value.table else { throw document.fail("[\(section)] must be a table with keep = [...]") }
            try PolicyTOML.check(table, ["keep"], origin: origin, within: section)
            var names: [String] = []
            for word in try document.strings(table["keep"], key: "\(section).keep") {
                let name =
                    word.uppercased().hasPrefix("CAP_") ? String(word.uppercased().dropFirst(4)) : word.uppercased()
                guard CapabilityNames.number(name) != nil else {
                    throw document.fail("unknown capability \"\(word)\" in [\(section)]")
                }
                if !names.contains(name) { names.append(name) }
            }
            found[section] = names
        }
        let bounding = found["bounding"] ?? []
        let ambient = found["ambient"] ?? []
        for name in ambient where !bounding.contains(name) {
            throw document.fail("[ambient] \(name) is not in [bounding] keep: the kernel would refuse to raise it")
        }
        for name in found["effective"] ?? [] where !ambient.contains(name) {
            throw document.fail(
                "[effective] \(name) is not in [ambient]: without it no capability survives exec of a program that has no file capabilities"
            )
        }
        var inheritable = found["inheritable"] ?? []
        for name in inheritable where !bounding.contains(name) {
            throw document.fail("[inheritable] \(name) is not in [bounding] keep")
        }
        inheritable += ambient.filter { !inheritable.contains($0) }
        return CapabilitySets(bounding: bounding, inheritable: inheritable, ambient: ambient)
    }
}
