import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A network namespace held open by descriptor. `run` switches the calling
/// thread into it and back: sockets opened inside stay in it, which is how
/// the host side configures the container's network without a helper process.
public final class NetworkNamespace {
    public let fd: Int32

    /// The namespace of process `pid` (the container's init).
    public init(pid: pid_t) throws(NucleusError) {
        let path = "/proc/\(pid)/ns/net"
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw NucleusError("open the container's network namespace", syscall: "open", path: path, errno: errno)
        }
    }

    /// The calling thread's own namespace, to come back to.
    public init() throws(NucleusError) {
        let path = "/proc/thread-self/ns/net"
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw NucleusError("open the host's network namespace", syscall: "open", path: path, errno: errno)
        }
    }

    deinit { close(fd) }

    /// The namespace's inode: names it while it exists.
    public var inode: UInt64 {
        var info = stat()
        return fstat(fd, &info) == 0 ? UInt64(info.st_ino) : 0
    }

    /// Runs `body` inside this namespace, then returns the thread to `home`.
    @discardableResult
    public func run<T>(from home: NetworkNamespace, _ body: () throws(NucleusError) -> T) throws(NucleusError) -> T {
        let rc = nucleus_enter_netns(fd)
        guard rc == 0 else {
            throw NucleusError("enter the container's network namespace", syscall: "setns", errno: -rc)
        }
        defer {
            // Failing to come back would leave every later host-side step in the
            // container's namespace: nothing sane can follow, so stop here.
            if nucleus_enter_netns(home.fd) != 0 { fatalError("setns back to the host network namespace failed") }
        }
        return try body()
    }
}

/// An rtnetlink socket bound to the namespace it was opened in.
public final class RouteSocket {
    let fd: Int32

    public init() throws(NucleusError) {
        let rc = nucleus_netlink_open()
        guard rc >= 0 else { throw NucleusError("open a netlink socket", syscall: "socket(AF_NETLINK)", errno: -rc) }
        fd = rc
    }

    deinit { close(fd) }

    public func index(of name: String) -> Int32? {
        let rc = nucleus_link_index(fd, name)
        return rc > 0 ? rc : nil
    }

    public func createBridge(_ name: String) throws(NucleusError) {
        try check(nucleus_bridge_create(fd, name), "create bridge \(name)", "RTM_NEWLINK")
    }

    public func createVeth(_ hostName: String, peer: String, in namespace: NetworkNamespace, master: Int32)
        throws(NucleusError)
    {
        try check(
            nucleus_veth_create(fd, hostName, peer, namespace.fd, master, 0), "create veth \(hostName)", "RTM_NEWLINK")
    }

    public func up(_ index: Int32, name: String) throws(NucleusError) {
        try check(nucleus_link_up(fd, index), "bring up \(name)", "RTM_NEWLINK")
    }

    /// Deleting a missing link is not an error: teardown may race the namespace's end.
    public func delete(_ name: String) {
        _ = nucleus_link_delete(fd, name)
    }

    /// Adds `address/prefix`; an address already there is fine.
    public func addAddress(_ address: IPAddress, prefix: Int, to index: Int32, name: String) throws(NucleusError) {
        let rc = nucleus_address_add(fd, index, address.family, address.bytes, Int32(prefix))
        if rc == -EEXIST { return }
        try check(rc, "add \(address)/\(prefix) to \(name)", "RTM_NEWADDR")
    }

    public func addDefaultRoute(via gateway: IPAddress) throws(NucleusError) {
        try check(
            nucleus_default_route_add(fd, gateway.family, gateway.bytes), "add a default route via \(gateway)",
            "RTM_NEWROUTE")
    }

    private func check(_ rc: Int32, _ what: String, _ request: String) throws(NucleusError) {
        guard rc >= 0 else { throw NucleusError(what, syscall: request, errno: -rc) }
    }
}
