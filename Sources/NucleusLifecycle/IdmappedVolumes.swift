import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The idmapped trees of read-write volumes, built on the host side before
/// clone (the child is not privileged over the host's filesystems) and handed
/// to the child by descriptor. Closed again once the child has its copies.
final class IdmappedVolumes {
    /// Setup step index -> detached tree fd.
    private(set) var trees: [Int: Int32] = [:]

    init(plan: Plan) throws(NucleusError) {
        let lowestFD = Int32(3 + plan.process.preserveFDs)
        for (index, step) in plan.setup.enumerated() {
            guard let idmap = step.idmap, let source = step.source else { continue }
            var failedSyscall: Int32 = 0
            let fd = nucleus_idmapped_tree(
                source, step.options.rawValue, idmap.diskUID, idmap.hostUID, idmap.diskGID, idmap.hostGID, lowestFD,
                &failedSyscall)
            guard fd >= 0 else {
                close()
                throw NucleusError(
                    "idmap the volume \(source) for \(step.target)",
                    syscall: ChildFailure.syscallNames[failedSyscall] ?? "setup", path: source, errno: -fd)
            }
            trees[index] = fd
        }
    }

    func close() {
        for fd in trees.values { Glibc.close(fd) }
        trees = [:]
    }
}
