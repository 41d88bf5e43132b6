import NucleusModel

/// `/dev`: a small tmpfs with exactly the character devices ordinary programs
/// use, bind-mounted from the host (mknod is impossible in a user namespace),
/// a private devpts instance, and `shm`. Read-only once populated.
public enum DevTree {
    public static let devices = ["null", "zero", "full", "random", "urandom", "tty"]

    /// `ttyGroup` is the gid devpts gives new terminals, when it is mapped.
    public static func steps(ttyGroup: UInt32?, shmSize: ByteSize) -> [SetupStep] {
        var steps: [SetupStep] = [
            .directory("/dev"), .mount("tmpfs", at: "/dev", options: [.noSuid, .noExec], data: "mode=0755,size=64k"),
        ]
        for device in devices {
            steps.append(.file("/dev/" + device, contents: "", mode: 0o666))
            steps.append(.bind(host: "/dev/" + device, at: "/dev/" + device, options: [.noSuid, .noExec]))
        }
        let ptsData = "newinstance,ptmxmode=0666,mode=0620" + (ttyGroup.map { ",gid=\($0)" } ?? "")
        steps += [
            .directory("/dev/pts"),
            .mount("devpts", at: "/dev/pts", options: [.noSuid, .noExec], data: ptsData),
            .symlink("/dev/ptmx", to: "pts/ptmx"),
            .directory("/dev/shm", mode: 0o1777),
            .mount("tmpfs", at: "/dev/shm", options: .hardened, data: "mode=1777,size=\(shmSize)"),
            .symlink("/dev/fd", to: "/proc/self/fd"),
            .symlink("/dev/stdin", to: "/proc/self/fd/0"),
            .symlink("/dev/stdout", to: "/proc/self/fd/1"),
            .symlink("/dev/stderr", to: "/proc/self/fd/2"),
            .setAttributes("/dev", options: [.readOnly, .noSuid, .noExec]),
        ]
        return steps
    }
}
