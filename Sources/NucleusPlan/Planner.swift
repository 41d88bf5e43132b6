import NucleusFilesystem
import NucleusIsolation
import NucleusModel
import NucleusNetwork
import NucleusResources
import NucleusSecurity

/// Request + host facts -> Plan. Pure apart from the read-only questions it
/// asks the `HostProbe`; every refusal happens here, before the kernel is touched.
public enum Planner {

    public static func plan(_ request: Request, host: any HostProbe) throws(NucleusError) -> Plan {
        guard let program = request.command.first, !program.isEmpty else {
            throw .invalid("no command given: put it after --, or as `command = [...]` in the config")
        }
        let hostname = try HostnameRules.hostname(explicit: request.hostname, name: request.name)
        let namespaces = try NamespacePlanner.namespaces(for: request)
        var mapping = try UserNamespaceMapping.plan(
            euid: host.effectiveUID, egid: host.effectiveGID, base: request.usernsBase)
        let sourceRoot = try resolveRootfs(request.rootfs, host: host)
        let workload = try resolveIdentity(request, sourceRoot: sourceRoot, host: host)
        let (uid, gid) = (workload.uid, workload.gid)
        try UserNamespaceMapping.validate(uid: uid, gid: gid, in: mapping)
        for group in workload.supplementary {
            try UserNamespaceMapping.validate(uid: uid, gid: group.gid, in: mapping)
        }
        if !workload.supplementary.isEmpty && !mapping.setgroupsAllowed {
            throw .invalid("--additional-group needs a user namespace that allows setgroups: run as root, not rootless")
        }
        try ContainerPath.validateHome(request.home)
        let workdir = request.workdir ?? (request.workspace == nil ? "/" : Workspace.mountPoint)
        guard ContainerPath.isNormalizedAbsolute(workdir) else {
            throw .invalid("--workdir \"\(workdir)\" must be an absolute path without '.', '..' or '//'")
        }
        // /proc/self/fd/N and /proc/self/cwd name directories of whoever asks:
        // never a container's working directory (CVE-2024-21626).
        guard workdir != "/proc", !workdir.hasPrefix("/proc/") else {
            throw .invalid("--workdir \(workdir): the working directory may not lie in /proc")
        }
        guard request.rootfsSize.bytes >= 1 << 20 else {
            throw .invalid("--rootfs-size \(request.rootfsSize) is below the 1M minimum")
        }
        try checkPreservedDescriptors(request.preserveFDs, host: host)

        var envFiles: [(path: String, contents: String)] = []
        for path in request.envFiles { envFiles.append((path, try host.readTextFile(path))) }
        let environment = try EnvironmentPolicy.build(
            home: request.home, terminal: host.hasTerminal ? host.environmentValue("TERM") ?? "xterm" : nil,
            assignments: request.environment, envFiles: envFiles, sensitive: request.sensitiveEnvironment,
            caller: host.environmentValue)

        let ownNetwork = namespaces.contains(.network)
        var setup: [SetupStep] = []
        if request.timeNamespace {
            setup.append(SetupStep(kind: .timeOffsets, target: "", data: NamespacePlanner.timeOffsets(for: request)))
        }
        setup.append(SetupStep(kind: .setHostname, target: "", data: hostname))
        if ownNetwork { setup.append(SetupStep(kind: .loopbackUp, target: "")) }
        let ttyGroup: UInt32 = 5
        let identity = EtcTree.Identity(
            uid: uid, gid: gid, home: request.home, userName: workload.userName, groupName: workload.groupName,
            supplementary: workload.supplementary.map { ($0.gid, $0.name) })
        let (ownerMapping, requested, ownership) = try ownedMounts(
            request, identity: identity, mapping: mapping, host: host)
        mapping = ownerMapping
        try ServiceModeRules.checkRequest(request, host: host)
        let lockdown = try ServiceModeRules.lockdownMechanism(request, host: host)
        let network = try NetworkPlanner.plan(
            mode: request.network, request: request.networking, serviceMode: request.serviceMode, host: host)
        let resources = try ResourcePlanner.plan(
            request.resources, requireCgroup: request.serviceMode.failsClosed ? request.serviceMode.rawValue : nil,
            host: host)
        var layout = RootfsLayout(
            sourceRoot: sourceRoot, rootSize: request.rootfsSize, hostname: hostname,
            identity: identity, ownNetworkNamespace: ownNetwork,
            procReadWrite: request.procReadWrite,
            ttyGroup: mapping.gidMap.contains { $0.contains(ttyGroup) } ? ttyGroup : nil,
            chrootFallback: request.allowChrootFallback, userMounts: requested.steps, cgroup: resources.plan.cgroup)
        layout.hidePids = request.serviceMode == .production
        layout.resolvConf = network.resolvConf
        setup += layout.steps(host: host)
        if network.plan != nil { setup.append(SetupStep(kind: .awaitNetwork, target: "")) }
        if request.serviceMode == .production { setup.append(SetupStep(kind: .auditMounts, target: "")) }

        var process = ProcessPlan(
            argv: request.command, environment: environment.visible, sensitiveEnvironment: environment.sensitive,
            searchPath: EnvironmentPolicy.defaultPath,
            workdir: workdir, uid: uid, gid: gid, terminal: request.terminal, preserveFDs: request.preserveFDs)
        process.supplementaryGroups = workload.supplementary.map(\.gid)
        guard request.stopTimeout >= 0, request.stopTimeout.isFinite else {
            throw .invalid("--stop-timeout \(request.stopTimeout) must be 0 or more seconds")
        }
        process.stopTimeout = request.stopTimeout
        let seccomp = try SeccompPlanner.plan(request.security, network: request.network, host: host)
        let capabilities = try CapabilityPolicy.plan(request.security.capsPolicy, uid: uid, host: host)
        let landlock = try LandlockPlanner.plan(
            request.security, paths: landlockPaths(request), network: request.network, abi: host.landlockABI,
            host: host)
        var plan = Plan(
            mode: request.serviceMode.rawValue, name: request.name, hostname: hostname, namespaces: namespaces,
            idMapping: mapping,
            setup: setup, process: process,
            mechanisms: isolationMechanisms(request: request, namespaces: namespaces, mapping: mapping)
                + [capabilities.mechanism]
                + SecurityMechanisms.privileges(uid: uid, gid: gid, supplementary: process.supplementaryGroups)
                + network.mechanisms
                + [seccomp.mechanism, landlock.mechanism, resources.mechanism] + lockdown
                + ownership
                + workspaceMechanism(request.workspace, protected: requested.protected)
                + (request.context.map { [ContextPlanner.mechanism($0)] } ?? []))
        plan.seccomp = seccomp.policy
        plan.landlock = landlock.policy
        plan.capabilities = capabilities.sets
        plan.resources = resources.plan
        plan.network = network.plan
        plan.events = request.events
        plan.readiness = request.readiness
        if request.readiness == .sdNotify {
            plan.process.environment.append("NOTIFY_SOCKET=\(Readiness.notifySocket)")
            var bind = SetupStep.bind(
                host: "/run/nucleus-notify-XXXXXX", at: Readiness.notifyDirectory, options: [.noSuid, .noDev, .noExec])
            bind.notifyDirectory = true
            bind.resolveInRoot = true
            bind.recursive = false
            let directories = (ContainerPath.ancestors(of: Readiness.notifyDirectory) + [Readiness.notifyDirectory]).map
            {
                var step = SetupStep.directory($0)
                step.resolveInRoot = true
                return step
            }
            let pivot = plan.setup.firstIndex { $0.kind == .pivotRoot } ?? plan.setup.count
            plan.setup.insert(contentsOf: directories + [bind], at: pivot)
        }
        if request.sdNotify {
            guard let socket = host.environmentValue("NOTIFY_SOCKET"), !socket.isEmpty else {
                throw .invalid("--sd-notify: $NOTIFY_SOCKET is not set (run under systemd with Type=notify)")
            }
            guard request.readiness != nil else {
                throw .invalid("--sd-notify needs a --readiness-* option to know when to say READY=1")
            }
            plan.notifySocket = socket
        }
        if let health = request.health {
            guard health.interval > 0, health.timeout > 0, health.startPeriod >= 0, health.retries >= 1 else {
                throw .invalid("--health-interval and --health-timeout must be above 0, --health-retries at least 1")
            }
            plan.health = health
        }
        if case .descriptor(let fd) = request.events, fd < 3 + Int32(request.preserveFDs) {
            throw .invalid("--events-fd \(fd): use a descriptor above 2 and above those --preserve-fds passes on")
        }
        if request.verifyRootfsAttestation {
            guard request.rootfs != nil else { throw .invalid("--verify-rootfs-attestation needs --rootfs") }
            plan.attestedRootfs = sourceRoot
            plan.mechanisms.append(
                Mechanism(
                    name: "rootfs_attestation", status: .enforced,
                    detail: "every file of \(sourceRoot) checked against its .nucleus-rootfs-sha256 before start"))
        }
        try ServiceModeRules.checkPlan(plan, request: request)
        return plan
    }

