import ArgumentParser
import NucleusModel

extension NetworkMode: ExpressibleByArgument {}
extension NATBackend: ExpressibleByArgument {}
extension WorkspaceMode: ExpressibleByArgument {}
extension ContextMode: ExpressibleByArgument {}
extension SeccompPolicy.Mode: ExpressibleByArgument {}

/// Every flag that shapes the sandbox. A config document maps onto exactly
/// these (snake_case keys), which is why they live apart from `run`'s own flags.
struct SandboxOptions: ParsableArguments {
    @Option(help: "Container name ([A-Za-z0-9._-]); also the hostname unless --hostname is given.")
    var name: String?

    @Option(help: "Hostname inside the container (RFC 1123). Default: the name, else \"nucleus\".")
    var hostname: String?

    @Option(
        help: ArgumentHelp("Use usr, bin, sbin and lib* of DIR, read-only, instead of the host's.", valueName: "dir"))
    var rootfs: String?

    @Option(
        help: ArgumentHelp(
            "Size limit of each tmpfs: the root, /tmp, /dev/shm and the home (default 256M).", valueName: "size"))
    var rootfsSize: String?

    @Option(
        help:
            "none: own namespace with only lo (default); bridge: own namespace with NAT out; host: the host's (needs --allow-host-network)."
    )
    var network: NetworkMode?

    @Flag(help: "Accept --network host.")
    var allowHostNetwork = false

    @Option(help: "Bridge back-end: kernel (bridge, veth, nftables NAT; root), userspace (slirp4netns), or auto.")
    var natBackend: NATBackend?

    @Option(
        help: ArgumentHelp(
            "The bridge's IPv4 block (default 10.88.0.0/16; slirp4netns: 10.0.2.0/24).", valueName: "cidr"))
    var subnet: String?

    @Flag(
        help: ArgumentHelp(
            "The bridge carries IPv6 too (fd6e:7563::/64, NAT; kernel back-end; turns on the host's IPv6 forwarding)."))
    var ipv6 = false

    @Option(
        name: [.short, .customLong("publish")],
        help: ArgumentHelp(
            "Publish a container port on the host: [IP:]HOST:CTR[/tcp|udp] (repeatable).", valueName: "port"))
    var publish: [String] = []

    @Option(
        help: ArgumentHelp("A resolver for /etc/resolv.conf (repeatable; strict modes require it).", valueName: "ip"))
    var dns: [String] = []

    @Option(help: ArgumentHelp("Deny egress except to this block, IPv4 or IPv6 (repeatable).", valueName: "cidr"))
    var egressAllow: [String] = []

    @Option(help: ArgumentHelp("Allowed egress only to this TCP port (repeatable).", valueName: "port"))
    var egressTcpPort: [UInt16] = []

    @Option(help: ArgumentHelp("Allowed egress only to this UDP port (repeatable).", valueName: "port"))
    var egressUdpPort: [UInt16] = []

    @Option(
        help: ArgumentHelp(
            "Deny egress except to addresses this name (or *.domain) resolves to, via nucleus's DNS forwarder (repeatable).",
            valueName: "name"))
    var egressDomain: [String] = []

    @Flag(help: "Give the workload its own time namespace.")
    var timeNamespace = false

    @Option(help: ArgumentHelp("Shift CLOCK_MONOTONIC by N seconds (needs --time-namespace).", valueName: "seconds"))
    var timeOffsetMonotonic: Int64?

    @Option(help: ArgumentHelp("Shift CLOCK_BOOTTIME by N seconds (needs --time-namespace).", valueName: "seconds"))
    var timeOffsetBoottime: Int64?

    @Option(
        help: ArgumentHelp("First host id of the 65536 ids mapped when run as root (default 100000).", valueName: "id"))
    var usernsBase: UInt32?

    @Flag(name: .customLong("proc-rw"), help: "Mount /proc read-write (its tunables stay read-only).")
    var procReadWrite = false

    @Flag(help: "Use chroot if pivot_root fails (weaker: the old root stays mounted).")
    var allowChrootFallback = false

    @Option(help: ArgumentHelp("Private tmpfs home, HOME points there (default /home/agent).", valueName: "path"))
    var home: String?

    @Option(
        help: ArgumentHelp("The workload's user inside the container: a name or uid (default 0).", valueName: "user"))
    var user: String?

