// swift-tools-version:6.0
import PackageDescription

// MemberImportVisibility: an extension is visible only in files that import its
// module. Without it one `import Foundation` anywhere in a target let
// `String.contains(_:)` resolve to Foundation's overload in every file, which
// linked Foundation, CoreFoundation and ICU (44 MB, ~0.4 ms per start).
let strict: [SwiftSetting] = [
    .unsafeFlags(["-warnings-as-errors"]), .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "nucleus",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "nucleus", targets: ["NucleusCLI"]),
        .executable(name: "nucleus-fuzz", targets: ["NucleusFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", exact: "1.8.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
    ],
    targets: [
        // The fork/exec edge and the raw syscalls Swift cannot call safely.
        .target(name: "CNucleus", cSettings: [.unsafeFlags(["-Wall", "-Wextra", "-Werror"])]),
        // The request, the plan, and the vocabulary every subsystem shares.
        .target(
            name: "NucleusModel",
            dependencies: [.product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strict),
        .target(name: "NucleusIsolation", dependencies: ["NucleusModel"], swiftSettings: strict),
        .target(name: "NucleusFilesystem", dependencies: ["NucleusModel"], swiftSettings: strict),
        // libseccomp, from Debian's libseccomp-dev: syscall names and the BPF compiler.
        .systemLibrary(name: "CSeccomp", path: "Sources/CSeccomp"),
        .target(
            name: "NucleusSecurity",
            dependencies: [
                "NucleusModel", "CSeccomp", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strict),
        // Resource limits: cgroup settings for v2 or v1/hybrid hosts, and rlimits.
        .target(name: "NucleusResources", dependencies: ["NucleusModel"], swiftSettings: strict),
        // Bridge networking: the plan's rule text (pure) and the host side that applies it.
        .target(
            name: "NucleusNetwork",
            dependencies: ["CNucleus", "NucleusModel", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // Request + host facts -> Plan, and the plan's printed forms.
        .target(
            name: "NucleusPlan",
            dependencies: [
                "CNucleus", "NucleusModel", "NucleusIsolation", "NucleusFilesystem", "NucleusSecurity",
                "NucleusResources", "NucleusNetwork",
            ],
            swiftSettings: strict),
        // Operator documents: a whole request as TOML or JSON, the environment as JSON.
        .target(
            name: "NucleusDocuments",
            dependencies: ["NucleusModel", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strict),
        // Applying a plan: spawn, supervise, forward signals, report.
        .target(
            name: "NucleusLifecycle",
            dependencies: [
                "CNucleus", "CSeccomp", "NucleusModel", "NucleusPlan", "NucleusFilesystem", "NucleusSecurity",
                "NucleusNetwork", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "NucleusCLI",
            dependencies: [
                "NucleusModel", "NucleusPlan", "NucleusLifecycle", "NucleusNetwork", "NucleusDocuments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // Every parser of untrusted or operator input, for libFuzzer
        // (scripts/fuzz.sh builds it with -sanitize=fuzzer -DFUZZING) and,
        // built plainly, a replayer of the committed corpus.
        .executableTarget(
            name: "NucleusFuzz",
            dependencies: [
                "NucleusModel", "NucleusSecurity", "NucleusResources", "NucleusNetwork", "NucleusDocuments",
                "NucleusLifecycle",
            ],
            path: "Fuzz/Sources",
            swiftSettings: strict),
        .testTarget(
            name: "NucleusPlanTests",
            dependencies: [
                "NucleusModel", "NucleusPlan", "NucleusIsolation", "NucleusFilesystem", "NucleusSecurity",
                "NucleusResources", "NucleusNetwork", "NucleusDocuments", "NucleusLifecycle",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(
            name: "NucleusIntegrationTests",
            dependencies: ["NucleusCLI"],
            // C programs the tests compile with gcc and run inside containers.
            exclude: ["Fixtures"]),
    ]
)
