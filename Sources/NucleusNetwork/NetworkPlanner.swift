import NucleusModel

/// `--network`, the NAT back-end, ports, resolvers and the egress policy ->
/// a `NetworkPlan`, or a refusal naming the option at fault.
public enum NetworkPlanner {
    public struct Result: Sendable, Equatable {
        public var plan: NetworkPlan?
        /// The container's `/etc/resolv.conf`; nil leaves it out.
        public var resolvConf: String?
        public var mechanisms: [Mechanism]
    }

    public static let bridgeName = "nucleus0"
    public static let defaultKernelSubnet = IPNetwork("10.88.0.0/16")!
    /// slirp4netns's own defaults: gateway .2, DNS .3, guest .100.
    public static let defaultUserspaceSubnet = IPNetwork("10.0.2.0/24")!
    /// `--ipv6`: a unique-local block ("nuc"), masqueraded like the IPv4 one.
    public static let ipv6Subnet = IPNetwork("fd6e:7563::/64")!
    public static let forwarderAddress = IPAddress("127.0.0.53")!
    /// "nuc": the mark only nucleus's forwarder sets (SO_MARK needs CAP_NET_ADMIN).
    public static let forwarderMark: UInt32 = 0x6e_7563

    public static func plan(
        mode: NetworkMode, request: NetworkRequest, serviceMode: ServiceMode, host: any HostProbe
    ) throws(NucleusError) -> Result {
        guard mode == .bridge else {
            try refuseBridgeOptions(mode: mode, request: request)
            return Result(plan: nil, resolvConf: nil, mechanisms: [])
        }
        let (backend, fallback, hooks) = try backend(request.natBackend, ipv6: request.ipv6, host: host)
        let subnet = try subnet(request.subnet, backend: backend)
        try checkPorts(request.publish)
        let gateway = backend == .kernel ? subnet.address.advanced(by: 1) : subnet.address.advanced(by: 2)
        let resolvers = try resolvers(request, backend: backend, subnet: subnet, serviceMode: serviceMode, host: host)
        var plan = NetworkPlan(
            backend: backend, bridge: backend == .kernel ? bridgeName : "", subnet: subnet, gateway: gateway,
            interface: backend == .kernel ? "eth0" : "tap0", publish: request.publish, resolvers: resolvers)
        if request.ipv6 {
            plan.ipv6 = try ipv6(backend: backend, fallback: fallback, host: host)
        }
        if !request.egressDomains.isEmpty {
            guard !resolvers.isEmpty else {
                throw .invalid("--egress-domain needs a resolver to forward to: give --dns")
            }
            plan.forwarder = DNSForwarderPlan(
                listen: forwarderAddress, names: request.egressDomains, upstream: resolvers, mark: forwarderMark,
                table: EgressRules.table)
        }
        let restricted = request.hasEgressPolicy || serviceMode == .production
        if restricted {
            let gateways = [gateway] + (plan.ipv6.map { [$0.gateway] } ?? [])
            let hostOwn = backend == .kernel ? gateways + host.hostAddresses.filter { !$0.isLoopback } : gateways
            plan.egressRules =
                EgressRules(
                    allow: request.egressAllow, tcpPorts: request.egressTCPPorts, udpPorts: request.egressUDPPorts,
                    resolvers: resolvers, forwarder: plan.forwarder, protected: EgressRules.metadataAddresses + hostOwn
                ).text
        }
        if backend == .kernel {
            plan.hostRules = HostRules.text(bridge: bridgeName, subnet: subnet, ipv6Subnet: ipv6Subnet)
            plan.hookRules = hooks
        }
        let nameservers = plan.forwarder.map { [$0.listen] } ?? resolvers
        let resolvConf = nameservers.map { "nameserver \($0)\n" }.joined()
        var mechanisms = mechanisms(plan, request: request, restricted: restricted)
        if let fallback {
            mechanisms.append(
                Mechanism(
                    name: "nat_backend", status: .degraded,
                    detail: "userspace (slirp4netns) instead of kernel: " + fallback))
        }
        return Result(plan: plan, resolvConf: resolvConf, mechanisms: mechanisms)
    }

    static func refuseBridgeOptions(mode: NetworkMode, request: NetworkRequest) throws(NucleusError) {
        var given: [String] = []
        if request.natBackend != .auto { given.append("--nat-backend") }
        if request.ipv6 { given.append("--ipv6") }
        if request.subnet != nil { given.append("--subnet") }
        if !request.publish.isEmpty { given.append("--publish") }
        if !request.dns.isEmpty { given.append("--dns") }
        if request.hasEgressPolicy { given.append("--egress-*") }
        guard given.isEmpty else {
            throw .invalid("\(given.joined(separator: ", ")) need --network bridge (the network is \(mode.rawValue))")
        }
    }

    /// The back-end, why auto did not pick the kernel when it could not, and
    /// the user-hook accepts a Docker host needs.
    static func backend(_ requested: NATBackend, ipv6: Bool, host: any HostProbe) throws(NucleusError) -> (
        NetworkPlan.Backend, String?, [HookRules]
    ) {
        switch requested {
        case .userspace: return (.userspace, nil, [])
        case .auto where host.effectiveUID != 0: return (.userspace, nil, [])
        case .auto, .kernel:
            guard host.effectiveUID == 0 else {
                throw .invalid(
                    "--nat-backend kernel needs root: a bridge, veth pairs and NAT rules need CAP_NET_ADMIN on the host"
                )
            }
            let drops = host.forwardDrops(ignoring: bridgeName, ipv6: ipv6)
            let blocking = drops.filter { $0.userHook == nil }.map(\.chain)
            guard !blocking.isEmpty else {
                let hooks = Set(drops.compactMap(\.userHook)).sorted()
                return (.kernel, nil, hooks.map { ForwardPolicy.hookRules($0, bridge: bridgeName) })
            }
            let reason =
                "the host's \(blocking.joined(separator: ", ")) drops forwarded traffic (policy drop), offers no \(ForwardPolicy.dockerUserChain) hook, and nucleus edits no one else's rules"
            guard requested == .auto else {
                throw .invalid(
                    "--nat-backend kernel: \(reason); accept \(bridgeName) there (iifname/oifname \"\(bridgeName)\" accept) or use --nat-backend userspace"
                )
            }
            return (.userspace, reason, [])
        }
    }

