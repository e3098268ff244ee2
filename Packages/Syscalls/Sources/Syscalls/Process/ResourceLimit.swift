import Glibc

/// A per-process resource limit (`ulimit`): a soft value the process may raise up to the
/// hard one. Both are inherited across fork and exec.
public struct ResourceLimit: Hashable, Sendable {
    public var soft: UInt64
    public var hard: UInt64

    public init(soft: UInt64, hard: UInt64) {
        self.soft = soft
        self.hard = hard
    }

    /// `RLIM_INFINITY`.
    public static let unlimited = UInt64.max

    /// The resource numbers by their names in config.json (`RLIMIT_NOFILE`).
    public static let resources: [String: CInt] = [
        "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4,
        "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9,
        "RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13,
        "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
    ]

    /// The current limit on `resource`.
    ///
    /// The corresponding system call is `getrlimit(2)`.
    public static func get(_ resource: CInt) throws -> ResourceLimit {
        var value = rlimit()
        try nothingOrErrno { getrlimit(__rlimit_resource_t(UInt32(resource)), &value) }
        return ResourceLimit(soft: UInt64(value.rlim_cur), hard: UInt64(value.rlim_max))
    }

    /// Sets the limit on `resource` for this process. Raising a hard limit needs
    /// `CAP_SYS_RESOURCE`.
    ///
    /// The corresponding system call is `setrlimit(2)`.
    public static func set(_ resource: CInt, _ limit: ResourceLimit) throws {
        var value = rlimit(rlim_cur: rlim_t(limit.soft), rlim_max: rlim_t(limit.hard))
        try nothingOrErrno { setrlimit(__rlimit_resource_t(UInt32(resource)), &value) }
    }
}
