import NucleusModel
import NucleusSecurity
import Testing

@testable import NucleusLifecycle

/// The cache key hashes the policy piece by piece; it must equal the hash of
/// the policy's whole text (what earlier builds computed), so cached programs
/// stay valid, and it must change with every part of the policy.
@Suite struct SeccompCacheKeyTests {
    let policy = SeccompAllowlist.policy(network: .none, allowJIT: false, additions: [], logDenied: false)

    /// The text the key stands for, built the plain way, and its two-lane FNV-1a.
    func referenceKey(_ policy: SeccompPolicy) -> String {
        var text =
            SeccompCache.format + "\n" + policy.mode.rawValue + " " + SeccompCache.code(policy.defaultAction) + "\n"
        for rule in policy.rules {
            text += SeccompCache.code(rule.action)
            for name in rule.names { text += " " + name }
            for condition in rule.conditions {
                text += " \(condition.index) \(condition.op.rawValue) \(condition.value) \(condition.valueTwo)"
            }
            text += "\n"
        }
        var lanes: (UInt64, UInt64) = (0xcbf2_9ce4_8422_2325, 0x6c62_272e_07bb_0142)
        for byte in text.utf8 {
            lanes.0 = (lanes.0 ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            lanes.1 = (lanes.1 ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 &+ 0x9E37_79B9
        }
        return [lanes.0, lanes.1].map { value in
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    @Test func theKeyIsTheHashOfThePolicyText() {
        #expect(policy.rules.contains { !$0.conditions.isEmpty })
        #expect(SeccompCache.key(policy) == referenceKey(policy))
        let withNetwork = SeccompAllowlist.policy(network: .host, allowJIT: true, additions: [], logDenied: false)
        #expect(SeccompCache.key(withNetwork) == referenceKey(withNetwork))
    }

    @Test func everyPartOfThePolicyChangesTheKey() {
        let key = SeccompCache.key(policy)
        var other = policy
        other.defaultAction = .killProcess
        #expect(SeccompCache.key(other) != key)
        other = policy
        other.rules[0].names[0] += "x"
        #expect(SeccompCache.key(other) != key)
        other = policy
        let conditional = other.rules.firstIndex { !$0.conditions.isEmpty }!
        other.rules[conditional].conditions[0].value += 1
        #expect(SeccompCache.key(other) != key)
        other = policy
        other.mode = .trace
        #expect(SeccompCache.key(other) != key)
    }

    @Test func namesAllowedByTwoRulesCountOnce() {
        let policy = SeccompPolicy(
            defaultAction: .errno(1),
            rules: [
                SeccompRule(["read", "write", "socket"]),
                SeccompRule(["socket"], when: [SeccompCondition(0, .equal, 1)]),
                SeccompRule(["ptrace"], .errno(1)),
            ], origin: "test")
        #expect(policy.allowedCount == 3)
        #expect(policy.allowedNames == ["read", "socket", "write"])
    }
}