    /// `--ipv6` needs the kernel bridge and turns IPv6 forwarding on: refused
    /// where that would cost an interface its router advertisements.
    static func ipv6(backend: NetworkPlan.Backend, fallback: String?, host: any HostProbe) throws(NucleusError)
        -> IPv6Plan
    {
        guard backend == .kernel else {
            throw .invalid(
                "--ipv6 needs the kernel back-end (root, and a host that forwards bridge traffic)"
                    + (fallback.map { ": " + $0 } ?? ""))
        }
        let settings = IPv6Settings(reading: host)
        guard settings.available else {
            throw .invalid("--ipv6: IPv6 is disabled on this host (net.ipv6.conf.all.disable_ipv6)")
        }
        if !settings.forwarding, !settings.acceptingRouterAdvertisements.isEmpty {
            let names = settings.acceptingRouterAdvertisements.joined(separator: ", ")
            throw .invalid(
                "--ipv6 turns on IPv6 forwarding, and \(names) (accept_ra=1) would then ignore router advertisements and could lose IPv6 routes: set net.ipv6.conf.<interface>.accept_ra=2, or net.ipv6.conf.all.forwarding=1 yourself"
            )
        }
        return IPv6Plan(subnet: ipv6Subnet, gateway: ipv6Subnet.address.advanced(by: 1))
    }

    static func subnet(_ requested: IPNetwork?, backend: NetworkPlan.Backend) throws(NucleusError) -> IPNetwork {
        guard let requested else { return backend == .kernel ? defaultKernelSubnet : defaultUserspaceSubnet }
        guard requested.isIPv4, (8...(backend == .kernel ? 29 : 25)).contains(requested.prefix) else {
            throw .invalid(
                "--subnet \(requested): expected an IPv4 block between /8 and /\(backend == .kernel ? 29 : 25)")
        }
        return requested
    }

    static func checkPorts(_ publish: [PortMapping]) throws(NucleusError) {
        for (index, mapping) in publish.enumerated() {
            if let earlier = publish[..<index].first(where: { $0.conflicts(with: mapping) }) {
                throw .invalid("--publish \(mapping) and --publish \(earlier) take the same host port")
            }
        }
    }

    /// `--dns`, else (agent mode) the host's non-loopback resolvers; strict modes must name them.
    static func resolvers(
        _ request: NetworkRequest, backend: NetworkPlan.Backend, subnet: IPNetwork, serviceMode: ServiceMode,
        host: any HostProbe
    ) throws(NucleusError) -> [IPAddress] {
        if !request.dns.isEmpty { return request.dns }
        guard !serviceMode.failsClosed else {
            throw .invalid(
                "--network bridge in \(serviceMode.rawValue) mode needs --dns: name the resolvers explicitly")
        }
        let text = (try? host.readTextFile("/etc/resolv.conf")) ?? ""
        let found = hostResolvers(text).filter { !$0.isLoopback }
        if found.isEmpty && backend == .userspace { return [subnet.address.advanced(by: 3)] }
        return found
    }

    /// The `nameserver` lines of a resolv.conf.
    public static func hostResolvers(_ text: String) -> [IPAddress] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2, words[0] == "nameserver" else { return nil }
            return IPAddress(String(words[1]))
        }
    }

    static func mechanisms(_ plan: NetworkPlan, request: NetworkRequest, restricted: Bool) -> [Mechanism] {
        let path =
            plan.backend == .kernel
            ? "bridge \(plan.bridge) (\(plan.subnet)\(plan.ipv6.map { ", \($0.subnet)" } ?? "")), veth, kernel NAT in table inet \(HostRules.table)"
            : "slirp4netns user-mode NAT (\(plan.subnet))"
        var result = [Mechanism(name: "network", status: .enforced, detail: "own namespace; " + path)]
        if !plan.hookRules.isEmpty {
            result.append(
                Mechanism(
                    name: "forward_hook", status: .enforced,
                    detail: "the host drops forwarded traffic; \(plan.bridge) accepted in "
                        + plan.hookRules.map(\.chain).joined(separator: ", ")))
        }
        if restricted {
            var allowed: [String] = request.egressAllow.map(\.description)
            allowed += request.egressDomains.map { "\($0) (via the DNS forwarder)" }
            let detail =
                "deny by default; allowed: "
                + (allowed.isEmpty ? "nothing beyond DNS" : allowed.joined(separator: ", "))
                + "; metadata and host addresses rejected"
            result.append(Mechanism(name: "egress", status: .enforced, detail: detail))
        } else {
            result.append(
                Mechanism(
                    name: "egress", status: .degraded,
                    detail: "unrestricted: no --egress-* option limits outbound traffic"
                ))
        }
        if plan.resolvers.isEmpty {
            result.append(
                Mechanism(
                    name: "dns", status: .degraded,
                    detail: "no resolver: the host's are loopback-only; pass --dns"))
        }
        return result
    }
}
