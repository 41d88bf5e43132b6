import NucleusModel

/// The start path's parser for the one shape a launcher sends thousands of
/// times a day: `nucleus run [sandbox flags] [--dry-run [--format F]] -- command...`.
/// swift-argument-parser spends ~3-5 ms reflecting over the options on every
/// start; this walks argv once. Anything else (help, --config, --log-level,
/// an unknown flag, a malformed value, no `--`) returns nil, and
/// swift-argument-parser handles it with its full rules and messages.
/// `FastRunParserTests` keeps the two in step, flag by flag.
enum FastRunParser {
    struct Run: Equatable {
        var flags = SandboxFlags()
        /// The plan format to print instead of running (`--dry-run`).
        var dryRun: PlanFormat?
    }

    /// Every sandbox flag, by the name `SandboxOptions` gives it. A raw-value
    /// enum, not a dictionary of closures: building that table cost ~60 µs
    /// on every start that passed a flag.
    enum Flag: String, CaseIterable {
        case name = "--name"
        case hostname = "--hostname"
        case rootfs = "--rootfs"
        case rootfsSize = "--rootfs-size"
        case network = "--network"
        case allowHostNetwork = "--allow-host-network"
        case natBackend = "--nat-backend"
        case subnet = "--subnet"
        case ipv6 = "--ipv6"
        case publish = "--publish"
        case publishShort = "-p"
        case dns = "--dns"
        case egressAllow = "--egress-allow"
        case egressTcpPort = "--egress-tcp-port"
        case egressUdpPort = "--egress-udp-port"
        case egressDomain = "--egress-domain"
        case timeNamespace = "--time-namespace"
        case timeOffsetMonotonic = "--time-offset-monotonic"
        case timeOffsetBoottime = "--time-offset-boottime"
        case usernsBase = "--userns-base"
        case procRw = "--proc-rw"
        case allowChrootFallback = "--allow-chroot-fallback"
        case home = "--home"
        case user = "--user"
        case group = "--group"
        case additionalGroup = "--additional-group"
        case env = "--env"
        case envShort = "-e"
        case envFile = "--env-file"
        case envFd = "--env-fd"
        case preserveFds = "--preserve-fds"
        case terminal = "--terminal"
        case workdir = "--workdir"
        case volume = "--volume"
        case tmpfs = "--tmpfs"
        case secret = "--secret"
        case workspace = "--workspace"
        case workspaceMode = "--workspace-mode"
        case workspaceExec = "--workspace-exec"
        case protect = "--protect"
        case unprotectGit = "--unprotect-git"
        case context = "--context"
        case contextMode = "--context-mode"
        case verifyContextIntegrity = "--verify-context-integrity"
        case providerConfigRo = "--provider-config-ro"
        case providerConfigRw = "--provider-config-rw"
        case seccompProfile = "--seccomp-profile"
        case seccompProfileSha256 = "--seccomp-profile-sha256"
        case seccompMode = "--seccomp-mode"
        case seccompLog = "--seccomp-log"
        case seccompLogDenied = "--seccomp-log-denied"
        case seccompAllow = "--seccomp-allow"
        case allowJit = "--allow-jit"
        case landlockPolicy = "--landlock-policy"
        case landlockPolicySha256 = "--landlock-policy-sha256"
        case capsPolicy = "--caps-policy"
        case capsPolicySha256 = "--caps-policy-sha256"
        case memory = "--memory"
        case memorySwap = "--memory-swap"
        case cpus = "--cpus"
        case cpuWeight = "--cpu-weight"
        case cpuset = "--cpuset"
        case pids = "--pids"
        case ioLimit = "--io-limit"
        case memlock = "--memlock"
        case nofile = "--nofile"
        case statsJson = "--stats-json"
        case serviceMode = "--service-mode"
        case strictAgent = "--strict-agent"
        case allowDegradedSecurity = "--allow-degraded-security"
        case trustLevel = "--trust-level"
        case requireKernelLockdown = "--require-kernel-lockdown"
        case verifyRootfsAttestation = "--verify-rootfs-attestation"
        case eventsJsonl = "--events-jsonl"
        case eventsFd = "--events-fd"
        case systemdCredential = "--systemd-credential"
        case healthCmd = "--health-cmd"
        case healthInterval = "--health-interval"
        case healthRetries = "--health-retries"
        case healthStartPeriod = "--health-start-period"
        case healthTimeout = "--health-timeout"
        case healthExitOnUnhealthy = "--health-exit-on-unhealthy"
        case readinessExec = "--readiness-exec"
        case readinessTcp = "--readiness-tcp"
        case sdNotify = "--sd-notify"
        case readinessSdNotify = "--readiness-sd-notify"
        case stopTimeout = "--stop-timeout"

