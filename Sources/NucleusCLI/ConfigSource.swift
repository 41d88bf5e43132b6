import NucleusDocuments
import NucleusModel
import NucleusPlan

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Where a config document comes from: a file, or an inherited descriptor.
enum ConfigSource {
    static func read(path: String?, fd: Int32?) throws(NucleusError) -> ConfigDocument {
        if let path {
            return try ConfigDocument(text: LiveHost().readTextFile(path), origin: path)
        }
        guard let fd, fd >= 0 else { throw .invalid("--config-fd needs a descriptor number") }
        let origin = "--config-fd \(fd)"
        return try ConfigDocument(text: LiveHost().readDescriptor(fd, flag: "--config-fd"), origin: origin)
    }
}
