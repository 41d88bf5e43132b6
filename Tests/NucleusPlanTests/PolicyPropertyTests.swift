import NucleusLifecycle
import NucleusModel
import NucleusResources
import NucleusSecurity
import PropertyBased
import Testing

/// Properties of the policy-document and spec parsers over generated
/// documents: what a valid document names is exactly what the parse keeps.
@Suite struct PolicyPropertyTests {
    static let syscalls = ["read", "write", "openat", "close", "getpriority", "mmap", "futex", "clone3", "uname"]

    @Test func capabilityPoliciesKeepExactlyTheNamedCapabilities() async {
        await propertyCheck(input: Gen.element(of: CapabilityNames.all).array(of: 0...6)) { picked in
            let names = picked.compactMap { $0 }
            let list = names.map { "\"CAP_\($0)\"" }.joined(separator: ", ")
            let sets = try? CapabilityPolicy.parse(Array("[bounding]\nkeep = [\(list)]\n".utf8), origin: "caps.toml")
            #expect(sets.map { Set($0.bounding) } == Set(names), "\(names)")
        }
    }

    @Test func ociProfilesKeepEveryNamedSyscallInTheirRule() async {
        await propertyCheck(input: Gen.element(of: Self.syscalls).array(of: 1...5)) { picked in
            let names = Array(Set(picked.compactMap { $0 })).sorted()
            let list = names.map { "\"\($0)\"" }.joined(separator: ", ")
            let json =
                #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [\#(list)], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}"#
            let policy = try? OCISeccompProfile.parse(Array(json.utf8), path: "p.json", origin: "--seccomp-profile")
            #expect(policy.map { Set($0.rules.flatMap(\.names)) } == Set(names), "\(json)")
        }
    }

    @Test func tracesYieldTheirSyscallsOnceEach() async {
        await propertyCheck(input: Gen.element(of: Self.syscalls).array(of: 1...20), Gen.int(in: 1...1000)) {
            picked, count in
            let names = picked.compactMap { $0 }
            let lines = names.map { #"{"name": "\#($0)", "number": 0, "count": \#(count)}"# }.joined(separator: "\n")
            let found = try? SeccompProfileGenerator.names(fromTrace: Array(lines.utf8), path: "t.ndjson")
            #expect(found == Array(Set(names)).sorted())
        }
    }

    @Test func landlockPoliciesKeepOneRulePerPath() async {
        let component = Gen.lowercaseLetter.string(of: 1...8)
        let access = Gen.element(of: ["read", "write", "execute"]).array(of: 1...3)
        await propertyCheck(input: component.array(of: 1...4), access) { parts, rights in
            let paths = Array(Set(parts.map { "/" + $0 })).sorted()
            let accessList = Set(rights.compactMap { $0 }).sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            let rules = paths.map { "[[rules]]\npath = \"\($0)\"\naccess = [\(accessList)]\n" }.joined()
            let policy = try? LandlockPlanner.parse(
                Array("min_abi = 1\n\(rules)".utf8), origin: "l.toml", abi: 7, description: "policy")
            #expect(policy.map { $0.paths.map(\.path).sorted() } == paths, "\(rules)")
        }
    }

    @Test func attestationManifestsKeepOneEntryPerPath() async {
        let hex = Gen.element(of: Array("0123456789abcdef")).array(of: 64).map { String($0.compactMap { $0 }) }
        let path = Gen.lowercaseLetter.string(of: 1...10)
        await propertyCheck(input: zip(hex, path).array(of: 0...8)) { rows in
            let text = rows.map { "\($0.0) 0644 bin/\($0.1)\n" }.joined()
            let entries = try? RootfsAttestation.entries(ofManifest: text, path: "m")
            #expect(entries.map { Set($0.keys) } == Set(rows.map { "bin/\($0.1)" }))
        }
    }

    @Test func ioLimitsKeepTheirDeviceAndValues() async {
        await propertyCheck(
            input: Gen.uint32(in: 0...4095), Gen.uint32(in: 0...1_048_575), Gen.uint64(in: 1...(1 << 40))
        ) { major, minor, value in
            let limit = try? IOLimit(parsing: "\(major):\(minor) riops=\(value) wbps=\(value)")
            #expect(limit?.device == "\(major):\(minor)")
            #expect(limit?.values.map(\.value) == [value, value])
        }
    }

    @Test func volumesKeepSourceDestinationAndMode() async {
        let component = Gen.lowercaseLetter.string(of: 1...8)
        await propertyCheck(input: component, component, Gen.bool) { source, destination, readOnly in
            let text = "/srv/\(source):/data/\(destination)" + (readOnly ? ":ro" : "")
            let volume = try? VolumeMount(parsing: text)
            #expect(volume?.source == "/srv/\(source)" && volume?.destination == "/data/\(destination)", "\(text)")
            #expect(volume?.readOnly == readOnly)
        }
    }
}
