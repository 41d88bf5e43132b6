import CNucleus
import NucleusModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The plan flattened into the C structures the child walks. Every string is
/// copied into malloc'd memory here, before clone; the child only reads it.
final class LaunchSpec {
    /// Where the new root is assembled inside the child's private mount namespace.
    static let assemblyRoot = "/tmp"

    private(set) var spec = nucleus_spec()
    private var strings: [UnsafeMutablePointer<CChar>] = []
    /// Secret file contents, wiped as soon as the child has its copy.
    private var secrets: [(bytes: UnsafeMutablePointer<CChar>, length: UInt64)] = []
    /// The compiled seccomp program, alive as long as the spec points at it.
    private let seccompProgram: UnsafeMutableRawBufferPointer
    /// The Landlock ruleset description, with its arrays.
    private let landlock: UnsafeMutablePointer<nucleus_landlock>
    private let landlockPaths: UnsafeMutableBufferPointer<nucleus_landlock_path>
    private let landlockPorts: UnsafeMutableBufferPointer<nucleus_landlock_port>
    private let rlimits: UnsafeMutableBufferPointer<nucleus_rlimit>
    private let ops: UnsafeMutablePointer<nucleus_op>
    private let argv: UnsafeMutablePointer<UnsafePointer<CChar>?>
    private let envp: UnsafeMutablePointer<UnsafePointer<CChar>?>
    private let groups: UnsafeMutablePointer<UInt32>
    private var cgroupTasks: UnsafeMutableBufferPointer<Int32>?

    init(
        plan: Plan, faultStep: Int32, skipStep: Int32 = -1, detachedTrees: [Int: Int32] = [:],
        seccompProgram: [UInt8] = []
    )
        throws(NucleusError)
    {
        let limits = plan.resources?.rlimits ?? []
        rlimits = .allocate(capacity: max(limits.count, 1))
        for (index, limit) in limits.enumerated() {
            rlimits[index] = nucleus_rlimit(resource: limit.resource, soft: limit.soft, hard: limit.hard)
        }
        landlock = .allocate(capacity: 1)
        landlock.initialize(to: nucleus_landlock())
        landlockPaths = .allocate(capacity: max(plan.landlock?.paths.count ?? 0, 1))
        landlockPorts = .allocate(capacity: max(plan.landlock?.ports.count ?? 0, 1))
        self.seccompProgram = .allocate(byteCount: max(seccompProgram.count, 8), alignment: 8)
        self.seccompProgram.copyBytes(from: seccompProgram)
        ops = .allocate(capacity: max(plan.setup.count, 1))
        argv = .allocate(capacity: plan.process.argv.count + 1)
        groups = .allocate(capacity: max(plan.process.supplementaryGroups.count, 1))
        for (index, gid) in plan.process.supplementaryGroups.enumerated() { groups[index] = gid }
        let environment = plan.process.environment + plan.process.sensitiveEnvironment
        envp = .allocate(capacity: environment.count + 1)

        var beforePivot = true
        for (index, step) in plan.setup.enumerated() {
            ops[index] = op(for: step, beforePivot: beforePivot)
            if let source = step.secretSource, let owner = step.owner {
                try attachSecret(source, owner: owner, to: &ops[index])
            }
            if let tree = detachedTrees[index] {
                ops[index].source_fd = tree
                ops[index].flags = (ops[index].flags & ~NUCLEUS_OP_PREOPEN) | NUCLEUS_OP_DETACHED_TREE
            }
            if step.kind == .pivotRoot { beforePivot = false }
        }
        for (index, word) in plan.process.argv.enumerated() { argv[index] = UnsafePointer(copy(word)) }
        argv[plan.process.argv.count] = nil
        for (index, entry) in environment.enumerated() { envp[index] = UnsafePointer(copy(entry)) }
        envp[environment.count] = nil

        spec.clone_flags = Self.cloneFlags(plan.namespaces)
        spec.ops = ops
        spec.n_ops = UInt32(plan.setup.count)
        spec.root_path = UnsafePointer(copy(Self.assemblyRoot))
        spec.fault_step = faultStep
        spec.skip_step = skipStep
        spec.setgroups_allowed = plan.idMapping.setgroupsAllowed ? 1 : 0
        spec.argv = UnsafePointer(argv)
        spec.envp = UnsafePointer(envp)
        spec.search_path = UnsafePointer(copy(plan.process.searchPath))
        spec.workdir = UnsafePointer(copy(plan.process.workdir))
        spec.uid = plan.process.uid
        spec.gid = plan.process.gid
        spec.groups = UnsafePointer(groups)
        spec.n_groups = UInt32(plan.process.supplementaryGroups.count)
        spec.terminal = plan.process.terminal ? 1 : 0
        spec.preserve_fds = Int32(plan.process.preserveFDs)
        spec.sync_fd = -1
        spec.error_fd = -1
        spec.trace_fd = -1
        spec.cgroup_fd = -1
        spec.rlimits = UnsafePointer(rlimits.baseAddress)
        spec.n_rlimits = UInt32(limits.count)
        // v1: the cgroup namespace comes from the join-cgroup step, once init is in its cgroups.
        if plan.setup.contains(where: { $0.kind == .joinCgroup }) {
            spec.clone_flags &= ~UInt64(CLONE_NEWCGROUP)
            spec.cgroup_hierarchies = UInt32(plan.resources?.cgroup?.hierarchyCount ?? 0)
        }
        if let policy = plan.landlock { describeLandlock(policy) }
        spec.caps_bounding = CapabilityNames.mask(plan.capabilities.bounding)
        spec.caps_inheritable = CapabilityNames.mask(plan.capabilities.inheritable)
        spec.caps_ambient = CapabilityNames.mask(plan.capabilities.ambient)
        if let policy = plan.seccomp, !seccompProgram.isEmpty {
            spec.seccomp_filter = UnsafeRawPointer(self.seccompProgram.baseAddress)
            spec.seccomp_instructions = UInt32(seccompProgram.count / 8)
            spec.seccomp_flags = (policy.logDenied ? 2 : 0) | (policy.mode == .trace ? 8 : 0)  // LOG, NEW_LISTENER
        }
    }

