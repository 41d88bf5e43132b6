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

    private enum Setter: Sendable {
        case flag(@Sendable (inout SandboxFlags) -> Void)
        case value(@Sendable (inout SandboxFlags, String) -> Bool)
    }

    private static func string(_ set: @escaping @Sendable (inout SandboxFlags, String) -> Void) -> Setter {
        .value { flags, text in
            set(&flags, text)
            return true
        }
    }

    private static func number<T: FixedWidthInteger & SendableMetatype>(
        _ set: @escaping @Sendable (inout SandboxFlags, T) -> Void
    ) -> Setter {
        .value { flags, text in
            guard let value = T(text) else { return false }
            set(&flags, value)
            return true
        }
    }

    /// Every sandbox flag, by the name `SandboxOptions` gives it.
    static let names: Set<String> = Set(setters.keys)

    private static let setters: [String: Setter] = [
        "--name": string { $0.name = $1 },
        "--hostname": string { $0.hostname = $1 },
        "--rootfs": string { $0.rootfs = $1 },
        "--rootfs-size": string { $0.rootfsSize = $1 },
        "--network": .value { flags, text in
            guard let mode = NetworkMode(rawValue: text) else { return false }
            flags.network = mode
            return true
        },
        "--allow-host-network": .flag { $0.allowHostNetwork = true },
        "--nat-backend": .value { flags, text in
            guard let backend = NATBackend(rawValue: text) else { return false }
            flags.natBackend = backend
            return true
        },
        "--subnet": string { $0.subnet = $1 },
        "--ipv6": .flag { $0.ipv6 = true },
        "--publish": string { $0.publish.append($1) },
        "-p": string { $0.publish.append($1) },
        "--dns": string { $0.dns.append($1) },
        "--egress-allow": string { $0.egressAllow.append($1) },
        "--egress-tcp-port": number { $0.egressTcpPort.append($1) },
        "--egress-udp-port": number { $0.egressUdpPort.append($1) },
        "--egress-domain": string { $0.egressDomain.append($1) },
        "--time-namespace": .flag { $0.timeNamespace = true },
        "--time-offset-monotonic": number { $0.timeOffsetMonotonic = $1 },
        "--time-offset-boottime": number { $0.timeOffsetBoottime = $1 },
        "--userns-base": number { $0.usernsBase = $1 },
        "--proc-rw": .flag { $0.procReadWrite = true },
        "--allow-chroot-fallback": .flag { $0.allowChrootFallback = true },
        "--home": string { $0.home = $1 },
        "--user": string { $0.user = $1 },
        "--group": string { $0.group = $1 },
        "--additional-group": string { $0.additionalGroup.append($1) },
        "--env": string { $0.env.append($1) },
        "-e": string { $0.env.append($1) },
        "--env-file": string { $0.envFile.append($1) },
        "--env-fd": number { $0.envFd = $1 },
        "--preserve-fds": number { $0.preserveFds = $1 },
        "--terminal": .flag { $0.terminal = true },
        "--workdir": string { $0.workdir = $1 },
        "--volume": string { $0.volume.append($1) },
        "--tmpfs": string { $0.tmpfs.append($1) },
        "--secret": string { $0.secret.append($1) },
        "--workspace": string { $0.workspace = $1 },
        "--workspace-mode": .value { flags, text in
            guard let mode = WorkspaceMode(rawValue: text) else { return false }
            flags.workspaceMode = mode
            return true
        },
        "--workspace-exec": .flag { $0.workspaceExec = true },
        "--protect": string { $0.protect.append($1) },
        "--unprotect-git": .flag { $0.unprotectGit = true },
        "--context": string { $0.context = $1 },
        "--context-mode": .value { flags, text in
            guard let mode = ContextMode(rawValue: text) else { return false }
            flags.contextMode = mode
            return true
        },
        "--verify-context-integrity": .flag { $0.verifyContextIntegrity = true },
        "--provider-config-ro": string { $0.providerConfigRo.append($1) },
        "--provider-config-rw": string { $0.providerConfigRw.append($1) },
        "--seccomp-profile": string { $0.seccompProfile = $1 },
        "--seccomp-profile-sha256": string { $0.seccompProfileSha256 = $1 },
        "--seccomp-mode": .value { flags, text in
            guard let mode = SeccompPolicy.Mode(rawValue: text) else { return false }
            flags.seccompMode = mode
            return true
        },
        "--seccomp-log": string { $0.seccompLog = $1 },
        "--seccomp-log-denied": .flag { $0.seccompLogDenied = true },
        "--seccomp-allow": string { $0.seccompAllow.append($1) },
        "--allow-jit": .flag { $0.allowJit = true },
        "--landlock-policy": string { $0.landlockPolicy = $1 },
        "--landlock-policy-sha256": string { $0.landlockPolicySha256 = $1 },
        "--caps-policy": string { $0.capsPolicy = $1 },
        "--caps-policy-sha256": string { $0.capsPolicySha256 = $1 },
        "--memory": string { $0.memory = $1 },
        "--memory-swap": string { $0.memorySwap = $1 },
        "--cpus": .value { flags, text in
            guard let cpus = Double(text) else { return false }
            flags.cpus = cpus
            return true
        },
        "--cpu-weight": number { $0.cpuWeight = $1 },
        "--cpuset": string { $0.cpuset = $1 },
        "--pids": number { $0.pids = $1 },
        "--io-limit": string { $0.ioLimit.append($1) },
        "--memlock": string { $0.memlock = $1 },
        "--nofile": number { $0.nofile = $1 },
        "--stats-json": string { $0.statsJson = $1 },
        "--service-mode": string { $0.serviceMode = $1 },
        "--strict-agent": .flag { $0.strictAgent = true },
        "--allow-degraded-security": .flag { $0.allowDegradedSecurity = true },
        "--trust-level": string { $0.trustLevel = $1 },
        "--require-kernel-lockdown": string { $0.requireKernelLockdown = $1 },
        "--verify-rootfs-attestation": .flag { $0.verifyRootfsAttestation = true },
        "--events-jsonl": string { $0.eventsJsonl = $1 },
        "--events-fd": number { $0.eventsFd = $1 },
        "--systemd-credential": string { $0.systemdCredential.append($1) },
        "--health-cmd": string { $0.healthCmd = $1 },
        "--health-interval": .value { flags, text in
            guard let seconds = Double(text) else { return false }
            flags.healthInterval = seconds
            return true
        },
        "--health-retries": number { $0.healthRetries = $1 },
        "--health-start-period": .value { flags, text in
            guard let seconds = Double(text) else { return false }
            flags.healthStartPeriod = seconds
            return true
        },
        "--health-timeout": .value { flags, text in
            guard let seconds = Double(text) else { return false }
            flags.healthTimeout = seconds
            return true
        },
        "--health-exit-on-unhealthy": .flag { $0.healthExitOnUnhealthy = true },
        "--readiness-exec": string { $0.readinessExec = $1 },
        "--readiness-tcp": number { $0.readinessTcp = $1 },
        "--sd-notify": .flag { $0.sdNotify = true },
        "--readiness-sd-notify": .flag { $0.readinessSdNotify = true },
        "--stop-timeout": .value { flags, text in
            guard let seconds = Double(text) else { return false }
            flags.stopTimeout = seconds
            return true
        },
    ]

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
            switch setters[name] {
            case .flag(let set)?:
                guard inlineValue == nil else { return nil }
                set(&flags)
                index += 1
            case .value(let set)?:
                let value: String
                if let inlineValue {
                    value = inlineValue
                    index += 1
                } else {
                    guard index + 1 < arguments.count, !arguments[index + 1].hasPrefix("-") else { return nil }
                    value = arguments[index + 1]
                    index += 2
                }
                guard set(&flags, value) else { return nil }
            case nil:
                return nil
            }
        }
        return nil
    }
}
