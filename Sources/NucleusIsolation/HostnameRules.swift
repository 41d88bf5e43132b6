import NucleusModel

/// Names and hostnames are checked before anything starts, so a bad one is a
/// clear refusal instead of a `sethostname` failure halfway through setup.
public enum HostnameRules {
    /// Linux's HOST_NAME_MAX.
    public static let maximumHostnameLength = 64
    public static let maximumNameLength = 64

    /// RFC 1123: dot-separated labels of letters, digits and inner hyphens, each
    /// 1-63 characters, 64 in all (the kernel's limit).
    public static func validateHostname(_ hostname: String) throws(NucleusError) {
        guard !hostname.isEmpty, hostname.utf8.count <= maximumHostnameLength else {
            throw .invalid("hostname \"\(hostname)\" must be 1-\(maximumHostnameLength) characters")
        }
        var label: [UInt8] = []
        for byte in Array(hostname.utf8) + [UInt8(ascii: ".")] {
            guard byte == UInt8(ascii: ".") else {
                label.append(byte)
                continue
            }
            let valid =
                (1...63).contains(label.count) && label.allSatisfy(isHostnameByte)
                && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
            label.removeAll(keepingCapacity: true)
            guard valid else {
                throw .invalid(
                    "hostname \"\(hostname)\" is not a valid RFC 1123 name (labels of letters, digits and inner hyphens)"
                )
            }
        }
    }

    /// Container names: `[A-Za-z0-9._-]`, starting with a letter or digit.
    public static func validateName(_ name: String) throws(NucleusError) {
        guard !name.isEmpty, name.utf8.count <= maximumNameLength else {
            throw .invalid("name \"\(name)\" must be 1-\(maximumNameLength) characters")
        }
        guard let first = name.utf8.first, isAlphanumeric(first),
            name.utf8.allSatisfy({
                isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
            })
        else {
            throw .invalid(
                "name \"\(name)\" may only contain letters, digits, '.', '_' and '-', starting with a letter or digit")
        }
    }

    /// `--hostname`, else `--name` (which must then be a valid hostname), else `nucleus`.
    public static func hostname(explicit: String?, name: String?) throws(NucleusError) -> String {
        if let name { try validateName(name) }
        if let explicit {
            try validateHostname(explicit)
            return explicit
        }
        guard let name else { return "nucleus" }
        do {
            try validateHostname(name)
        } catch {
            throw .invalid("name \"\(name)\" is not a valid hostname; pass --hostname as well")
        }
        return name
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isHostnameByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "-")
    }
}