    /// Called once the child exists: it has its own copy of every secret.
    func wipeSecrets() {
        for secret in secrets { nucleus_wipe_secret(secret.bytes, secret.length) }
        secrets = []
    }

    private func attachSecret(_ path: String, owner: FileOwner, to op: inout nucleus_op) throws(NucleusError) {
        var bytes: UnsafeMutablePointer<CChar>?
        var length: UInt64 = 0
        var failedSyscall: Int32 = 0
        let rc = nucleus_read_secret(path, &bytes, &length, &failedSyscall)
        guard rc == 0, let bytes else {
            wipeSecrets()
            throw NucleusError(
                "read the secret \(path)", syscall: ChildFailure.syscallNames[failedSyscall], path: path, errno: -rc)
        }
        secrets.append((bytes, length))
        op.data = UnsafePointer(bytes)
        op.data_len = length
        op.flags |= NUCLEUS_OP_SECRET
        op.owner_uid = owner.uid
        op.owner_gid = owner.gid
    }

    deinit {
        wipeSecrets()
        strings.forEach { free($0) }
        ops.deallocate()
        argv.deallocate()
        envp.deallocate()
        groups.deallocate()
        seccompProgram.deallocate()
        landlock.deallocate()
        landlockPaths.deallocate()
        landlockPorts.deallocate()
        rlimits.deallocate()
        cgroupTasks?.deallocate()
    }

    /// The child goes into the session's cgroups: cloned straight into the v2
    /// cgroup, or, for a check in the running container, moved through the
    /// v1 `tasks` files the session keeps (init gets them at its join step).
    func join(_ cgroup: CgroupSession) {
        spec.cgroup_fd = cgroup.unifiedFD
        guard !cgroup.tasksFDs.isEmpty else { return }
        let tasks = UnsafeMutableBufferPointer<Int32>.allocate(capacity: cgroup.tasksFDs.count)
        _ = tasks.initialize(from: cgroup.tasksFDs)
        cgroupTasks = tasks
        spec.cgroup_tasks = UnsafePointer(tasks.baseAddress)
        spec.n_cgroup_tasks = UInt32(tasks.count)
    }

    private func describeLandlock(_ policy: LandlockPolicy) {
        for (index, rule) in policy.paths.enumerated() {
            landlockPaths[index] = nucleus_landlock_path(path: UnsafePointer(copy(rule.path)), access: rule.access)
        }
        for (index, rule) in policy.ports.enumerated() {
            landlockPorts[index] = nucleus_landlock_port(port: UInt64(rule.port), access: rule.access)
        }
        landlock.pointee = nucleus_landlock(
            abi: Int32(policy.abi), handled_fs: policy.handledFilesystem, handled_net: policy.handledNetwork,
            scoped: policy.scoped, paths: UnsafePointer(landlockPaths.baseAddress), n_paths: UInt32(policy.paths.count),
            ports: UnsafePointer(landlockPorts.baseAddress), n_ports: UInt32(policy.ports.count))
        spec.landlock = UnsafePointer(landlock)
    }

