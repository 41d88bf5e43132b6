import NucleusDocuments
import NucleusModel
import NucleusPlan

/// The sandbox flags as plain values: what `SandboxOptions` (swift-argument-parser)
/// and `FastRunParser` both produce, and the one place they become a `Request`.
struct SandboxFlags: Equatable {
    var name: String?
    var hostname: String?
    var rootfs: String?
    var rootfsSize: String?
    var network: NetworkMode?
    var allowHostNetwork = false
    var natBackend: NATBackend?
    var subnet: String?
    var ipv6 = false
    var publish: [String] = []
    var dns: [String] = []
    var egressAllow: [String] = []
    var egressTcpPort: [UInt16] = []
    var egressUdpPort: [UInt16] = []
    var egressDomain: [String] = []
    var timeNamespace = false
    var timeOffsetMonotonic: Int64?
    var timeOffsetBoottime: Int64?
    var usernsBase: UInt32?
    var procReadWrite = false
    var allowChrootFallback = false
    var home: String?
    var user: String?
    var group: String?
    var additionalGroup: [String] = []
    var env: [String] = []
    var envFile: [String] = []
    var envFd: Int32?
    var preserveFds: Int?
    var terminal = false
    var workdir: String?
    var volume: [String] = []
    var tmpfs: [String] = []
    var secret: [String] = []
    var workspace: String?
    var workspaceMode: WorkspaceMode?
    var workspaceExec = false
    var protect: [String] = []
    var unprotectGit = false
    var context: String?
    var contextMode: ContextMode?
    var verifyContextIntegrity = false
    var providerConfigRo: [String] = []
    var providerConfigRw: [String] = []
    var seccompProfile: String?
    var seccompProfileSha256: String?
    var seccompMode: SeccompPolicy.Mode?
    var seccompLog: String?
    var seccompLogDenied = false
    var seccompAllow: [String] = []
    var allowJit = false
    var landlockPolicy: String?
    var landlockPolicySha256: String?
    var capsPolicy: String?
    var capsPolicySha256: String?
    var memory: String?
    var memorySwap: String?
    var cpus: Double?
    var cpuWeight: Int?
    var cpuset: String?
    var pids: Int?
    var ioLimit: [String] = []
    var memlock: String?
    var nofile: Int?
    var statsJson: String?
    var serviceMode: String?
    var strictAgent = false
    var allowDegradedSecurity = false
    var trustLevel: String?
    var requireKernelLockdown: String?
    var stopTimeout: Double?
    var verifyRootfsAttestation = false
    var eventsJsonl: String?
    var eventsFd: Int32?
    var systemdCredential: [String] = []
    var healthCmd: String?
    var healthInterval: Double?
    var healthRetries: Int?
    var healthStartPeriod: Double?
    var healthTimeout: Double?
    var healthExitOnUnhealthy = false
    var readinessExec: String?
    var readinessTcp: UInt16?
    var readinessSdNotify = false
    var sdNotify = false
    var command: [String] = []

    func request() throws(NucleusError) -> Request {
        var request = Request(command: command)
        request.name = name
        request.hostname = hostname
        request.rootfs = rootfs
        if let rootfsSize {
            guard let size = ByteSize(parsing: rootfsSize) else {
                throw .invalid("--rootfs-size \(rootfsSize) is not a size like 256M or 1G")
            }
            request.rootfsSize = size
        }
        request.network = network ?? .none
        request.allowHostNetwork = allowHostNetwork
        request.networking = try networking()
        request.timeNamespace = timeNamespace
        request.timeOffsetMonotonic = timeOffsetMonotonic ?? 0
        request.timeOffsetBoottime = timeOffsetBoottime ?? 0
        request.usernsBase = usernsBase ?? Request.defaultUsernsBase
        request.procReadWrite = procReadWrite
        request.allowChrootFallback = allowChrootFallback
        request.home = home ?? Request.defaultHome
        request.user = user
        request.group = group
        request.additionalGroups = additionalGroup
        request.environment = env
        request.envFiles = envFile
        if let envFd {
            let origin = "--env-fd \(envFd)"
            let text = try LiveHost().readDescriptor(envFd, flag: "--env-fd")
            request.sensitiveEnvironment = try EnvironmentDocument.assignments(from: text, origin: origin)
        }
        request.preserveFDs = preserveFds ?? 0
        request.terminal = terminal
        request.workdir = workdir
        for text in volume { request.volumes.append(try VolumeMount(parsing: text)) }
        for text in tmpfs { request.tmpfsMounts.append(try TmpfsMount(parsing: text)) }
        for text in secret { request.secrets.append(try SecretMount(parsing: text)) }
        if let workspace {
            request.workspace = Workspace(
                source: workspace, mode: workspaceMode ?? .bindRW, exec: workspaceExec, protect: protect,
                unprotectGit: unprotectGit)
        } else if workspaceMode != nil || workspaceExec || !protect.isEmpty || unprotectGit {
            throw .invalid("--workspace-mode, --workspace-exec, --protect and --unprotect-git need --workspace")
        }
        if let context {
            request.context = Context(
                source: context, mode: contextMode ?? .copy, verifyIntegrity: verifyContextIntegrity)
        } else if contextMode != nil || verifyContextIntegrity {
            throw .invalid("--context-mode and --verify-context-integrity need --context")
        }
        for text in providerConfigRo {
            request.providerConfigs.append(try ProviderConfig(parsing: text, readOnly: true))
        }
        for text in providerConfigRw {
            request.providerConfigs.append(try ProviderConfig(parsing: text, readOnly: false))
        }
        request.security = try security()
        request.resources = try resources()
        request.serviceMode = try mode()
        request.allowDegradedSecurity = allowDegradedSecurity
        if let trustLevel {
            guard let level = TrustLevel(rawValue: trustLevel) else {
                throw .invalid("--trust-level \(trustLevel): expected trusted or untrusted")
            }
            request.trustLevel = level
        }
        request.stopTimeout = stopTimeout ?? 10
        request.verifyRootfsAttestation = verifyRootfsAttestation
        if let healthCmd {
            request.health = HealthCheck(
                command: ["/bin/sh", "-c", healthCmd], interval: healthInterval ?? 30, retries: healthRetries ?? 3,
                startPeriod: healthStartPeriod ?? 5, timeout: healthTimeout ?? 5, exitOnUnhealthy: healthExitOnUnhealthy
            )
        } else if healthInterval != nil || healthRetries != nil || healthStartPeriod != nil || healthTimeout != nil
            || healthExitOnUnhealthy
        {
            throw .invalid("the --health-* options need --health-cmd")
        }
        switch (readinessExec, readinessTcp, readinessSdNotify) {
        case (let command?, nil, false): request.readiness = .exec(["/bin/sh", "-c", command])
        case (nil, let port?, false): request.readiness = .tcp(port)
        case (nil, nil, true): request.readiness = .sdNotify
        case (nil, nil, false): break
        default: throw .invalid("give one of --readiness-exec, --readiness-tcp and --readiness-sd-notify")
        }
        request.sdNotify = sdNotify
        for text in systemdCredential { request.systemdCredentials.append(try SystemdCredential(parsing: text)) }
        switch (eventsJsonl, eventsFd) {
        case (let path?, nil): request.events = .path(path)
        case (nil, let fd?): request.events = .descriptor(fd)
        case (nil, nil): break
        case (_?, _?): throw .invalid("give --events-jsonl or --events-fd, not both")
        }
        if let requireKernelLockdown {
            guard let level = KernelLockdown(rawValue: requireKernelLockdown), level != .none else {
                throw .invalid(
                    "--require-kernel-lockdown \(requireKernelLockdown): expected integrity or confidentiality")
            }
            request.requireKernelLockdown = level
        }
        return request
    }

