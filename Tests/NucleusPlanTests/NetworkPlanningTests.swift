import NucleusModel
import NucleusNetwork
import NucleusPlan
import Testing

@Suite struct NetworkPlanningTests {
    let host = FakeHost()

    /// Plans with `--network bridge` and then `configure`.
    func plan(_ configure: (inout Request) -> Void, host: FakeHost? = nil) throws -> Plan {
        try (host ?? self.host).plan { request in
            request.network = .bridge
            configure(&request)
        }
    }

    func refusal(_ configure: (inout Request) -> Void, host: FakeHost? = nil) -> String? {
        (host ?? self.host).refusal { request in
            request.network = .bridge
            configure(&request)
        }
    }

    @Test func rootGetsTheKernelBridgeAndANonRootCallerSlirp() throws {
        var withResolvers = host
        withResolvers.files["/etc/resolv.conf"] = "nameserver 127.0.0.53\nnameserver 192.0.2.53\n"
        let kernel = try #require(try plan({ _ in }, host: withResolvers).network)
        #expect(kernel.backend == .kernel)
        #expect(kernel.subnet == IPNetwork("10.88.0.0/16"))
        #expect(kernel.gateway == IPAddress("10.88.0.1"))
        #expect(kernel.resolvers == [IPAddress("192.0.2.53")!], "loopback resolvers are unreachable from the bridge")
        #expect(kernel.egressRules == nil)
        let full = try plan({ _ in }, host: withResolvers)
        #expect(full.setup.contains { $0.target == "/etc/resolv.conf" && $0.data == "nameserver 192.0.2.53\n" })
        #expect(full.setup.contains { $0.kind == .awaitNetwork })
        #expect(full.namespaces.contains(.network))
        var user = host
        user.effectiveUID = 1000
        let slirp = try #require(try plan({ _ in }, host: user).network)
        #expect(slirp.backend == .userspace)
        #expect(slirp.gateway == IPAddress("10.0.2.2"))
        #expect(slirp.resolvers == [IPAddress("10.0.2.3")!], "slirp4netns's own DNS when the host has none")
        #expect(refusal({ $0.networking.natBackend = .kernel }, host: user)?.contains("needs root") == true)
        let ruled = try plan({ $0.networking.egressAllow = [IPNetwork("192.0.2.0/24")!] }, host: user)
        #expect(ruled.network?.egressRules?.contains("ip daddr { 192.0.2.0/24 } accept") == true, "rootless too")
    }