    /// Trace mode: the fd init sends the seccomp listener over.
    func setTraceSocket(_ fd: Int32) { spec.trace_fd = fd }

    func withSpec<T>(_ body: (UnsafeMutablePointer<nucleus_spec>) -> T) -> T { body(&spec) }

    /// Namespaces created by clone3 itself; the time namespace is entered by a
    /// setup step so its offsets can be written first.
    static func cloneFlags(_ namespaces: [Namespace]) -> UInt64 {
        var flags: Int32 = 0
        for namespace in namespaces {
            switch namespace {
            case .user: flags |= CLONE_NEWUSER
            case .pid: flags |= CLONE_NEWPID
            case .mount: flags |= CLONE_NEWNS
            case .network: flags |= CLONE_NEWNET
            case .uts: flags |= CLONE_NEWUTS
            case .ipc: flags |= CLONE_NEWIPC
            case .cgroup: flags |= CLONE_NEWCGROUP
            case .time: continue
            }
        }
        return UInt64(UInt32(bitPattern: flags))
    }

    /// The path where the child finds `containerPath` at this point of setup.
    static func placed(_ containerPath: String, beforePivot: Bool) -> String {
        guard beforePivot else { return containerPath }
        return containerPath == "/" ? assemblyRoot : assemblyRoot + containerPath
    }

    private func op(for step: SetupStep, beforePivot: Bool) -> nucleus_op {
        var op = nucleus_op()
        op.source_fd = -1
        op.mode = step.mode ?? 0
        if step.optional { op.flags |= NUCLEUS_OP_OPTIONAL }
        if step.recursive { op.flags |= NUCLEUS_OP_RECURSIVE }
        if step.chrootFallback { op.flags |= NUCLEUS_OP_CHROOT_FALLBACK }
        if step.resolveInRoot { op.flags |= NUCLEUS_OP_IN_ROOT }
        if !step.target.isEmpty {
            let target = step.resolveInRoot ? step.target : Self.placed(step.target, beforePivot: beforePivot)
            op.target = UnsafePointer(copy(target))
        }
        if let data = step.data {
            let bytes = copy(data)
            op.data = UnsafePointer(bytes)
            op.data_len = UInt64(data.utf8.count)
        }
        switch step.kind {
        case .mount:
            op.kind = UInt32(NUCLEUS_OP_MOUNT.rawValue)
            op.mount_flags = step.options.rawValue
            op.fstype = step.fstype.map { UnsafePointer(copy($0)) }
            op.source = step.source.map { UnsafePointer(copy($0)) }
        case .bind:
            op.kind = UInt32(NUCLEUS_OP_BIND.rawValue)
            op.attr_set = step.options.rawValue
            if let source = step.source {
                let placedSource =
                    step.sourceInContainer && !step.resolveInRoot
                    ? Self.placed(source, beforePivot: beforePivot) : source
                op.source = UnsafePointer(copy(placedSource))
                if !step.sourceInContainer { op.flags |= NUCLEUS_OP_PREOPEN }
            }
        case .setAttributes:
            op.kind = UInt32(NUCLEUS_OP_SETATTR.rawValue)
            op.attr_set = step.options.rawValue
        case .makeDirectory: op.kind = UInt32(NUCLEUS_OP_MKDIR.rawValue)
        case .writeFile: op.kind = UInt32(NUCLEUS_OP_WRITE_FILE.rawValue)
        case .symlink:
            op.kind = UInt32(NUCLEUS_OP_SYMLINK.rawValue)
            op.source = step.source.map { UnsafePointer(copy($0)) }
        case .pivotRoot:
            op.kind = UInt32(NUCLEUS_OP_PIVOT_ROOT.rawValue)
            op.target = UnsafePointer(copy(Self.assemblyRoot))
        case .setHostname: op.kind = UInt32(NUCLEUS_OP_SETHOSTNAME.rawValue)
        case .loopbackUp: op.kind = UInt32(NUCLEUS_OP_LOOPBACK_UP.rawValue)
        case .timeOffsets: op.kind = UInt32(NUCLEUS_OP_TIME_OFFSETS.rawValue)
        case .joinCgroup: op.kind = UInt32(NUCLEUS_OP_JOIN_CGROUP.rawValue)
        case .auditMounts, .awaitNetwork: op.kind = UInt32(NUCLEUS_OP_AUDIT_POINT.rawValue)
        }
        return op
    }

    private func copy(_ string: String) -> UnsafeMutablePointer<CChar> {
        // withCString reads a native string in place; passing the String
        // straight to strdup would first copy it into a temporary array.
        let pointer = string.withCString { strdup($0)! }
        strings.append(pointer)
        return pointer
    }
}
