import NucleusModel

/// `/proc` for the container's pid namespace and `/sys` for its network
/// namespace, with the OCI runtime-spec default masks (plus the kernel
/// address and page-map files) hidden and the tunables read-only.
public enum KernelFilesystems {
    /// Files replaced by an empty read-only `/dev/null`.
    public static let maskedProcFiles = [
        "kcore", "kallsyms", "keys", "timer_list", "timer_stats", "sched_debug", "latency_stats", "sysrq-trigger",
        "kpagecount", "kpageflags", "kpagecgroup", "config.gz",
    ]
    /// Directories hidden under an empty read-only tmpfs.
    public static let maskedProcDirectories = ["acpi", "asound", "scsi"]
    /// Read-only even with `--proc-rw`.
    public static let readOnlyProcPaths = ["bus", "fs", "irq", "sys"]
    public static let maskedSysDirectories = ["firmware", "devices/virtual/powercap"]

    static let sealed: MountOptions = [.readOnly, .noSuid, .noDev, .noExec]

    /// - Parameter hidePids: `hidepid=invisible` (production): only the
    ///   workload's own processes are visible, even to each other's users.
    public static func procSteps(readWrite: Bool, hidePids: Bool = false) -> [SetupStep] {
        var options = MountOptions.hardened
        if !readWrite { options.insert(.readOnly) }
        var steps: [SetupStep] = [
            .directory("/proc"),
            .mount("proc", at: "/proc", options: options, data: hidePids ? "hidepid=invisible" : nil),
        ]
        for file in maskedProcFiles {
            // nodev would make reads fail with EACCES; an empty read is what OCI runtimes give.
            var mask = SetupStep.restrict("/proc/" + file, options: [.readOnly, .noSuid, .noExec], optional: true)
            mask.source = "/dev/null"
            mask.recursive = false
            steps.append(mask)
        }
        for directory in maskedProcDirectories {
            steps.append(.mount("tmpfs", at: "/proc/" + directory, options: sealed, data: "size=0", optional: true))
        }
        if readWrite {
            steps += readOnlyProcPaths.map { SetupStep.restrict("/proc/" + $0, options: sealed, optional: true) }
        }
        return steps
    }

    /// sysfs shows the network namespace of its mounter, so it is mounted only
    /// when the container has its own; with the host's it stays absent.
    public static func sysSteps(ownNetworkNamespace: Bool) -> [SetupStep] {
        guard ownNetworkNamespace else { return [] }
        return [.directory("/sys"), .mount("sysfs", at: "/sys", options: sealed)]
            + maskedSysDirectories.map {
                .mount("tmpfs", at: "/sys/" + $0, options: sealed, data: "size=0", optional: true)
            }
    }

    /// The container's own cgroup at `/sys/fs/cgroup`, read-only, so tools
    /// that read their limits find them: the unified hierarchy on v2, the
    /// joined v1 hierarchies (co-mounted ones together) on v1. Mounted inside
    /// the cgroup namespace, each shows only the container's cgroup.
    ///
    /// On v1 init moves itself into its cgroups at `join-cgroup`, through
    /// `tasks` files the host side opened for it.
    public static func cgroupSteps(_ cgroup: CgroupPlan?, ownNetworkNamespace: Bool) -> [SetupStep] {
        guard let cgroup else { return [] }
        let target = "/sys/fs/cgroup"
        if cgroup.version == .v2 {
            return ownNetworkNamespace ? [.directory(target), .mount("cgroup2", at: target, options: sealed)] : []
        }
        let join = SetupStep(kind: .joinCgroup, target: "")
        guard ownNetworkNamespace else { return [join] }
        // The tmpfs and its mount points come before the join: kernel objects
        // made after it are charged to the new memory cgroup, whose first
        // charge per superblock allocates per-cgroup lists (~20 us a start),
        // and a later join gives the host side longer to create the cgroups.
        var steps: [SetupStep] = [
            .directory(target),
            .mount("tmpfs", at: target, options: [.noSuid, .noDev, .noExec], data: "mode=0755,size=0"),
        ]
        // Co-mounted controllers (cpu,cpuacct) share a directory and one
        // mount, named like the host's, with a symlink per controller.
        // Plain string arrays: a dictionary of arrays and the generic `joined`
        // cost ~0.2 ms of runtime type lookups on every start.
        var names: [String] = []
        for parent in cgroup.parentDirectories {
            let controllers = cgroup.controllers(in: parent)
            let name = controllers.concatenated(separator: ",")
            names.append(name)
            steps.append(.directory(target + "/" + name))
            guard controllers.count > 1 else { continue }
            for controller in controllers { steps.append(.symlink(target + "/" + controller, to: name)) }
        }
        // Mounted from inside the new cgroup namespace, so each shows the
        // container's own cgroup as its root.
        steps.append(join)
        for name in names {
            steps.append(.mount("cgroup", at: target + "/" + name, options: sealed, data: name))
        }
        steps.append(.setAttributes(target, options: sealed))
        return steps
    }
}
