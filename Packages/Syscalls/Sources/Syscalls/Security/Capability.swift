import CSyscalls

/// One Linux capability: a slice of root's power, such as `CAP_NET_ADMIN`.
public struct Capability: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: CInt
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// Capability names by number, as capabilities(7) lists them.
    public static let names: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
        "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
        "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// Parses `CAP_NET_ADMIN`, `NET_ADMIN` or `net_admin`.
    public init?(name: String) {
        var upper = name.uppercased()
        if !upper.hasPrefix("CAP_") { upper = "CAP_" + upper }
        guard let index = Capability.names.firstIndex(of: upper) else { return nil }
        self.init(rawValue: CInt(index))
    }

    public var name: String {
        Int(rawValue) < Capability.names.count ? Capability.names[Int(rawValue)] : "CAP_\(rawValue)"
    }

    public var description: String { name }

    /// Every capability this kernel knows (read from /proc/sys/kernel/cap_last_cap when
    /// possible, since a newer kernel may know more than our headers).
    public static func all() -> [Capability] {
        var last = dsk_cap_last_cap()
        if let fd = try? FileDescriptor.open("/proc/sys/kernel/cap_last_cap"),
           let bytes = try? fd.closeAfter({ try fd.readAll() }),
           let value = CInt(String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }) {
            last = value
        }
        return (0...last).map { Capability(rawValue: $0) }
    }
}

/// A set of capabilities, stored as the kernel stores it: one bit per capability.
public struct CapabilitySet: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(_ capabilities: some Sequence<Capability>) {
        self.init(rawValue: capabilities.reduce(0) { $0 | (1 << UInt64($1.rawValue)) })
    }

    public func contains(_ capability: Capability) -> Bool {
        rawValue & (1 << UInt64(capability.rawValue)) != 0
    }

    /// The members, lowest number first.
    public var members: [Capability] {
        (0..<64).filter { rawValue & (1 << UInt64($0)) != 0 }.map { Capability(rawValue: CInt($0)) }
    }

    public var description: String { members.map(\.name).joined(separator: ",") }
}