    /// Names are looked up in the container's root filesystem: `--rootfs`'s
    /// `/etc`, or the host's database when the host trees are bound (agent mode).
    static func resolveIdentity(_ request: Request, sourceRoot: String, host: any HostProbe) throws(NucleusError)
        -> IdentityResolver.Identity
    {
        var accounts = IdentityResolver.Accounts(passwd: "", group: "")
        let etc = sourceRoot == "/" ? "/etc" : sourceRoot + "/etc"
        if IdentityResolver.needsAccounts(
            user: request.user, group: request.group, additional: request.additionalGroups)
        {
            let passwd = (try? host.readTextFile(etc + "/passwd")) ?? ""
            let group = (try? host.readTextFile(etc + "/group")) ?? ""
            accounts = IdentityResolver.Accounts(passwd: passwd, group: group)
        }
        return try IdentityResolver.resolve(
            user: request.user, group: request.group, additional: request.additionalGroups, accounts: accounts,
            origin: etc)
    }

    static func resolveRootfs(_ rootfs: String?, host: any HostProbe) throws(NucleusError) -> String {
        guard let rootfs else { return "/" }
        guard let resolved = host.resolve(rootfs), host.entry(at: resolved) == .directory else {
            throw NucleusError("--rootfs \(rootfs) is not a directory", syscall: "realpath", path: rootfs, errno: 2)
        }
        let hasSystemTree = SystemDirectories.names.contains { name in
            host.resolve(resolved == "/" ? "/" + name : resolved + "/" + name).map { host.entry(at: $0) == .directory }
                ?? false
        }
        guard hasSystemTree else {
            throw .invalid("--rootfs \(rootfs) has none of \(SystemDirectories.names.joined(separator: ", "))")
        }
        return resolved
    }

