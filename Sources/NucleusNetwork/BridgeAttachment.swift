import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The kernel back-end for one container: a lease on a bridge address, the
/// published ports held and mapped, and a veth whose peer becomes the
/// container's `eth0`. `prepare` runs before clone, `attach` once the
/// container's namespace exists, `detach` when it ends; the next nucleus
/// undoes what a killed one left (`reclaim`).
public final class BridgeAttachment {
    public let plan: NetworkPlan
    public let lease: Lease
    private var reservations: [Int32]
    private let home: NetworkNamespace

    public var address: IPAddress { lease.address }

    private init(plan: NetworkPlan, lease: Lease, reservations: [Int32], home: NetworkNamespace) {
        self.plan = plan
        self.lease = lease
        self.reservations = reservations
        self.home = home
    }

    /// Bridge and host table (created once), dead leases reclaimed, ports
    /// reserved, an address leased and the ports mapped to it.
    public static func prepare(_ plan: NetworkPlan, home: NetworkNamespace) throws(NucleusError) -> BridgeAttachment {
        let store = try AddressLeases(directory: AddressLeases.directory(for: home))
        defer { store.unlock() }
        try store.checkSubnet(plan.subnet, bridge: plan.bridge)
        let route = try RouteSocket()
        let live = reclaim(store, route: route)
        try ensureBridge(plan, route: route)
        if let rules = plan.hostRules, !Nftables.hasInetTable(HostRules.table) {
            try Nftables.run(rules, what: "install nucleus's host table inet \(HostRules.table)")
        }
        // Asked again under the lease lock: a concurrent first run may have added them.
        for hook in plan.hookRules {
            if !ForwardPolicy.mentions(hook.chain, plan.bridge) {
                try Nftables.run(hook.text, what: "accept \(plan.bridge) in \(hook.chain)")
            }
        }
        let reservations = try PortReservation.reserve(plan.publish)
        let address: IPAddress
        do throws(NucleusError) {
            address = try store.allocate(in: plan.subnet, gateway: plan.gateway, taken: live)
        } catch {
            reservations.forEach { close($0) }
            throw error
        }
        let lease = Lease(
            address: address, pid: getpid(), startTime: ProcessIdentity.startTime(of: getpid()) ?? 0,
            veth: vethName(), publish: plan.publish)
        let attachment = BridgeAttachment(plan: plan, lease: lease, reservations: reservations, home: home)
        do throws(NucleusError) {
            try store.record(lease)
            if !plan.publish.isEmpty {
                try Nftables.run(
                    HostRules.addElements(plan.publish, container: address), what: "map the published ports")
            }
        } catch {
            attachment.detach()
            throw error
        }
        return attachment
    }

    /// The veth into the container's namespace, its address and default route.
    public func attach(to container: NetworkNamespace) throws(NucleusError) {
        let route = try RouteSocket()
        guard let master = route.index(of: plan.bridge) else {
            throw NucleusError("find bridge \(plan.bridge)", syscall: "RTM_GETLINK", errno: ENODEV)
        }
        try route.createVeth(lease.veth, peer: plan.interface, in: container, master: master)
        let plan = self.plan
        let address = lease.address
        try container.run(from: home) { () throws(NucleusError) in
            let inside = try RouteSocket()
            guard let index = inside.index(of: plan.interface) else {
                throw NucleusError("find \(plan.interface) in the container", syscall: "RTM_GETLINK", errno: ENODEV)
            }
            try inside.addAddress(address, prefix: plan.subnet.prefix, to: index, name: plan.interface)
            try inside.up(index, name: plan.interface)
            try inside.addDefaultRoute(via: plan.gateway)
            if let ipv6 = plan.ipv6 {
                let paired = ipv6.address(pairedWith: address, in: plan.subnet)
                try inside.addAddress(paired, prefix: ipv6.subnet.prefix, to: index, name: plan.interface)
                try inside.addDefaultRoute(via: ipv6.gateway)
            }
        }
    }

    /// Undo everything; safe to call twice and after a partial prepare. The
    /// veth is left to the kernel: it goes with the container's namespace,
    /// and deleting it here would wait out RCU grace periods (15-35 ms).
    public func detach() {
        reservations.forEach { close($0) }
        reservations = []
        guard let store = try? AddressLeases(directory: AddressLeases.directory(for: home)) else { return }
        Self.release(lease, store: store, route: nil)
    }