        /// A scan of the cases: `Flag(rawValue:)` is a string switch that
        /// builds a hash table of all ~90 names the first time it runs
        /// (~47k instructions, on every start that passes a flag).
        static func named(_ name: String) -> Flag? { allCases.first { $0.rawValue == name } }

        /// Switches like `--ipv6` stand alone; every other flag takes a value.
        var takesValue: Bool {
            switch self {
            case .allowHostNetwork, .ipv6, .timeNamespace, .procRw, .allowChrootFallback, .terminal, .workspaceExec,
                .unprotectGit, .verifyContextIntegrity, .seccompLogDenied, .allowJit, .strictAgent,
                .allowDegradedSecurity, .verifyRootfsAttestation, .healthExitOnUnhealthy, .sdNotify, .readinessSdNotify:
                return false
            default: return true
            }
        }
    }

    /// Sets `flag` from `text` (ignored by switches); false when the value does not parse.
    private static func apply(_ flag: Flag, _ text: String, to flags: inout SandboxFlags) -> Bool {
        switch flag {
        case .name: flags.name = text
        case .hostname: flags.hostname = text
        case .rootfs: flags.rootfs = text
        case .rootfsSize: flags.rootfsSize = text
        case .network: return value(text, as: NetworkMode.self) { flags.network = $0 }
        case .allowHostNetwork: flags.allowHostNetwork = true
        case .natBackend: return value(text, as: NATBackend.self) { flags.natBackend = $0 }
        case .subnet: flags.subnet = text
        case .ipv6: flags.ipv6 = true
        case .publish: flags.publish.append(text)
        case .publishShort: flags.publish.append(text)
        case .dns: flags.dns.append(text)
        case .egressAllow: flags.egressAllow.append(text)
        case .egressTcpPort: return value(text) { flags.egressTcpPort.append($0) }
        case .egressUdpPort: return value(text) { flags.egressUdpPort.append($0) }
        case .egressDomain: flags.egressDomain.append(text)
        case .timeNamespace: flags.timeNamespace = true
        case .timeOffsetMonotonic: return value(text) { flags.timeOffsetMonotonic = $0 }
        case .timeOffsetBoottime: return value(text) { flags.timeOffsetBoottime = $0 }
        case .usernsBase: return value(text) { flags.usernsBase = $0 }
        case .procRw: flags.procReadWrite = true
        case .allowChrootFallback: flags.allowChrootFallback = true
        case .home: flags.home = text
        case .user: flags.user = text
        case .group: flags.group = text
        case .additionalGroup: flags.additionalGroup.append(text)
        case .env: flags.env.append(text)
        case .envShort: flags.env.append(text)
        case .envFile: flags.envFile.append(text)
        case .envFd: return value(text) { flags.envFd = $0 }
        case .preserveFds: return value(text) { flags.preserveFds = $0 }
        case .terminal: flags.terminal = true
        case .workdir: flags.workdir = text
        case .volume: flags.volume.append(text)
        case .tmpfs: flags.tmpfs.append(text)
        case .secret: flags.secret.append(text)
        case .workspace: flags.workspace = text
        case .workspaceMode: return value(text, as: WorkspaceMode.self) { flags.workspaceMode = $0 }
        case .workspaceExec: flags.workspaceExec = true
        case .protect: flags.protect.append(text)
        case .unprotectGit: flags.unprotectGit = true
        case .context: flags.context = text
        case .contextMode: return value(text, as: ContextMode.self) { flags.contextMode = $0 }
        case .verifyContextIntegrity: flags.verifyContextIntegrity = true
        case .providerConfigRo: flags.providerConfigRo.append(text)
        case .providerConfigRw: flags.providerConfigRw.append(text)
        case .seccompProfile: flags.seccompProfile = text
        case .seccompProfileSha256: flags.seccompProfileSha256 = text
        case .seccompMode: return value(text, as: SeccompPolicy.Mode.self) { flags.seccompMode = $0 }
        case .seccompLog: flags.seccompLog = text
        case .seccompLogDenied: flags.seccompLogDenied = true
        case .seccompAllow: flags.seccompAllow.append(text)
        case .allowJit: flags.allowJit = true
        case .landlockPolicy: flags.landlockPolicy = text
        case .landlockPolicySha256: flags.landlockPolicySha256 = text
        case .capsPolicy: flags.capsPolicy = text
        case .capsPolicySha256: flags.capsPolicySha256 = text
        case .memory: flags.memory = text
        case .memorySwap: flags.memorySwap = text
        case .cpus: return value(text) { flags.cpus = $0 }
        case .cpuWeight: return value(text) { flags.cpuWeight = $0 }
        case .cpuset: flags.cpuset = text
        case .pids: return value(text) { flags.pids = $0 }
        case .ioLimit: flags.ioLimit.append(text)
        case .memlock: flags.memlock = text
        case .nofile: return value(text) { flags.nofile = $0 }
        case .statsJson: flags.statsJson = text
        case .serviceMode: flags.serviceMode = text
        case .strictAgent: flags.strictAgent = true
        case .allowDegradedSecurity: flags.allowDegradedSecurity = true
        case .trustLevel: flags.trustLevel = text
        case .requireKernelLockdown: flags.requireKernelLockdown = text
        case .verifyRootfsAttestation: flags.verifyRootfsAttestation = true
        case .eventsJsonl: flags.eventsJsonl = text
        case .eventsFd: return value(text) { flags.eventsFd = $0 }
        case .systemdCredential: flags.systemdCredential.append(text)
        case .healthCmd: flags.healthCmd = text
        case .healthInterval: return value(text) { flags.healthInterval = $0 }
        case .healthRetries: return value(text) { flags.healthRetries = $0 }
        case .healthStartPeriod: return value(text) { flags.healthStartPeriod = $0 }
        case .healthTimeout: return value(text) { flags.healthTimeout = $0 }
        case .healthExitOnUnhealthy: flags.healthExitOnUnhealthy = true
        case .readinessExec: flags.readinessExec = text
        case .readinessTcp: return value(text) { flags.readinessTcp = $0 }
        case .sdNotify: flags.sdNotify = true
        case .readinessSdNotify: flags.readinessSdNotify = true
        case .stopTimeout: return value(text) { flags.stopTimeout = $0 }
        }
        return true
    }