    static func checkPreservedDescriptors(_ count: Int, host: any HostProbe) throws(NucleusError) {
        guard (0...1024).contains(count) else { throw .invalid("--preserve-fds \(count) must be between 0 and 1024") }
        for fd in 0..<count where !host.isOpen(fileDescriptor: Int32(3 + fd)) {
            throw NucleusError("--preserve-fds \(count): fd \(3 + fd) is not open", syscall: "fcntl", errno: 9)
        }
    }

    static func isolationMechanisms(request: Request, namespaces: [Namespace], mapping: IDMapping) -> [Mechanism] {
        let uid = mapping.uidMap.map(\.rangeDescription)
        var result = [
            Mechanism(
                name: "namespaces", status: .enforced,
                detail: "new " + namespaces.map(\.rawValue).concatenated(separator: ", ")),
            Mechanism(
                name: "user_namespace", status: .enforced,
                detail: (mapping.rootless ? "rootless: " : "") + "uids " + uid.concatenated(separator: ", ")),
        ]
        if request.network == .host {
            result.append(
                Mechanism(
                    name: "network", status: .degraded, detail: "shares the host network namespace (--network host)"))
        } else if request.network == .none {
            result.append(
                Mechanism(name: "network", status: .enforced, detail: "own namespace with only lo, no route out"))
        }
        result.append(
            Mechanism(
                name: "root_filesystem", status: request.allowChrootFallback ? .degraded : .enforced,
                detail: request.allowChrootFallback
                    ? "pivot_root, falling back to chroot if it fails (--allow-chroot-fallback)"
                    : "pivot_root into a read-only tmpfs root, old root detached"))
        return result
    }
}
