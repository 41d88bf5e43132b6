import ArgumentParser
import NucleusLifecycle
import NucleusNetwork
import NucleusPlan

/// `nucleus gc`: undo what killed nucleus processes left: address leases,
/// veths and published-port mappings in this network namespace, cgroups
/// below nucleus's own, and copy-in-out staging copies. Starts do the same on their way (a bridge start its
/// network's, a start with a cgroup its parents'); this is for hosts that
/// want it now.
struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Reclaim the network leases, veths, port mappings, cgroups and staging copies of dead containers.")

    func run() throws {
        let home = try NetworkNamespace()
        let store = try AddressLeases(directory: AddressLeases.directory(for: home))
        let before = store.all().count
        let live = BridgeAttachment.reclaim(store, route: try? RouteSocket())
        let cgroups = StaleCgroups.sweep(layout: LiveHost().everyCgroupHierarchy)
        let staging = StaleStaging.sweep()
        print(
            "reclaimed \(before - live.count) lease(s), \(cgroups) cgroup(s) and \(staging) workspace staging copy(ies); \(live.count) bridge container(s) still running"
        )
    }
}
