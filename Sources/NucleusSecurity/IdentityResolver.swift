import NucleusModel

/// The workload's identity from `--user`, `--group` and `--additional-group`:
/// numbers as they are, names looked up in the passwd and group files of the
/// root filesystem the container will see.
public enum IdentityResolver {
    public struct Identity: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var userName: String?
        public var groupName: String?
        public var supplementary: [(gid: UInt32, name: String?)]

        public static func == (left: Identity, right: Identity) -> Bool {
            left.uid == right.uid && left.gid == right.gid && left.userName == right.userName
                && left.groupName == right.groupName && left.supplementary.map(\.gid) == right.supplementary.map(\.gid)
                && left.supplementary.map(\.name) == right.supplementary.map(\.name)
        }
    }

    /// `/etc/passwd` and `/etc/group` contents, parsed.
    public struct Accounts: Sendable {
        var users: [(name: String, uid: UInt32, gid: UInt32)] = []
        var groups: [(name: String, gid: UInt32)] = []

        public init(passwd: String, group: String) {
            for line in passwd.split(separator: "\n") {
                let fields = line.split(separator: ":", omittingEmptySubsequences: false)
                guard fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { continue }
                users.append((String(fields[0]), uid, gid))
            }
            for line in group.split(separator: "\n") {
                let fields = line.split(separator: ":", omittingEmptySubsequences: false)
                guard fields.count >= 3, let gid = UInt32(fields[2]) else { continue }
                groups.append((String(fields[0]), gid))
            }
        }
    }

    /// Whether resolving needs the account files (any name rather than a number).
    public static func needsAccounts(user: String?, group: String?, additional: [String]) -> Bool {
        ([user, group].compactMap { $0 } + additional).contains { UInt32($0) == nil }
    }

    /// - Parameter origin: where the account files came from, for error messages.
    public static func resolve(
        user: String?, group: String?, additional: [String], accounts: Accounts, origin: String
    ) throws(NucleusError) -> Identity {
        var uid: UInt32 = 0
        var userName: String?
        var primaryGID: UInt32?
        if let user {
            if let number = UInt32(user) {
                uid = number
                primaryGID = number
            } else {
                guard let entry = accounts.users.first(where: { $0.name == user }) else {
                    throw .invalid("--user \(user): no such user in \(origin)/passwd")
                }
                (uid, primaryGID, userName) = (entry.uid, entry.gid, entry.name)
            }
        }
        var gid = primaryGID ?? 0
        var groupName: String?
        if let group {
            (gid, groupName) = try lookUpGroup(group, flag: "--group", accounts: accounts, origin: origin)
        } else {
            groupName = accounts.groups.first { $0.gid == gid }?.name
        }
        var supplementary: [(gid: UInt32, name: String?)] = []
        for name in additional {
            let resolved = try lookUpGroup(name, flag: "--additional-group", accounts: accounts, origin: origin)
            if !supplementary.contains(where: { $0.gid == resolved.gid }) { supplementary.append(resolved) }
        }
        return Identity(uid: uid, gid: gid, userName: userName, groupName: groupName, supplementary: supplementary)
    }

    static func lookUpGroup(_ text: String, flag: String, accounts: Accounts, origin: String) throws(NucleusError)
        -> (gid: UInt32, name: String?)
    {
        if let number = UInt32(text) { return (number, accounts.groups.first { $0.gid == number }?.name) }
        guard let entry = accounts.groups.first(where: { $0.name == text }) else {
            throw .invalid("\(flag) \(text): no such group in \(origin)/group")
        }
        return (entry.gid, entry.name)
    }
}