    /// `reclaim` for runs without a bridge: costs one stat when this
    /// namespace never had a bridge container.
    public static func reclaimStale() {
        guard let home = try? NetworkNamespace() else { return }
        let directory = AddressLeases.directory(for: home)
        var info = stat()
        guard stat(directory, &info) == 0,
            directoryNames(at: directory).contains(where: { $0.hasSuffix(".lease") }),
            let store = try? AddressLeases(directory: directory)
        else { return }
        let leases = store.all()
        guard leases.contains(where: { !$0.ownerAlive }) else { return }
        reclaim(store, route: try? RouteSocket())
    }

    /// Removes the leases of dead nucleus processes with their veths and port
    /// mappings; returns the live ones.
    @discardableResult
    public static func reclaim(_ store: AddressLeases, route: RouteSocket?) -> [Lease] {
        var live: [Lease] = []
        for lease in store.all() {
            if lease.ownerAlive { live.append(lease) } else { release(lease, store: store, route: route) }
        }
        return live
    }

    static func release(_ lease: Lease, store: AddressLeases, route: RouteSocket?) {
        route?.delete(lease.veth)
        // Each mapping alone: one already gone must not keep the others.
        for mapping in lease.publish {
            _ = try? Nftables.run(HostRules.deleteElements([mapping]), what: "unmap a published port")
        }
        store.remove(lease.address)
    }

    /// Random, not derived from the address: a reused address must not meet
    /// the previous holder's veth, which the kernel may not have removed yet.
    static func vethName() -> String {
        "nuc" + String(UInt64.random(in: 0...UInt64(UInt32.max)) | 1 << 32, radix: 16).dropFirst()
    }

    static func ensureBridge(_ plan: NetworkPlan, route: RouteSocket) throws(NucleusError) {
        let existing = route.index(of: plan.bridge)
        if existing == nil { try route.createBridge(plan.bridge) }
        guard let index = existing ?? route.index(of: plan.bridge) else {
            throw NucleusError("find bridge \(plan.bridge)", syscall: "RTM_GETLINK", errno: ENODEV)
        }
        try route.addAddress(plan.gateway, prefix: plan.subnet.prefix, to: index, name: plan.bridge)
        try route.up(index, name: plan.bridge)
        // Published ports on 127.0.0.1 are DNATed out of the bridge: the kernel
        // must accept loopback sources there. Forwarding carries the NAT.
        try Sysctl.ensure("/proc/sys/net/ipv4/conf/\(plan.bridge)/route_localnet", "1")
        try Sysctl.ensure("/proc/sys/net/ipv4/ip_forward", "1")
        if let ipv6 = plan.ipv6 {
            try route.addAddress(ipv6.gateway, prefix: ipv6.subnet.prefix, to: index, name: plan.bridge)
            try Sysctl.ensure("/proc/sys/net/ipv6/conf/all/forwarding", "1")
        }
    }
}

enum Sysctl {
    static func ensure(_ path: String, _ value: String) throws(NucleusError) {
        if let current = try? SmallFiles.text(path), current.trimmingNewline == value { return }
        try SmallFiles.set(path, to: value)
    }
}

/// A bound socket per published port for as long as the container runs: a
/// port someone else holds is refused before start, and nobody can take ours.
enum PortReservation {
    static func reserve(_ mappings: [PortMapping]) throws(NucleusError) -> [Int32] {
        var held: [Int32] = []
        for mapping in mappings {
            let type = mapping.transport == .tcp ? SOCK_STREAM : SOCK_DGRAM
            let fd = socket(AF_INET, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                held.forEach { close($0) }
                throw NucleusError("reserve host port \(mapping.hostPort)", syscall: "socket", errno: errno)
            }
            var address = SocketAddress.make(mapping.hostAddress ?? IPAddress("0.0.0.0")!, port: mapping.hostPort)
            let rc = SocketAddress.bind(fd, &address, family: AF_INET)
            guard rc == 0 else {
                let error = errno
                close(fd)
                held.forEach { close($0) }
                throw NucleusError(
                    "--publish \(mapping): host port \(mapping.hostPort)/\(mapping.transport.rawValue) is taken",
                    syscall: "bind", errno: error)
            }
            held.append(fd)
        }
        return held
    }
}
