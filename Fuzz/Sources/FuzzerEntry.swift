#if FUZZING
    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Musl)
        import Musl
    #endif

    /// libFuzzer's driver, for a main of our own: SwiftPM names an
    /// executable's entry point after its module and aliases `main` to it.
    @_silgen_name("LLVMFuzzerRunDriver")
    func runDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// Built with -sanitize=fuzzer: libFuzzer drives the target that
    /// `NUCLEUS_FUZZ_TARGET` names.
    @main struct Fuzzer {
        static func main() {
            let name = getenv("NUCLEUS_FUZZ_TARGET").map { String(cString: $0) } ?? ""
            guard FuzzTargets.all[name] != nil else {
                print("NUCLEUS_FUZZ_TARGET must be one of: " + FuzzTargets.all.keys.sorted().joined(separator: ", "))
                exit(2)
            }
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(
                runDriver(&argc, &argv) { data, size in
                    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
                    let name = getenv("NUCLEUS_FUZZ_TARGET").map { String(cString: $0) } ?? ""
                    FuzzTargets.all[name]?(bytes)
                    return 0
                })
        }
    }
#endif