    func networking() throws(NucleusError) -> NetworkRequest {
        var networking = NetworkRequest()
        networking.natBackend = natBackend ?? .auto
        networking.ipv6 = ipv6
        if let subnet {
            guard let block = IPNetwork(subnet) else { throw .invalid("--subnet \(subnet) is not a CIDR block") }
            networking.subnet = block
        }
        for text in publish { networking.publish.append(try PortMapping(parsing: text)) }
        for text in dns {
            guard let address = IPAddress(text) else { throw .invalid("--dns \(text) is not an IP address") }
            networking.dns.append(address)
        }
        for text in egressAllow {
            guard let block = IPNetwork(text) else {
                throw .invalid("--egress-allow \(text) is not an IPv4 or IPv6 address or CIDR block")
            }
            networking.egressAllow.append(block)
        }
        for port in egressTcpPort + egressUdpPort where port == 0 {
            throw .invalid("--egress-tcp-port and --egress-udp-port take ports from 1 to 65535")
        }
        networking.egressTCPPorts = egressTcpPort
        networking.egressUDPPorts = egressUdpPort
        for text in egressDomain { networking.egressDomains.append(try DomainPattern(parsing: text)) }
        return networking
    }

    func mode() throws(NucleusError) -> ServiceMode {
        guard let serviceMode else { return strictAgent ? .strictAgent : .agent }
        guard let mode = ServiceMode(name: serviceMode) else {
            throw .invalid("--service-mode \(serviceMode): expected agent, strict-agent, mitos-agent or production")
        }
        if strictAgent && mode != .strictAgent {
            throw .invalid("--strict-agent contradicts --service-mode \(serviceMode)")
        }
        return mode
    }

    func resources() throws(NucleusError) -> ResourceRequest {
        var resources = ResourceRequest()
        resources.memory = try Self.size(memory, flag: "--memory")
        resources.memorySwap = try Self.size(memorySwap, flag: "--memory-swap")
        resources.cpus = cpus
        resources.cpuWeight = cpuWeight
        resources.cpuset = cpuset
        resources.pids = pids
        resources.ioLimits = ioLimit
        resources.memlock = try Self.size(memlock, flag: "--memlock")
        resources.nofile = nofile
        resources.statsJSON = statsJson
        return resources
    }

    static func size(_ text: String?, flag: String) throws(NucleusError) -> ByteSize? {
        guard let text else { return nil }
        guard let size = ByteSize(parsing: text) else { throw .invalid("\(flag) \(text) is not a size like 64M or 1G") }
        return size
    }

    func security() throws(NucleusError) -> SecurityRequest {
        var security = SecurityRequest()
        security.seccompProfile = try Self.policyFile(seccompProfile, seccompProfileSha256, flag: "--seccomp-profile")
        security.seccompMode = seccompMode ?? .enforce
        security.seccompLog = seccompLog
        security.seccompLogDenied = seccompLogDenied
        security.seccompAllow = seccompAllow
        security.allowJIT = allowJit
        security.landlockPolicy = try Self.policyFile(landlockPolicy, landlockPolicySha256, flag: "--landlock-policy")
        security.capsPolicy = try Self.policyFile(capsPolicy, capsPolicySha256, flag: "--caps-policy")
        return security
    }

    static func policyFile(_ path: String?, _ sha256: String?, flag: String) throws(NucleusError) -> PolicyFile? {
        guard let path else {
            if sha256 != nil { throw .invalid("\(flag)-sha256 needs \(flag)") }
            return nil
        }
        return PolicyFile(path: path, sha256: sha256)
    }
}
