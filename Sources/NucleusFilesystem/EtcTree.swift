import NucleusModel

/// `/etc` inside the container: a few generated files naming the workload
/// identity and hostname, plus read-only binds of what ordinary tools need
/// from the source root's `/etc`. Nothing else of the host's `/etc` (shadow,
/// ssh keys, ...) is ever visible.
public enum EtcTree {
    /// Host entries tools need: alternatives symlinks, TLS roots, the loader cache.
    public static let hostEntries = ["alternatives", "ssl", "ca-certificates", "ld.so.cache"]

    public struct Identity: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var home: String
        public var userName: String?
        public var groupName: String?
        public var supplementary: [(gid: UInt32, name: String?)]

        public init(
            uid: UInt32, gid: UInt32, home: String, userName: String? = nil, groupName: String? = nil,
            supplementary: [(gid: UInt32, name: String?)] = []
        ) {
            self.uid = uid
            self.gid = gid
            self.home = home
            self.userName = userName
            self.groupName = groupName
            self.supplementary = supplementary
        }

        public static func == (left: Identity, right: Identity) -> Bool {
            left.uid == right.uid && left.gid == right.gid && left.home == right.home && left.userName == right.userName
                && left.groupName == right.groupName && left.supplementary.map(\.gid) == right.supplementary.map(\.gid)
        }
    }

    public static func steps(
        sourceRoot: String, hostname: String, identity: Identity, resolvConf: String? = nil, host: any HostProbe
    ) -> [SetupStep] {
        var steps: [SetupStep] = [
            .directory("/etc"),
            .file("/etc/passwd", contents: passwd(identity)),
            .file("/etc/group", contents: group(identity)),
            .file("/etc/hostname", contents: hostname + "\n"),
            .file("/etc/hosts", contents: hosts(hostname)),
            .file("/etc/nsswitch.conf", contents: nsswitch),
        ]
        if let resolvConf { steps.append(.file("/etc/resolv.conf", contents: resolvConf)) }
        for name in hostEntries {
            let source = SystemDirectories.join(sourceRoot, "etc/" + name)
            guard let resolved = host.resolve(source) else { continue }
            let target = "/etc/" + name
            switch host.entry(at: resolved) {
            case .directory: steps.append(.directory(target))
            case .file: steps.append(.file(target, contents: ""))
            case .missing, .symlink, .other: continue
            }
            steps.append(.bind(host: resolved, at: target, options: [.readOnly, .noSuid, .noDev, .noExec]))
        }
        return steps
    }

    // Built by concatenation: `joined(separator:)` costs a generic-witness
    // lookup on first use, measurable on the start path.
    static func passwd(_ id: Identity) -> String {
        let root = "root:x:0:0:root:/root:/usr/sbin/nologin\n"
        let nobody = "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
        switch id.uid {
        case 0:
            return "root:x:0:0:root:\(id.home):/bin/sh\n" + nobody
        case 65_534:
            return root + "nobody:x:65534:\(id.gid):nobody:\(id.home):/bin/sh\n"
        default:
            let name = id.userName ?? "agent"
            return root + "\(name):x:\(id.uid):\(id.gid):\(name):\(id.home):/bin/sh\n" + nobody
        }
    }

    static func group(_ id: Identity) -> String {
        var text = "root:x:0:\n"
        var listed: [UInt32] = [0, 65_534]
        if !listed.contains(id.gid) {
            text += "\(id.groupName ?? "agent"):x:\(id.gid):\n"
            listed.append(id.gid)
        }
        let member = id.uid == 0 ? "root" : (id.userName ?? "agent")
        for group in id.supplementary where !listed.contains(group.gid) {
            text += "\(group.name ?? "group\(group.gid)"):x:\(group.gid):\(member)\n"
            listed.append(group.gid)
        }
        return text + "nogroup:x:65534:\n"
    }

    static func hosts(_ hostname: String) -> String {
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t\(hostname)\n"
    }

    static let nsswitch = """
        passwd: files
        group: files
        shadow: files
        hosts: files dns
        networks: files
        protocols: files
        services: files

        """
}