    @Option(help: ArgumentHelp("The workload's group: a name or gid (default: the user's).", valueName: "group"))
    var group: String?

    @Option(help: ArgumentHelp("A supplementary group: a name or gid. Repeatable.", valueName: "group"))
    var additionalGroup: [String] = []

    @Option(
        name: [.short, .customLong("env")],
        help: ArgumentHelp("Set KEY=VALUE, or pass the caller's KEY.", valueName: "key[=value]"))
    var env: [String] = []

    @Option(help: ArgumentHelp("Read KEY=VALUE lines from a file.", valueName: "path"))
    var envFile: [String] = []

    @Option(
        help: ArgumentHelp(
            "Read variables from descriptor N: a JSON object of strings or an array of KEY=VALUE (values never shown).",
            valueName: "n"))
    var envFd: Int32?

    @Option(help: ArgumentHelp("Pass fds 3..3+N-1 to the workload.", valueName: "n"))
    var preserveFds: Int?

    @Flag(help: "Keep the caller's terminal session and make the workload its foreground job.")
    var terminal = false

    @Option(help: ArgumentHelp("Working directory inside the container (default /).", valueName: "path"))
    var workdir: String?

    @Option(
        help: ArgumentHelp(
            "Bind a host file or directory (nosuid, nodev; read-write unless :ro). Repeatable.",
            valueName: "src:dest[:ro|rw]"))
    var volume: [String] = []

    @Option(
        help: ArgumentHelp(
            "Mount a tmpfs owned by the workload (mode 0700, nosuid, nodev; default size 64M). Repeatable.",
            valueName: "dest[:size][:ro|rw]"))
    var tmpfs: [String] = []

    @Option(
        help: ArgumentHelp(
            "Copy a host file into /run/secrets (0400, owned by the workload), bound read-only at DEST. Repeatable.",
            valueName: "src:dest"))
    var secret: [String] = []

    @Option(help: ArgumentHelp("Mount the project directory at /workspace (the default workdir).", valueName: "dir"))
    var workspace: String?

    @Option(help: "bind-rw (default), bind-ro, or copy-in-out.")
    var workspaceMode: WorkspaceMode?

    @Flag(help: "Allow executing files from /workspace (noexec otherwise).")
    var workspaceExec = false

    @Option(help: ArgumentHelp("Make a workspace path read-only. Repeatable.", valueName: "rel-path"))
    var protect: [String] = []

    @Flag(help: "Leave .git/hooks and .git/config writable (code written there runs on the host later).")
    var unprotectGit = false

    @Option(
        help: ArgumentHelp(
            "Show a directory read-only at /context, without VCS metadata, credential files or escaping symlinks.",
            valueName: "dir"))
    var context: String?

    @Option(help: "copy (default): a filtered tmpfs copy; bind: a live read-only view with the same names hidden.")
    var contextMode: ContextMode?

    @Flag(help: "Hash every context file (SHA-256) and refuse to start unless /context matches the source.")
    var verifyContextIntegrity = false

    @Option(
        help: ArgumentHelp(
            "Bind a provider's config file or directory read-only into the home (DEST under it). Repeatable.",
            valueName: "src:dest"))
    var providerConfigRo: [String] = []

    @Option(
        help: ArgumentHelp(
            "Bind a provider's config file or directory read-write into the home (DEST under it). Repeatable.",
            valueName: "src:dest"))
    var providerConfigRw: [String] = []

    @Option(
        help: ArgumentHelp(
            "Enforce this OCI seccomp profile (JSON) instead of the built-in allowlist.", valueName: "file"))
    var seccompProfile: String?

    @Option(help: ArgumentHelp("Refuse to start unless the seccomp profile has this SHA-256.", valueName: "hex"))
    var seccompProfileSha256: String?

    @Option(help: "enforce (default), or trace: allow every syscall and record each one (needs --seccomp-log).")
    var seccompMode: SeccompPolicy.Mode?

    @Option(help: ArgumentHelp("Trace mode: write the recorded syscalls here as NDJSON.", valueName: "file"))
    var seccompLog: String?

    @Flag(help: "Log denied syscalls to the kernel log (SECCOMP_FILTER_FLAG_LOG).")
    var seccompLogDenied = false

