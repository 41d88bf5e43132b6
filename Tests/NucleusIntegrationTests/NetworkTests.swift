import Foundation
import Testing

/// Bridge networking, observed from inside containers and from the test's
/// own "host" namespace; every packet stays inside namespaces the test made.
@Suite(.serialized) struct NetworkTests {
    @Test func bridgeGivesAnAddressARouteAndTheInternet() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let result = try world.nucleus([
            "run", "--network", "bridge", "--", "/bin/sh", "-c", "ip -4 -o addr show dev eth0; ip route show default",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("inet 10.88."))
        #expect(result.stdout.contains("default via 10.88.0.1"))
        let reach = try world.probe(["connect", "203.0.113.10", "80", "udp", "203.0.113.11", "5000"])
        #expect(reach.stdout.lines == ["ok hello from 203.0.113.10", "ok udp reply"], "\(reach.stderr)")
        #expect(try world.leftovers() == [])
    }

    @Test func publishedPortsAnswerOnTheHostAddressAndItsLoopback() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let running = try world.start(
            NetworkWorld.clientArguments(
                ["serve", "80", "2"], flags: ["-p", "8080:80", "-p", "127.0.0.1:8081:80"]))
        var answers: [String] = []
        for (address, port) in [(NetworkWorld.hostAddress, 8080), ("127.0.0.1", 8081)] {
            var answer = ""
            for _ in 0..<50 {
                answer = try world.connectFromHost(address, port)
                if answer == "ok hello from container" { break }
                usleep(100_000)
            }
            answers.append(answer)
        }
        let result = NucleusBinary.finish(running)
        #expect(answers == ["ok hello from container", "ok hello from container"], "\(result.stderr)")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try world.leftovers() == [])
    }

    @Test func aTakenHostPortIsRefusedBeforeStartAndLeavesNothing() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let holder = try world.start(NetworkWorld.clientArguments(["wait"], flags: ["-p", "8090:80"]))
        usleep(500_000)
        let second = try world.probe(["connect", "203.0.113.10", "80"], flags: ["-p", "8090:81"])
        #expect(second.status == 125)
        #expect(second.stderr.contains("host port 8090/tcp is taken"), "\(second.stderr)")
        try holder.stdin?.fileHandleForWriting.close()
        let first = NucleusBinary.finish(holder)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try world.leftovers() == [])
    }

    @Test func egressAllowsOnlyTheListedBlockAndPortAndRejectsFast() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let result = try world.probe(
            [
                "connect", "203.0.113.10", "80", "connect", "203.0.113.10", "8443", "connect", "203.0.113.11", "80",
                "udp", "203.0.113.10", "5000",
            ], flags: ["--egress-allow", "203.0.113.10/32", "--egress-tcp-port", "80"])
        #expect(result.status == 0, "\(result.stderr)")
        // Refused, not timed out: the policy rejects instead of dropping.
        #expect(result.stdout.lines == ["ok hello from 203.0.113.10", "refused", "refused", "unreachable"])
        // Each denial is named on nucleus's stderr (the rule's rate limit applies).
        #expect(result.stderr.contains("nucleus: egress denied: tcp 203.0.113.10:8443"), "\(result.stderr)")
        #expect(result.stderr.contains("egress denied: tcp 203.0.113.11:80"))
        #expect(result.stderr.contains("egress denied: udp 203.0.113.10:5000"))
    }

    @Test func metadataAndHostAddressesStayBlockedUnderAnAllowAll() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let blocked = try world.probe(
            [
                "connect", "169.254.169.254", "80", "connect", NetworkWorld.hostAddress, "22", "connect", "10.88.0.1",
                "22", "connect", "203.0.113.12", "80",
            ], flags: ["--egress-allow", "0.0.0.0/0"])
        #expect(
            blocked.stdout.lines == ["refused", "refused", "refused", "ok hello from 203.0.113.12"], "\(blocked.stderr)"
        )
        let named = try world.probe(
            ["connect", "169.254.169.254", "80"], flags: ["--egress-allow", "169.254.169.254/32"])
        #expect(named.stdout.lines == ["ok hello from 169.254.169.254"], "\(named.stderr)")
    }

    @Test func theWorkloadCannotChangeItsEgressRules() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let result = try world.nucleus([
            "run", "--network", "bridge", "--egress-allow", "203.0.113.10/32", "--volume",
            NetworkWorld.fixtures + ":/fixtures:ro", "--", "/bin/sh", "-c",
            "/usr/sbin/nft flush ruleset; echo nft=$?; /usr/bin/python3 /fixtures/netclient.py connect 203.0.113.11 80",
        ])
        #expect(result.stdout.lines.first != "nft=0", "\(result.stdout)")
        #expect(result.stdout.lines.last == "refused", "\(result.stderr)")
    }

    @Test func domainAllowlistFollowsDNSAndItsTTL() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        try world.setRecords(["api.test 2 203.0.113.10", "other.test 60 203.0.113.11"])
        let running = try world.start(
            NetworkWorld.clientArguments(
                [
                    "resolve", "api.test", "connect", "203.0.113.10", "80", "resolve", "other.test", "connect",
                    "203.0.113.11", "80", "wait", "sleep", "3", "resolve", "api.test", "connect", "203.0.113.12", "80",
                    "connect", "203.0.113.10", "80",
                ], flags: ["--dns", NetworkWorld.resolver, "--egress-domain", "api.test"]))
        usleep(2_500_000)
        try world.setRecords(["api.test 2 203.0.113.12", "other.test 60 203.0.113.11"])
        running.stdin?.fileHandleForWriting.write(Data("go\n".utf8))
        let result = NucleusBinary.finish(running)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.lines == [
                "addresses 203.0.113.10", "ok hello from 203.0.113.10", "nxdomain", "refused",
                "addresses 203.0.113.12", "ok hello from 203.0.113.12", "refused",
            ])
    }

    /// A big answer comes back truncated over UDP; the client retries over
    /// TCP, and the forwarder's TCP side filters and allows just the same.
    @Test func theDNSForwarderAnswersOverTCPToo() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let many = (1...40).map { "many.test 60 198.51.100.\($0)" }
        try world.setRecords(["api.test 60 203.0.113.10", "many.test 60 203.0.113.11"] + many)
        let run = try world.probe(
            [
                "tcpquery", "api.test", "tcpquery", "other.test", "resolve", "many.test", "connect", "203.0.113.11",
                "80",
            ],
            flags: ["--dns", NetworkWorld.resolver, "--egress-domain", "api.test", "--egress-domain", "many.test"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.lines
        #expect(lines.count == 4, "\(run.stdout)")
        #expect(lines.first == "rcode 0 answers 1")
        #expect(lines.dropFirst().first == "rcode 3 answers 0", "NXDOMAIN over TCP for a name outside the policy")
        #expect(lines.dropFirst(2).first?.hasPrefix("addresses 198.51.100.1,") == true, "\(run.stdout)")
        #expect(lines.last == "ok hello from 203.0.113.11", "an address learned over TCP is allowed")
    }

    /// Regression: the forwarder binds 127.0.0.53 while init is still at its
    /// early steps, so it cannot count on init having brought `lo` up (a
    /// CI run failed with EADDRNOTAVAIL). Skipping init's step makes the
    /// race's losing order certain.
    @Test func theForwarderStartsBeforeInitBringsLoopbackUp() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        try world.setRecords(["api.test 60 203.0.113.10"])
        let run = try world.nucleus(
            NetworkWorld.clientArguments(
                ["resolve", "api.test"], flags: ["--dns", NetworkWorld.resolver, "--egress-domain", "api.test"]),
            fault: "skip:loopback-up:")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.lines == ["addresses 203.0.113.10"], "\(run.stdout)")
    }

    @Test func fiftyConcurrentContainersGetDistinctAddresses() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let runs = try (0..<50).map { _ in
            try world.start([
                "run", "--network", "bridge", "--", "/bin/sh", "-c", "ip -4 -o addr show dev eth0; sleep 1",
            ])
        }
        let results = runs.map { NucleusBinary.finish($0) }
        let addresses = results.compactMap { result in
            result.stdout.split(separator: " ").firstIndex(of: "inet").map {
                result.stdout.split(separator: " ")[$0 + 1]
            }
        }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr).filter { !$0.isEmpty }.prefix(2))")
        #expect(addresses.count == 50)
        #expect(Set(addresses).count == 50)
        #expect(try world.leftovers() == [])
    }

    @Test func aKilledNucleusLeavesNothingOnceTheNextRunReclaims() throws {
        try killAndReclaim(with: nil)
        try killAndReclaim(with: "gc")
    }

    /// SIGKILL nucleus while its container runs, then let `gc` or an
    /// ordinary `--network none` run (nil) reclaim what it left.
    func killAndReclaim(with command: String?) throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let running = try world.start(NetworkWorld.clientArguments(["sleep", "30"], flags: ["-p", "8085:80"]))
        var leases: [String] = []
        for _ in 0..<50 where leases.isEmpty {
            usleep(100_000)
            leases = try world.leftoversNow().filter { $0.hasPrefix("lease") }
        }
        #expect(leases.count == 1)
        // ip netns exec execs nucleus in place: this is nucleus's pid.
        kill(running.process.processIdentifier, SIGKILL)
        _ = NucleusBinary.finish(running)
        if let command {
            let gc = try world.nucleus([command])
            #expect(gc.stdout.contains("reclaimed 1 lease(s)"), "\(gc.stdout) \(gc.stderr)")
        } else {
            let next = try world.nucleus(["run", "--", "/bin/true"])
            #expect(next.status == 0, "\(next.stderr)")
        }
        #expect(try world.leftovers() == [])
    }

    @Test func aFailedStartLeavesNothing() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let result = try world.nucleus([
            "run", "--network", "bridge", "-p", "8086:80", "--egress-allow", "203.0.113.10/32", "--",
            "/nonexistent/program",
        ])
        #expect(result.status == 127, "\(result.stderr)")
        #expect(try world.leftovers() == [])
        let flags = [
            "run", "--network", "bridge", "-p", "8087:80", "--dns", NetworkWorld.resolver, "--egress-domain",
            "api.test",
            "--", "/bin/true",
        ]
        for fault in ["after-network", "mount:/proc", "id-maps"] {
            let failed = try world.nucleus(flags, fault: fault)
            #expect(failed.status == 125, "\(fault): \(failed.stderr)")
            #expect(
                failed.stderr.contains("injected") || failed.stderr.contains("EIO")
                    || failed.stderr.contains("Input/output"), "\(fault): \(failed.stderr)")
            #expect(try world.leftovers() == [], "\(fault)")
        }
    }

    @Test func userspaceBackendReachesOutAndPublishes() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let reach = try world.probe(
            ["connect", "203.0.113.10", "80"], flags: ["--nat-backend", "userspace"])
        #expect(reach.stdout.lines == ["ok hello from 203.0.113.10"], "\(reach.stderr)")
        // Regression: slirp4netns's sandbox, run in nucleus's own mount
        // namespace, unmounted the host's /run/netns entries on its way out.
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(mounts.contains("/run/netns/\(world.host) "), "the host's named namespaces stay mounted")
        let running = try world.start(
            NetworkWorld.clientArguments(
                ["serve", "80", "1"], flags: ["--nat-backend", "userspace", "-p", "127.0.0.1:8082:80"]))
        var answer = ""
        for _ in 0..<50 {
            answer = try world.connectFromHost("127.0.0.1", 8082)
            // slirp4netns accepts on the host before the container listens: wait for the real answer.
            if answer == "ok hello from container" { break }
            usleep(100_000)
        }
        let result = NucleusBinary.finish(running)
        #expect(answer == "ok hello from container", "\(result.stderr)")
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// Docker's `ip filter FORWARD` policy drop: an accept in nucleus's table
    /// cannot outvote it, so auto takes slirp4netns and kernel says why.
    @Test func aHostForwardDropPolicyIsRoutedAroundNotEdited() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let rules =
            "add table ip filter\nadd chain ip filter FORWARD { type filter hook forward priority 0; policy drop; }\n"
        try rules.write(toFile: world.records + ".nft", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: world.records + ".nft") }
        #expect(try world.inHost("/usr/sbin/nft", ["-f", world.records + ".nft"]).status == 0)
        let auto = try world.probe(["connect", "203.0.113.10", "80"])
        #expect(auto.stdout.lines == ["ok hello from 203.0.113.10"], "\(auto.stderr)")
        #expect(auto.stderr.contains("ip filter FORWARD drops forwarded traffic"))
        let kernel = try world.probe(["connect", "203.0.113.10", "80"], flags: ["--nat-backend", "kernel"])
        #expect(kernel.status == 125)
        #expect(kernel.stderr.contains("--nat-backend kernel: the host's ip filter FORWARD drops"), "\(kernel.stderr)")
        let chain = try world.inHost("/usr/sbin/nft", ["list", "chain", "ip", "filter", "FORWARD"]).stdout
        #expect(!chain.contains("nucleus0"), "nobody else's chain is edited")
        #expect(try world.leftovers() == [])
    }

    /// Docker's layout, built by iptables-nft as Docker builds it: the same
    /// drop, but `FORWARD` jumps first to `DOCKER-USER`, the chain Docker
    /// leaves to other tools. The kernel back-end accepts the bridge there
    /// once, leaves `FORWARD` alone, and iptables still reads the result.
    @Test func dockersForwardDropIsPassedThroughDockerUser() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        for rule in [
            ["-N", "DOCKER-USER"], ["-A", "DOCKER-USER", "-j", "RETURN"], ["-P", "FORWARD", "DROP"],
            ["-A", "FORWARD", "-j", "DOCKER-USER"],
            ["-A", "FORWARD", "-o", "docker0", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"],
        ] {
            #expect(try world.inHost("/usr/sbin/iptables-nft", rule).status == 0, "iptables-nft \(rule)")
        }
        let before = try world.inHost("/usr/sbin/iptables-nft", ["-S", "FORWARD"]).stdout
        for _ in 0..<2 {
            let run = try world.probe(["connect", "203.0.113.10", "80"], flags: ["--nat-backend", "kernel"])
            #expect(run.stdout.lines == ["ok hello from 203.0.113.10"], "\(run.stderr)")
        }
        let hook = try world.inHost("/usr/sbin/iptables-nft", ["-S", "DOCKER-USER"])
        #expect(hook.status == 0, "\(hook.stderr)")
        #expect(hook.stdout.lines.filter { $0.contains("nucleus0") }.count == 2, "two accepts, once: \(hook.stdout)")
        #expect(hook.stdout.lines.first { $0.contains("nucleus0") }?.hasPrefix("-A DOCKER-USER") == true)
        #expect(try world.inHost("/usr/sbin/iptables-nft", ["-S", "FORWARD"]).stdout == before, "FORWARD not edited")
        #expect(try world.leftovers() == [])
    }

    /// A legacy (x_tables) drop is invisible to nf_tables but kills routed
    /// traffic all the same: found, routed around, and accepted once the
    /// admin lets the bridge through in FORWARD itself.
    @Test func aLegacyIptablesDropIsSeenToo() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        #expect(try world.inHost("/usr/sbin/iptables-legacy", ["-P", "FORWARD", "DROP"]).status == 0)
        let kernel = try world.probe(["connect", "203.0.113.10", "80"], flags: ["--nat-backend", "kernel"])
        #expect(kernel.status == 125)
        #expect(kernel.stderr.contains("iptables-legacy filter FORWARD drops forwarded traffic"), "\(kernel.stderr)")
        let auto = try world.probe(["connect", "203.0.113.10", "80"])
        #expect(auto.stdout.lines == ["ok hello from 203.0.113.10"], "\(auto.stderr)")
        for rule in [
            ["-I", "FORWARD", "-i", "nucleus0", "-j", "ACCEPT"], ["-I", "FORWARD", "-o", "nucleus0", "-j", "ACCEPT"],
        ] {
            #expect(try world.inHost("/usr/sbin/iptables-legacy", rule).status == 0)
        }
        let accepted = try world.probe(["connect", "203.0.113.10", "80"], flags: ["--nat-backend", "kernel"])
        #expect(accepted.stdout.lines == ["ok hello from 203.0.113.10"], "\(accepted.stderr)")
        // IPv6 forwarding has its own legacy table, which matters only with --ipv6.
        #expect(try world.inHost("/usr/sbin/sysctl", ["-qw", "net.ipv6.conf.all.forwarding=1"]).status == 0)
        #expect(try world.inHost("/usr/sbin/ip6tables-legacy", ["-P", "FORWARD", "DROP"]).status == 0)
        let ipv6 = try world.probe(["connect", "203.0.113.10", "80"], flags: ["--ipv6"])
        #expect(ipv6.status == 125)
        #expect(ipv6.stderr.contains("ip6tables-legacy filter FORWARD drops forwarded traffic"), "\(ipv6.stderr)")
        #expect(try world.leftovers() == [])
    }

    /// `--ipv6`: refused while the host's link takes router advertisements,
    /// then NAT66 out of a ULA block, and egress rules that hold per family.
    @Test func ipv6ReachesOutThroughTheBridgeAndObeysTheEgressRules() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        let (allowed, other) = (NetworkWorld.servers6[0], NetworkWorld.servers6[1])
        let hazard = try world.probe(["connect", allowed, "80"], flags: ["--ipv6"])
        #expect(hazard.status == 125)
        #expect(hazard.stderr.contains("(accept_ra=1) would then ignore router advertisements"), "\(hazard.stderr)")
        #expect(try world.leftovers() == [])
        #expect(try world.inHost("/usr/sbin/sysctl", ["-qw", "net.ipv6.conf.all.forwarding=1"]).status == 0)
        let open = try world.probe(["connect", allowed, "80"], flags: ["--ipv6"])
        #expect(open.stdout.lines == ["ok hello from \(allowed)"], "\(open.stderr)")
        let ruled = try world.probe(
            ["connect", allowed, "80", "connect", other, "80", "connect", "203.0.113.10", "80"],
            flags: ["--ipv6", "--egress-allow", allowed + "/128"])
        #expect(ruled.stdout.lines == ["ok hello from \(allowed)", "refused", "refused"], "\(ruled.stderr)")
        let onlyIPv4 = try world.probe(
            ["connect", allowed, "80", "connect", "203.0.113.10", "80"],
            flags: ["--ipv6", "--egress-allow", "203.0.113.0/24"])
        #expect(onlyIPv4.stdout.lines == ["refused", "ok hello from 203.0.113.10"], "\(onlyIPv4.stderr)")
        #expect(try world.leftovers() == [])
    }

    /// Not root: auto takes slirp4netns, and egress rules are refused, not skipped.
    @Test func aRootlessCallerGetsTheUserspaceBackEnd() throws {
        let world = try NetworkWorld()
        defer { world.close() }
        // The checkout may sit below a directory uid 65534 cannot enter: run a copy.
        let directory = "/tmp/nucleus-rootless-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let binary = directory + "/nucleus"
        try FileManager.default.copyItem(atPath: NucleusBinary.path, toPath: binary)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
        let asNobody = ["--reuid", "65534", "--regid", "65534", "--clear-groups", binary, "run", "--network", "bridge"]
        let script =
            "import socket; print(socket.create_connection(('203.0.113.10', 80), timeout=5).makefile().readline().strip())"
        let reach = try world.inHost("/usr/bin/setpriv", asNobody + ["--", "/usr/bin/python3", "-c", script])
        #expect(reach.stdout.lines == ["hello from 203.0.113.10"], "\(reach.stderr)")
        // Egress rules and the DNS forwarder through the helper that joins
        // the container's namespaces; seen from inside as for root.
        try world.setRecords(["api.test 60 203.0.113.11"])
        let fixtures = ["--volume", NetworkWorld.fixtures + ":/fixtures:ro"]
        let ruled = try world.inHost(
            "/usr/bin/setpriv",
            asNobody + fixtures + [
                "--egress-allow", "203.0.113.10/32", "--egress-tcp-port", "80", "--dns", NetworkWorld.resolver,
                "--egress-domain", "api.test", "--", "/usr/bin/python3", "/fixtures/netclient.py", "connect",
                "203.0.113.10", "80", "connect", "203.0.113.12", "80", "resolve", "other.test", "resolve", "api.test",
                "connect", "203.0.113.11", "80", "serve-check", "80",
            ])
        #expect(
            ruled.stdout.lines == [
                "ok hello from 203.0.113.10", "refused", "nxdomain", "addresses 203.0.113.11",
                "ok hello from 203.0.113.11", "bound 80",
            ], "\(ruled.stderr)")
        #expect(ruled.stderr.contains("nucleus: egress denied: tcp 203.0.113.12:80"), "\(ruled.stderr)")
        let helpers = try Process.runCapturing("/usr/bin/pgrep", ["-f", "__network-helper"])
        #expect(helpers.stdout.isEmpty, "the helper ends with its container")
    }
}