    /// A number (`Int`, `UInt16`, `Double`...) parsed from `text`, or false.
    private static func value<T: LosslessStringConvertible>(_ text: String, _ set: (T) -> Void) -> Bool {
        guard let value = T(text) else { return false }
        set(value)
        return true
    }

    /// One of an option's named choices, or false.
    private static func value<T: RawRepresentable<String>>(_ text: String, as _: T.Type, _ set: (T) -> Void) -> Bool {
        guard let value = T(rawValue: text) else { return false }
        set(value)
        return true
    }

    /// `arguments` is the whole argv, program name first.
    static func parse(_ arguments: [String]) -> Run? {
        guard arguments.count >= 4, arguments[1] == "run" else { return nil }
        var flags = SandboxFlags()
        var dryRun = false
        var format = PlanFormat.text
        var index = 2
        while index < arguments.count {
            let word = arguments[index]
            if word == "--" {
                flags.command = Array(arguments[(index + 1)...])
                return flags.command.isEmpty ? nil : Run(flags: flags, dryRun: dryRun ? format : nil)
            }
            var name = word
            var inlineValue: String?
            if word.hasPrefix("--"), let equals = word.firstIndex(of: "=") {
                name = String(word[..<equals])
                inlineValue = String(word[word.index(after: equals)...])
            }
            if name == "--dry-run" {
                guard inlineValue == nil else { return nil }
                dryRun = true
                index += 1
                continue
            }
            if name == "--format" {
                let text: String
                if let inlineValue {
                    text = inlineValue
                    index += 1
                } else {
                    guard index + 1 < arguments.count else { return nil }
                    text = arguments[index + 1]
                    index += 2
                }
                guard let parsed = PlanFormat(rawValue: text) else { return nil }
                format = parsed
                continue
            }
            guard let flag = Flag.named(name) else { return nil }
            let value: String
            if !flag.takesValue {
                guard inlineValue == nil else { return nil }
                value = ""
                index += 1
            } else if let inlineValue {
                value = inlineValue
                index += 1
            } else {
                guard index + 1 < arguments.count, !arguments[index + 1].hasPrefix("-") else { return nil }
                value = arguments[index + 1]
                index += 2
            }
            guard apply(flag, value, to: &flags) else { return nil }
        }
        return nil
    }
}
