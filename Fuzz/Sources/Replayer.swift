#if !FUZZING
    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Musl)
        import Musl
    #endif

    /// Built plainly: `nucleus-fuzz TARGET FILE...` runs each file through
    /// the target once, so the committed corpus (and every crash the fuzzer
    /// ever found, saved there) is a regression test of the ordinary build.
    @main struct Replayer {
        static func main() {
            let arguments = Array(CommandLine.arguments.dropFirst())
            guard let name = arguments.first, let target = FuzzTargets.all[name] else {
                let names = FuzzTargets.all.keys.sorted().joined(separator: ", ")
                print("usage: nucleus-fuzz TARGET FILE...   (targets: \(names))")
                exit(2)
            }
            for path in arguments.dropFirst() {
                guard let bytes = read(path) else {
                    print("nucleus-fuzz: cannot read \(path)")
                    exit(1)
                }
                target(bytes)
            }
            print("\(name): \(arguments.count - 1) input(s), no crash")
        }

        static func read(_ path: String) -> [UInt8]? {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = Glibc.read(fd, &chunk, chunk.count)
                guard count > 0 else { return count == 0 ? bytes : nil }
                bytes += chunk[0..<count]
            }
        }
    }
#endif
