import Foundation
import Testing

/// The two modes every escape is tried in: the default agent sandbox and
/// strict-agent, which refuses to degrade.
enum EscapeMode: String, CaseIterable, CustomTestStringConvertible {
    case agent, strictAgent = "strict-agent"

    var flags: [String] { self == .agent ? [] : ["--service-mode", "strict-agent"] }
    var testDescription: String { rawValue }
}

/// Errnos an attempt may end with, and what each means for the escape.
enum Errno {
    static let eperm = 1, enoent = 2, enxio = 6, eacces = 13, erofs = 30, econnrefused = 111
}

extension Probe {
    /// `probe ATTEMPTS...` in a container of `mode`: every attempt's errno.
    static func attempt(_ attempts: [String], mode: EscapeMode, flags: [String] = []) throws -> [String: Int] {
        try run(attempts, flags: mode.flags + flags)
    }
}

/// Expects every attempt to have failed with one of the errnos given for it.
func expectBlocked(_ results: [String: Int], _ expected: [String: Set<Int>], mode: EscapeMode) {
    for (attempt, errnos) in expected.sorted(by: { $0.key < $1.key }) {
        let got = results[attempt]
        #expect(
            got.map { errnos.contains($0) } == true,
            "\(mode.rawValue): \(attempt) = \(got.map(String.init) ?? "missing"), expected one of \(errnos.sorted())")
    }
}
