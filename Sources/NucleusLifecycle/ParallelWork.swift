import Dispatch
import NucleusModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Runs `body` for every index in `0..<count` on a few threads, handing out
/// indices one at a time so one large file does not stall a whole share.
/// Used on the host side before clone only; the first error wins.
enum ParallelWork {
    static let threads = max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

    static func forEach(_ count: Int, _ body: @Sendable (Int) throws(NucleusError) -> Void) throws(NucleusError) {
        let next = Atomic<Int>(0)
        let failure = Mutex<NucleusError?>(nil)
        DispatchQueue.concurrentPerform(iterations: min(threads, max(count, 1))) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < count, failure.withLock({ $0 == nil }) else { return }
                do throws(NucleusError) {
                    try body(index)
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                    return
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
