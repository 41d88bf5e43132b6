/// Per-mount restrictions. The raw values are both the `MS_*` mount flags and
/// the `MOUNT_ATTR_*` attributes: the kernel gives the four the same bits.
public struct MountOptions: OptionSet, Sendable, Equatable, Hashable, Codable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let readOnly = MountOptions(rawValue: 0x1)
    public static let noSuid = MountOptions(rawValue: 0x2)
    public static let noDev = MountOptions(rawValue: 0x4)
    public static let noExec = MountOptions(rawValue: 0x8)

    /// nosuid,nodev,noexec: what every writable scratch mount gets.
    public static let hardened: MountOptions = [.noSuid, .noDev, .noExec]

    /// The names as `mount(8)` prints them, in a fixed order.
    public var names: [String] {
        var result: [String] = []
        if contains(.readOnly) { result.append("ro") }
        if contains(.noSuid) { result.append("nosuid") }
        if contains(.noDev) { result.append("nodev") }
        if contains(.noExec) { result.append("noexec") }
        return result
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(names)
    }

    public init(from decoder: any Decoder) throws {
        let names = try decoder.singleValueContainer().decode([String].self)
        var options: MountOptions = []
        for name in names {
            switch name {
            case "ro": options.insert(.readOnly)
            case "nosuid": options.insert(.noSuid)
            case "nodev": options.insert(.noDev)
            case "noexec": options.insert(.noExec)
            default:
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "unknown mount option \(name)"))
            }
        }
        self = options
    }
}
