import Foundation
import NucleusModel
import NucleusSecurity
import Testing

@Suite struct SeccompAllowlistTests {
    @Test func theDefaultStaysSmall() {
        let policy = SeccompAllowlist.policy(network: .none, allowJIT: false, additions: [], logDenied: false)
        #expect(policy.allowedNames.count <= 200)
        #expect(policy.defaultAction == .errno(1))
        #expect(!policy.allowedNames.contains("ptrace"))
    }

    @Test func everyNameIsOneLibseccompKnowsOrNewerThanIt() {
        for name in SeccompAllowlist.groups.flatMap(\.names) {
            #expect(SyscallNames.isKnown(name) || name == "fchmodat2", "\(name)")
        }
    }

    @Test func internetSocketsOnlyWithANetwork() {
        let none = SeccompAllowlist.conditionalRules(network: .none, allowJIT: false)
        let host = SeccompAllowlist.conditionalRules(network: .host, allowJIT: false)
        let inet = SeccompCondition(0, .equal, 2)
        #expect(!none.contains { $0.names == ["socket"] && $0.conditions.contains(inet) })
        #expect(host.contains { $0.names == ["socket"] && $0.conditions.contains(inet) })
    }
}

/// docs/security-model.md lists the allowlist group by group; keep it true.
@Suite struct SeccompAllowlistDocumentationTests {
    @Test func theDocumentedTableMatchesTheCode() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/security-model.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for group in SeccompAllowlist.groups {
            #expect(text.contains("| \(group.reason) | \(group.names.joined(separator: " ")) |"), "\(group.reason)")
        }
    }
}