    @Test func aForeignForwardDropMovesAutoToUserspaceAndRefusesKernel() throws {
        var firewall = host
        firewall.drops = [ForwardDrop(chain: "ip filter FORWARD")]
        let auto = try plan({ _ in }, host: firewall)
        #expect(auto.network?.backend == .userspace)
        #expect(auto.mechanisms.contains { $0.name == "nat_backend" && $0.detail.contains("ip filter FORWARD") })
        #expect(
            refusal({ $0.networking.natBackend = .kernel }, host: firewall)?.contains(
                "ip filter FORWARD drops forwarded traffic") == true)
    }

    @Test func dockersDropKeepsTheKernelBackEndThroughDockerUser() throws {
        var docker = host
        docker.drops = [ForwardDrop(chain: "ip filter FORWARD", userHook: "ip filter DOCKER-USER")]
        let planned = try plan({ _ in }, host: docker)
        #expect(planned.network?.backend == .kernel)
        #expect(planned.network?.hookRules.map(\.chain) == ["ip filter DOCKER-USER"])
        let text = planned.network?.hookRules.first?.text ?? ""
        #expect(text.contains("insert rule ip filter DOCKER-USER iifname \"nucleus0\" accept"))
        #expect(text.contains("insert rule ip filter DOCKER-USER oifname \"nucleus0\" accept"))
        #expect(planned.mechanisms.contains { $0.name == "forward_hook" && $0.detail.contains("DOCKER-USER") })
        docker.drops.append(ForwardDrop(chain: "inet firewall forward"))
        #expect(try plan({ _ in }, host: docker).network?.backend == .userspace, "one chain without a hook is enough")
    }

    /// A host with IPv6 whose interfaces `ifaces` take router advertisements
    /// (accept_ra=1) unless forwarding is already on.
    func ipv6Host(forwarding: Bool = false, acceptingRA: [String] = [], disabled: Bool = false) -> FakeHost {
        var ipv6 = host
        let conf = "/proc/sys/net/ipv6/conf"
        ipv6.files["\(conf)/all/disable_ipv6"] = disabled ? "1\n" : "0\n"
        ipv6.files["\(conf)/all/forwarding"] = forwarding ? "1\n" : "0\n"
        for interface in ["all", "default", "lo", "eth0", "eth1"] {
            ipv6.entries["\(conf)/\(interface)"] = .directory
            ipv6.files["\(conf)/\(interface)/accept_ra"] = acceptingRA.contains(interface) ? "1\n" : "0\n"
        }
        ipv6.files["\(conf)/default/accept_ra"] = "1\n"
        return ipv6
    }

    @Test func ipv6GivesTheBridgeAULABlockAndProtectsItsGateway() throws {
        let planned = try plan(
            {
                $0.networking.ipv6 = true; $0.networking.egressAllow = [IPNetwork("::/0")!]
            }, host: ipv6Host())
        let network = try #require(planned.network)
        #expect(network.ipv6 == IPv6Plan(subnet: IPNetwork("fd6e:7563::/64")!, gateway: IPAddress("fd6e:7563::1")!))
        #expect(
            network.ipv6?.address(pairedWith: IPAddress("10.88.1.7")!, in: network.subnet)
                == IPAddress("fd6e:7563::107"))
        let rules = network.egressRules ?? ""
        #expect(rules.contains("ip6 daddr { fd00:ec2::254, fd6e:7563::1 } jump denied"), "\(rules)")
        #expect(rules.contains("ip6 daddr fe80::/10 jump denied"))
        #expect(network.hostRules?.contains("ip6 saddr fd6e:7563::/64 oifname != \"nucleus0\" masquerade") == true)
        #expect(try plan({ _ in }).network?.ipv6 == nil, "IPv4 only unless asked")
    }

    @Test func ipv6IsRefusedWhereForwardingWouldCostAnInterfaceItsRouterAdvertisements() throws {
        let hazard = refusal({ $0.networking.ipv6 = true }, host: ipv6Host(acceptingRA: ["eth1"]))
        #expect(
            hazard?.contains("eth1 (accept_ra=1) would then ignore router advertisements") == true, "\(hazard ?? "")")
        let forwarding = ipv6Host(forwarding: true, acceptingRA: ["eth1"])
        #expect(try plan({ $0.networking.ipv6 = true }, host: forwarding).network?.ipv6 != nil)
        #expect(
            refusal({ $0.networking.ipv6 = true }, host: ipv6Host(disabled: true))?.contains("IPv6 is disabled")
                == true)
        #expect(
            refusal(
                {
                    $0.networking.ipv6 = true; $0.networking.natBackend = .userspace
                }, host: ipv6Host())?
                .contains("--ipv6 needs the kernel back-end") == true)
        #expect(
            refusal({
                $0.network = .none; $0.networking.ipv6 = true
            })?.contains("--ipv6 need --network bridge")
                == true)
    }

    @Test func anIPv6ForwardDropMattersOnlyToIPv6() throws {
        var docker = ipv6Host()
        docker.drops = [ForwardDrop(chain: "ip6 filter FORWARD")]
        #expect(try plan({ _ in }, host: docker).network?.backend == .kernel)
        #expect(
            refusal({ $0.networking.ipv6 = true }, host: docker)?.contains("ip6 filter FORWARD drops forwarded") == true
        )
    }

    @Test func droppingChainsAreTheBridgesFamilies() {
        let dump = "ip filter FORWARD\ninet nucleus forward\ninet admin forward\nip6 filter FORWARD\n"
        #expect(ForwardPolicy.chains(fromDump: dump, ipv6: false) == ["ip filter FORWARD", "inet admin forward"])
        #expect(ForwardPolicy.chains(fromDump: dump, ipv6: true).last == "ip6 filter FORWARD")
    }

    @Test func aDockerUserHookIsUsedOnceAndOnlyWhenTheDropChainJumpsThere() {
        var rules = ["ip filter FORWARD": ["DOCKER-USER"], "ip filter DOCKER-USER": [String]()]
        let mentions = { (chain: String, needle: String) in rules[chain]?.contains(needle) == true }
        #expect(
            ForwardPolicy.drop("ip filter FORWARD", bridge: "nucleus0", mentions: mentions)
                == ForwardDrop(chain: "ip filter FORWARD", userHook: "ip filter DOCKER-USER"))
        rules["ip filter DOCKER-USER"] = ["nucleus0"]
        let accepted = { (chain: String, needle: String) in rules[chain]?.contains(needle) == true }
        #expect(ForwardPolicy.drop("ip filter FORWARD", bridge: "nucleus0", mentions: accepted) == nil)
        rules["inet fw forward"] = ["nucleus0"]
        let admin = { (chain: String, needle: String) in rules[chain]?.contains(needle) == true }
        #expect(ForwardPolicy.drop("inet fw forward", bridge: "nucleus0", mentions: admin) == nil, "admin accepted it")
        #expect(
            ForwardPolicy.drop("inet other forward", bridge: "nucleus0", mentions: admin)
                == ForwardDrop(chain: "inet other forward"))
    }

    @Test func optionsWithoutBridgeAndStrictModesWithoutDNSAreRefused() {
        #expect(
            refusal({
                $0.network = .none
                $0.networking.egressAllow = [IPNetwork("192.0.2.0/24")!]
            })?.contains("need --network bridge") == true)
        #expect(
            refusal({
                $0.network = .none
                $0.networking.publish = [
                    PortMapping(hostAddress: nil, hostPort: 80, containerPort: 80, transport: .tcp)
                ]
            })?.contains("--publish need --network bridge") == true)
        #expect(refusal({ $0.serviceMode = .strictAgent })?.contains("needs --dns") == true)
        #expect(
            refusal({
                $0.serviceMode = .strictAgent
                $0.networking.dns = [IPAddress("192.0.2.53")!]
            })?.contains("egress: unrestricted") == true)
        #expect(
            refusal({ $0.networking.egressDomains = [try! DomainPattern(parsing: "example.com")] })?.contains(
                "--egress-domain needs a resolver") == true)
        #expect(refusal({ $0.networking.subnet = IPNetwork("10.0.0.0/30") })?.contains("--subnet") == true)
    }

    @Test func twoPublishesOfOneHostPortAreRefused() throws {
        let any = try PortMapping(parsing: "8080:80")
        let loopback = try PortMapping(parsing: "127.0.0.1:8080:81")
        let udp = try PortMapping(parsing: "8080:80/udp")
        #expect(refusal({ $0.networking.publish = [any, loopback] })?.contains("same host port") == true)
        #expect(refusal({ $0.networking.publish = [any, udp] }) == nil)
    }

    @Test func egressRulesDenyByDefaultAndProtectMetadataAndTheHost() throws {
        let network = try #require(
            try plan({
                $0.networking.dns = [IPAddress("192.0.2.53")!]
                $0.networking.egressAllow = [
                    IPNetwork("203.0.113.0/24")!, IPNetwork("203.0.113.7/32")!, IPNetwork("2001:db8::/32")!,
                ]
                $0.networking.egressTCPPorts = [443, 443]
            }).network)
        let rules = try #require(network.egressRules)
        #expect(rules.contains("policy drop;"))
        #expect(rules.contains("ip daddr { 192.0.2.53 } udp dport 53 accept"))
        #expect(
            rules.contains(
                "ip daddr { 169.254.169.254, 169.254.170.2, 100.100.100.200, 10.88.0.1, 192.0.2.7 } jump denied"))
        #expect(
            rules.contains("ip daddr { 203.0.113.0/24 } tcp dport { 443 } accept"), "the /32 inside the /24 is folded")
        #expect(rules.contains("ip6 daddr { 2001:db8::/32 } tcp dport { 443 } accept"))
        #expect(rules.contains("meta l4proto tcp reject with tcp reset"))
        #expect(rules.contains("log prefix \"nucleus-egress-denied: \" group 100"))
        #expect(!rules.contains("meta mark"), "no forwarder: the workload asks the resolvers itself")
    }

    @Test func metadataIsAllowedOnlyWhenNamedExactly() throws {
        let rules = try #require(
            try plan({ $0.networking.egressAllow = [IPNetwork("169.254.169.254/32")!] }).network?.egressRules)
        #expect(!rules.contains("{ 169.254.169.254,"))
        #expect(rules.contains("ip daddr { 169.254.169.254/32 } accept"))
    }

    @Test func domainRulesGoThroughTheForwarderAlone() throws {
        let network = try #require(
            try plan({
                $0.networking.dns = [IPAddress("192.0.2.53")!]
                $0.networking.egressDomains = [try! DomainPattern(parsing: "*.example.com")]
            }).network)
        let forwarder = try #require(network.forwarder)
        #expect(forwarder.listen == IPAddress("127.0.0.53"))
        let rules = try #require(network.egressRules)
        #expect(rules.contains("meta mark 0x6e7563 ip daddr { 192.0.2.53 } udp dport 53 accept"))
        #expect(rules.contains("ip daddr @domain4 accept"))
        #expect(rules.contains("iifname \"lo\" udp dport 53535 drop"))
        let full = try plan({
            $0.networking.dns = [IPAddress("192.0.2.53")!]
            $0.networking.egressDomains = [try! DomainPattern(parsing: "*.example.com")]
        })
        #expect(full.setup.contains { $0.target == "/etc/resolv.conf" && $0.data == "nameserver 127.0.0.53\n" })
    }

    @Test func productionBridgeDeniesEgressWithoutAnyOption() throws {
        let rules = NetworkPlanner.hostResolvers("nameserver 192.0.2.1\n# nameserver 192.0.2.2\nsearch x\n")
        #expect(rules == [IPAddress("192.0.2.1")!])
        let result = try NetworkPlanner.plan(
            mode: .bridge,
            request: {
                var request = NetworkRequest()
                request.dns = [IPAddress("192.0.2.53")!]
                return request
            }(), serviceMode: .production, host: host)
        #expect(result.plan?.egressRules?.contains("policy drop;") == true)
    }

    @Test func publishedPortsBecomeMapElements() throws {
        let container = IPAddress("10.88.0.9")!
        let mappings = [try PortMapping(parsing: "8080:80"), try PortMapping(parsing: "127.0.0.1:5353:53/udp")]
        #expect(
            HostRules.addElements(mappings, container: container)
                == "add element inet nucleus publish_any { tcp . 8080 : 10.88.0.9 . 80 }\n"
                + "add element inet nucleus publish_addr { 127.0.0.1 . udp . 5353 : 10.88.0.9 . 53 }\n")
        #expect(
            HostRules.deleteElements(mappings)
                == "delete element inet nucleus publish_any { tcp . 8080 }\n"
                + "delete element inet nucleus publish_addr { 127.0.0.1 . udp . 5353 }\n")
    }
}