    @Option(
        help: ArgumentHelp("Allow one more syscall from the documented opt-in list. Repeatable.", valueName: "name"))
    var seccompAllow: [String] = []

    @Flag(help: "Allow memory that is writable and executable at once (JIT compilers).")
    var allowJit = false

    @Option(help: ArgumentHelp("Landlock rules (TOML) replacing the defaults.", valueName: "file"))
    var landlockPolicy: String?

    @Option(help: ArgumentHelp("Refuse to start unless the Landlock policy has this SHA-256.", valueName: "hex"))
    var landlockPolicySha256: String?

    @Option(help: ArgumentHelp("Capabilities to keep (TOML); the default keeps none.", valueName: "file"))
    var capsPolicy: String?

    @Option(help: ArgumentHelp("Refuse to start unless the capability policy has this SHA-256.", valueName: "hex"))
    var capsPolicySha256: String?

    @Option(help: ArgumentHelp("Memory limit (K/M/G, base 1024); no swap unless --memory-swap.", valueName: "size"))
    var memory: String?

    @Option(help: ArgumentHelp("Memory plus swap allowed (needs --memory).", valueName: "size"))
    var memorySwap: String?

    @Option(help: ArgumentHelp("CPU time limit in CPUs, e.g. 0.5 or 2.", valueName: "cpus"))
    var cpus: Double?

    @Option(help: ArgumentHelp("Relative CPU weight, 1 to 10000 (default 100).", valueName: "weight"))
    var cpuWeight: Int?

    @Option(help: ArgumentHelp("CPUs the workload may run on, like 0-1,3.", valueName: "cpus"))
    var cpuset: String?

    @Option(help: ArgumentHelp("Process limit (default 512; 0: unlimited).", valueName: "n"))
    var pids: Int?

    @Option(
        help: ArgumentHelp(
            "Block device throttle: \"MAJ:MIN riops=N wiops=N rbps=N wbps=N\". Repeatable.", valueName: "limit"))
    var ioLimit: [String] = []

    @Option(help: ArgumentHelp("Locked memory limit (default 64K).", valueName: "size"))
    var memlock: String?

    @Option(help: ArgumentHelp("Open file limit (default 1024 soft, 4096 hard).", valueName: "n"))
    var nofile: Int?

    @Option(help: ArgumentHelp("Write wall time, CPU, peak memory, OOM kills and pids at exit.", valueName: "file"))
    var statsJson: String?

    @Option(
        help: ArgumentHelp(
            "agent (default), strict-agent (alias mitos-agent) or production: what a degraded host refuses.",
            valueName: "mode"))
    var serviceMode: String?

    @Flag(help: "Same as --service-mode strict-agent.")
    var strictAgent = false

    @Flag(help: "Agent mode: run even where a mechanism is degraded (refused in the other modes).")
    var allowDegradedSecurity = false

    @Option(
        help: ArgumentHelp("trusted or untrusted (untrusted production workloads need gVisor).", valueName: "level"))
    var trustLevel: String?

    @Option(
        help: ArgumentHelp(
            "Refuse to start unless the kernel's lockdown is at least integrity or confidentiality.", valueName: "level"
        ))
    var requireKernelLockdown: String?

    @Option(
        help: ArgumentHelp("Seconds from a forwarded SIGTERM or SIGINT to SIGKILL (default 10).", valueName: "seconds"))
    var stopTimeout: Double?

    @Flag(help: "Check every file of --rootfs against its .nucleus-rootfs-sha256 (nucleus attest generate) first.")
    var verifyRootfsAttestation = false

    @Option(help: ArgumentHelp("Append lifecycle records (start, exit) as JSON lines to this file.", valueName: "path"))
    var eventsJsonl: String?

    @Option(help: ArgumentHelp("Write lifecycle records as JSON lines to descriptor N.", valueName: "n"))
    var eventsFd: Int32?

    @Option(
        help: ArgumentHelp(
            "Mount systemd credential NAME (from $CREDENTIALS_DIRECTORY) as a secret at DEST. Repeatable.",
            valueName: "name:dest"))
    var systemdCredential: [String] = []

    @Option(
        help: ArgumentHelp("A health check run inside the container as the workload (sh -c CMD).", valueName: "cmd"))
    var healthCmd: String?

