import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// posix_spawn of a helper (slirp4netns, the rootless network helper): safe
/// in a multi-threaded process, with default signal dispositions, an empty
/// signal mask (nucleus blocks the signals it forwards), stdin/stdout/stderr
/// on /dev/null (the workload owns nucleus's output) and the descriptors
/// given, at the numbers given.
enum ChildProcess {
    /// Sources are first copied above every target, so that placing one
    /// descriptor never overwrites another's source. `privateMounts` starts
    /// the helper in its own mount namespace (root only), so nothing it
    /// mounts or unmounts can reach the host's shared mounts.
    static func spawn(_ argv: [String], descriptors: [Int32: Int32], privateMounts: Bool = false) -> Result<
        pid_t, NucleusError
    > {
        let copies = descriptors.mapValues { fcntl($0, F_DUPFD_CLOEXEC, 64) }
        defer { copies.values.filter { $0 >= 0 }.forEach { close($0) } }
        if copies.values.contains(where: { $0 < 0 }) {
            return .failure(NucleusError("start \(argv[0])", syscall: "fcntl(F_DUPFD_CLOEXEC)", errno: errno))
        }
        return privateMounts ? spawnInPrivateMounts(argv, descriptors: copies) : spawnPlaced(argv, descriptors: copies)
    }

    private static func spawnInPrivateMounts(_ argv: [String], descriptors: [Int32: Int32]) -> Result<
        pid_t, NucleusError
    > {
        let placed = descriptors.sorted(by: { $0.key < $1.key })
        let cStrings = argv.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var arguments = cStrings + [nil]
        var environment: [UnsafeMutablePointer<CChar>?] = [strdup(Self.path), nil]
        defer { free(environment[0]) }
        let pid = nucleus_spawn_private_mounts(
            argv[0], &arguments, &environment, placed.map(\.key), placed.map(\.value), Int32(placed.count))
        guard pid > 0 else {
            return .failure(NucleusError("start \(argv[0])", syscall: "clone(CLONE_NEWNS)", errno: -pid))
        }
        return .success(pid)
    }

    static let path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

    typealias Pipe = (read: Int32, write: Int32)

    /// Two close-on-exec pipes to talk to a helper, or neither.
    static func pipes(for helper: String) throws(NucleusError) -> (Pipe, Pipe) {
        var first: [Int32] = [-1, -1]
        var second: [Int32] = [-1, -1]
        var rc = nucleus_pipe_cloexec(&first)
        if rc == 0 {
            rc = nucleus_pipe_cloexec(&second)
            if rc != 0 { first.forEach { close($0) } }
        }
        guard rc == 0 else { throw NucleusError("start \(helper)", syscall: "pipe2", errno: -rc) }
        return ((first[0], first[1]), (second[0], second[1]))
    }

    private static func spawnPlaced(_ argv: [String], descriptors: [Int32: Int32]) -> Result<pid_t, NucleusError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for standard: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, standard, "/dev/null", standard == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        for (target, source) in descriptors.sorted(by: { $0.key < $1.key }) {
            posix_spawn_file_actions_adddup2(&actions, source, target)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cStrings = argv.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var arguments = cStrings + [nil]
        var environment: [UnsafeMutablePointer<CChar>?] = [strdup(Self.path), nil]
        defer { free(environment[0]) }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, &arguments, &environment)
        guard rc == 0 else { return .failure(NucleusError("start \(argv[0])", syscall: "posix_spawn", errno: rc)) }
        return .success(pid)
    }
}