@Suite struct NetworkParsingTests {
    @Test func portMappings() throws {
        #expect(try PortMapping(parsing: "8080:80").description == "8080:80/tcp")
        #expect(try PortMapping(parsing: "127.0.0.1:53:5353/udp").description == "127.0.0.1:53:5353/udp")
        for bad in ["80", "0:80", "70000:80", "a:80", "8080:80/sctp", "::1:80:80", "300.1.1.1:80:80", ":80"] {
            #expect(throws: NucleusError.self, "\(bad)") { try PortMapping(parsing: bad) }
        }
    }

    @Test func domainPatterns() throws {
        let wildcard = try DomainPattern(parsing: "*.Example.com.")
        #expect(wildcard.matches("api.example.com"))
        #expect(wildcard.matches("A.B.EXAMPLE.COM."))
        #expect(!wildcard.matches("example.com"))
        #expect(!wildcard.matches("evilexample.com"))
        let exact = try DomainPattern(parsing: "api.example.com")
        #expect(exact.matches("api.example.com") && !exact.matches("x.api.example.com"))
        for bad in ["", "*", "a..b", "-a.com", "a b.com", String(repeating: "a", count: 64) + ".com", "*.*.com"] {
            #expect(throws: NucleusError.self, "\(bad)") { try DomainPattern(parsing: bad) }
        }
    }