    @Option(help: ArgumentHelp("Seconds between health checks (default 30).", valueName: "seconds"))
    var healthInterval: Double?

    @Option(help: ArgumentHelp("Failures in a row that make the container unhealthy (default 3).", valueName: "n"))
    var healthRetries: Int?

    @Option(help: ArgumentHelp("Seconds during which failures do not count (default 5).", valueName: "seconds"))
    var healthStartPeriod: Double?

    @Option(help: ArgumentHelp("Seconds before a health check is killed and fails (default 5).", valueName: "seconds"))
    var healthTimeout: Double?

    @Flag(help: "End the container when it becomes unhealthy.")
    var healthExitOnUnhealthy = false

    @Option(help: ArgumentHelp("Ready once this command succeeds inside the container (sh -c CMD).", valueName: "cmd"))
    var readinessExec: String?

    @Option(
        help: ArgumentHelp("Ready once the container's 127.0.0.1:PORT accepts a TCP connection.", valueName: "port"))
    var readinessTcp: UInt16?

    @Flag(help: "Ready when the workload sends READY=1 to the $NOTIFY_SOCKET nucleus gives it.")
    var readinessSdNotify = false

    @Flag(help: "Tell the caller's $NOTIFY_SOCKET READY=1 when readiness is reached (systemd Type=notify).")
    var sdNotify = false

    @Argument(parsing: .postTerminator, help: "The command to run, after --.")
    var command: [String] = []

    /// The parsed values as a plain struct, shared with the fast path.
    var flags: SandboxFlags {
        SandboxFlags(
            name: name, hostname: hostname, rootfs: rootfs, rootfsSize: rootfsSize, network: network,
            allowHostNetwork: allowHostNetwork, natBackend: natBackend, subnet: subnet, ipv6: ipv6, publish: publish,
            dns: dns,
            egressAllow: egressAllow, egressTcpPort: egressTcpPort, egressUdpPort: egressUdpPort,
            egressDomain: egressDomain, timeNamespace: timeNamespace, timeOffsetMonotonic: timeOffsetMonotonic,
            timeOffsetBoottime: timeOffsetBoottime, usernsBase: usernsBase, procReadWrite: procReadWrite,
            allowChrootFallback: allowChrootFallback, home: home, user: user, group: group,
            additionalGroup: additionalGroup, env: env, envFile: envFile,
            envFd: envFd,
            preserveFds: preserveFds, terminal: terminal, workdir: workdir, volume: volume, tmpfs: tmpfs,
            secret: secret, workspace: workspace,
            workspaceMode: workspaceMode, workspaceExec: workspaceExec, protect: protect, unprotectGit: unprotectGit,
            context: context, contextMode: contextMode, verifyContextIntegrity: verifyContextIntegrity,
            providerConfigRo: providerConfigRo, providerConfigRw: providerConfigRw,
            seccompProfile: seccompProfile, seccompProfileSha256: seccompProfileSha256, seccompMode: seccompMode,
            seccompLog: seccompLog, seccompLogDenied: seccompLogDenied, seccompAllow: seccompAllow, allowJit: allowJit,
            landlockPolicy: landlockPolicy, landlockPolicySha256: landlockPolicySha256, capsPolicy: capsPolicy,
            capsPolicySha256: capsPolicySha256, memory: memory, memorySwap: memorySwap, cpus: cpus,
            cpuWeight: cpuWeight, cpuset: cpuset, pids: pids, ioLimit: ioLimit, memlock: memlock, nofile: nofile,
            statsJson: statsJson, serviceMode: serviceMode, strictAgent: strictAgent,
            allowDegradedSecurity: allowDegradedSecurity, trustLevel: trustLevel,
            requireKernelLockdown: requireKernelLockdown, stopTimeout: stopTimeout,
            verifyRootfsAttestation: verifyRootfsAttestation, eventsJsonl: eventsJsonl, eventsFd: eventsFd,
            systemdCredential: systemdCredential, healthCmd: healthCmd, healthInterval: healthInterval,
            healthRetries: healthRetries, healthStartPeriod: healthStartPeriod, healthTimeout: healthTimeout,
            healthExitOnUnhealthy: healthExitOnUnhealthy, readinessExec: readinessExec, readinessTcp: readinessTcp,
            readinessSdNotify: readinessSdNotify, sdNotify: sdNotify, command: command)
    }
}
