import ArgumentParser
import NucleusNetwork

/// `nucleus gc`: undo what killed nucleus processes left in this network
/// namespace (address leases, veths, published-port mappings). Every bridge
/// start does the same on its way; this is for hosts that want it now.
struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Reclaim the network leases, veths and port mappings of dead containers.")

    func run() throws {
        let home = try NetworkNamespace()
        let store = try AddressLeases(directory: AddressLeases.directory(for: home))
        let before = store.all().count
        let live = BridgeAttachment.reclaim(store, route: try? RouteSocket())
        print("reclaimed \(before - live.count) lease(s); \(live.count) container(s) still running")
    }
}