    @Test func addressesAndBlocks() {
        #expect(IPNetwork("10.88.7.9/16")?.description == "10.88.0.0/16")
        #expect(IPNetwork("2001:db8::1/32")?.description == "2001:db8::/32")
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("10.0.0.0/x") == nil)
        #expect(IPNetwork("10.88.0.0/16")!.contains(IPAddress("10.88.255.1")!))
        #expect(!IPNetwork("10.88.0.0/16")!.contains(IPAddress("10.89.0.1")!))
        #expect(IPAddress("10.88.0.1")!.advanced(by: 255) == IPAddress("10.88.1.0"))
    }

    /// A forged answer from anywhere but a resolver's port 53 is ignored.
    @Test func forwarderAcceptsAnswersOnlyFromItsResolvers() {
        let resolver = IPAddress("192.0.2.53")!
        #expect(DNSForwarder.isResolver(SocketAddress.make(resolver, port: 53), [resolver]))
        #expect(!DNSForwarder.isResolver(SocketAddress.make(resolver, port: 5353), [resolver]))
        #expect(!DNSForwarder.isResolver(SocketAddress.make(IPAddress("10.88.0.2")!, port: 53), [resolver]))
        let six = IPAddress("2001:db8::53")!
        #expect(DNSForwarder.isResolver(SocketAddress.make(six, port: 53), [resolver, six]))
    }

    /// A real answer (api.test A 203.0.113.10, TTL 2, compressed owner name)
    /// and malformed inputs: the forwarder never crashes on workload bytes.
    @Test func dnsMessages() {
        let answer: [UInt8] =
            [0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 3] + Array("api".utf8) + [4] + Array("test".utf8)
            + [0, 0, 1, 0, 1, 0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 2, 0, 4, 203, 0, 113, 10]
        let parsed = DNSMessage(answer)
        #expect(parsed?.questionName == "api.test")
        #expect(parsed?.addresses.map(\.address) == [[203, 0, 113, 10]])
        #expect(parsed?.addresses.map(\.ttl) == [2])
        let refusal = DNSMessage.refusal(of: Array(answer[0..<26]), rcode: 3)
        #expect(refusal?[3] == 0x83)
        #expect(refusal?.count == 26)
        for length in 0..<answer.count { _ = DNSMessage(Array(answer[0..<length])) }
        let loop: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1]
        #expect(DNSMessage(loop) == nil)
    }

    @Test func tcpFramesCarryOneMessageBehindItsLength() {
        let message = [UInt8](repeating: 7, count: 300)
        let framed = DNSMessage.frame(message)
        #expect(framed.prefix(2) == [1, 44])
        #expect(DNSMessage.unframe(framed + [0, 1]) == message, "the first message only")
        #expect(DNSMessage.unframe(Array(framed.dropLast())) == nil, "not until all of it arrived")
        #expect(DNSMessage.unframe([0]) == nil)
        #expect(DNSMessage.unframe([0, 0]) == [])
    }
}
