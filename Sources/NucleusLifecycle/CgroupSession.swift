import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The workload's cgroup from creation to removal: a child
/// `nucleus-<pid>-<random>` below nucleus's own cgroup in each hierarchy the
/// plan uses, its limits written before any process joins, every process in
/// it killed and every directory removed at the end. Never writes above
/// nucleus's own cgroup, never moves a host process.
final class CgroupSession {
    let plan: CgroupPlan
    let name: String
    /// Distinct child directories, by hierarchy (co-mounted v1 controllers share one).
    private(set) var directories: [String: String] = [:]
    /// v2: the child, for `CLONE_INTO_CGROUP`.
    private(set) var unifiedFD: Int32 = -1
    /// v1: each distinct child's `tasks` file, through which init moves
    /// itself (see the join-cgroup step); closed once init has its copies,
    /// unless health checks or exec probes will join through them too.
    private(set) var tasksFDs: [Int32] = []

    init(plan: CgroupPlan, minFD: Int32) throws(NucleusError) {
        self.plan = plan
        name = "nucleus-" + String(getpid()) + "-" + String(UInt64.random(in: 0...UInt64(UInt32.max)), radix: 16)
        // Plain arrays of strings throughout: each new generic type (a tuple
        // array, a Set) costs its metadata instantiation on every start.
        var created: [String] = []
        for hierarchy in plan.parents.keys { directories[hierarchy] = plan.parents[hierarchy]! + "/" + name }
        do throws(NucleusError) {
            for parent in plan.parentDirectories {
                let directory = parent + "/" + name
                if plan.version == .v2 { try enableControllers(plan.controllers, in: parent) }
                guard mkdir(directory, 0o755) == 0 else {
                    throw NucleusError("create the cgroup", syscall: "mkdir", path: directory, errno: errno)
                }
                created.append(directory)
            }
            for setting in plan.settings {
                guard let directory = directories[setting.hierarchy] else { continue }
                try CgroupFiles.write(setting.value, to: directory + "/" + setting.file)
            }
            if plan.version == .v2, let directory = directories["unified"] {
                unifiedFD = try Self.openAbove(directory, flags: O_RDONLY | O_DIRECTORY, minFD: minFD)
            } else if plan.version == .v1 {
                // Sent to init over a socket, where they get numbers of their own.
                for directory in created {
                    tasksFDs.append(try Self.openAbove(directory + "/tasks", flags: O_WRONLY, minFD: 0))
                }
            }
        } catch {
            destroy()
            throw error
        }
    }

    /// At `minFD` or above: the v2 directory is inherited through clone3 and
    /// must not land among the descriptors the workload keeps.
    private static func openAbove(_ path: String, flags: Int32, minFD: Int32) throws(NucleusError) -> Int32 {
        let fd = open(path, flags | O_CLOEXEC)
        guard fd >= 0 else { throw NucleusError("open the cgroup", syscall: "open", path: path, errno: errno) }
        guard fd < minFD else { return fd }
        let moved = fcntl(fd, F_DUPFD_CLOEXEC, minFD)
        let error = errno
        close(fd)
        guard moved >= 0 else { throw NucleusError("open the cgroup", syscall: "fcntl", path: path, errno: error) }
        return moved
    }

    /// Removes what killed nucleus processes left beside our cgroups. Called
    /// once init is on its way, so that it overlaps init's own setup.
    func sweepStaleSiblings() {
        for parent in plan.parentDirectories { StaleCgroups.sweep(parent, version: plan.version) }
    }

    /// Once the child exists it holds its own copies of the `tasks` files.
    func closeTasksFiles() {
        tasksFDs.forEach { close($0) }
        tasksFDs = []
    }

    /// For the `after-cgroup` fault: on v1 init joins at its own pace, and
    /// the fault must strike once it has (gives up after a second).
    func awaitMember() {
        guard let directory = directories.values.sorted().first else { return }
        for _ in 0..<1000 where (CgroupFiles.read(directory + "/cgroup.procs") ?? "").isEmpty { usleep(1000) }
    }

    /// Times the kernel's OOM killer killed a process in the cgroup.
    var oomKills: Int {
        guard let directory = directories[plan.version == .v2 ? "unified" : "memory"] else { return 0 }
        let file = plan.version == .v2 ? "memory.events" : "memory.oom_control"
        return CgroupFiles.keyed(directory + "/" + file, "oom_kill").map { Int($0) } ?? 0
    }

    var stats: CgroupStats { CgroupStats(version: plan.version, directories: directories) }

    /// Kills whatever is left (`cgroup.kill` on v2, SIGKILL to every listed
    /// process on v1), then removes the directories, waiting out the kernel's
    /// last exits. Safe to call twice. Returns whether every directory is gone.
    @discardableResult
    func destroy() -> Bool {
        if unifiedFD >= 0 {
            close(unifiedFD)
            unifiedFD = -1
        }
        closeTasksFiles()
        var removed = true
        for directory in Set(directories.values) {
            removed = CgroupFiles.killAndRemove(directory, version: plan.version) && removed
        }
        directories = [:]
        return removed
    }

    private func enableControllers(_ controllers: [String], in parent: String) throws(NucleusError) {
        let enabled = Set(
            (CgroupFiles.read(parent + "/cgroup.subtree_control") ?? "").split(separator: " ").map(String.init))
        let missing = controllers.filter { !enabled.contains($0) }
        guard !missing.isEmpty else { return }
        do throws(NucleusError) {
            try CgroupFiles.write(
                missing.map { "+" + $0 }.concatenated(separator: " "), to: parent + "/cgroup.subtree_control")
        } catch {
            throw NucleusError(
                "enable \(missing.joined(separator: ", ")) for nucleus's cgroup (a cgroup with processes cannot delegate them; run nucleus in a cgroup of its own)",
                syscall: error.syscall, path: error.path, errno: error.errno)
        }
    }
}

/// Leftovers of a nucleus that was killed before it could clean up: children
/// named after a pid that no longer exists. Every start that creates a
/// cgroup sweeps its parents (`CgroupSession.sweepStaleSiblings`); `nucleus gc`
/// sweeps them all.
public enum StaleCgroups {
    /// Every hierarchy's parent in `layout`; returns how many were removed.
    @discardableResult
    public static func sweep(layout: CgroupLayout) -> Int {
        let legacy = Set(layout.legacyDirectories.values).sorted().reduce(0) { $0 + sweep($1, version: .v1) }
        return legacy + (layout.unifiedDirectory.map { sweep($0, version: .v2) } ?? 0)
    }

    @discardableResult
    static func sweep(_ parent: String, version: CgroupPlan.Version) -> Int {
        guard let stream = opendir(parent) else { return 0 }
        var stale: [String] = []
        while let record = readdir(stream) {
            let name = directoryEntryName(record)
            if let pid = owner(of: name), pid != getpid(), kill(pid, 0) != 0 && errno == ESRCH { stale.append(name) }
        }
        closedir(stream)
        for name in stale { CgroupFiles.killAndRemove(parent + "/" + name, version: version) }
        return stale.count
    }

    /// The pid in a name `nucleus-<pid>-<random>`, or nil for any other name.
    static func owner(of name: String) -> pid_t? {
        guard name.hasPrefix("nucleus-") else { return nil }
        let rest = name.dropFirst("nucleus-".count)
        guard let dash = rest.firstIndex(of: "-"), !rest[rest.index(after: dash)...].contains("-") else { return nil }
        return pid_t(rest[..<dash])
    }
}
