#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The name of a `readdir` record (`d_name` is a fixed C array Swift sees as a tuple).
public func directoryEntryName(_ record: UnsafeMutablePointer<dirent>) -> String {
    withUnsafePointer(to: &record.pointee.d_name) {
        String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
    }
}

/// The names in directory `path` (no `.`, `..`), sorted; empty if unreadable.
public func directoryNames(at path: String) -> [String] {
    guard let stream = opendir(path) else { return [] }
    defer { closedir(stream) }
    var names: [String] = []
    while let record = readdir(stream) {
        let name = directoryEntryName(record)
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}
