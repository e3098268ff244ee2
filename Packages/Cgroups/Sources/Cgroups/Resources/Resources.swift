/// Limits for a cgroup, shaped (and named, in JSON) like `linux.resources` in the OCI
/// runtime spec, so a container's config.json decodes straight into it.
///
///     var resources = Resources()
///     resources.memory = .init(limit: 32 << 20)          // docker run -m 32m
///     resources.cpu = .init(quota: 50_000, period: 100_000) // --cpus 0.5
///     resources.pids = .init(limit: 20)                  // --pids-limit 20
public struct Resources: Codable, Equatable, Sendable {
    public var memory: Memory?
    public var cpu: CPU?
    public var pids: Pids?
    public var blockIO: BlockIO?

    public init(memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil, blockIO: BlockIO? = nil) {
        self.memory = memory
        self.cpu = cpu
        self.pids = pids
        self.blockIO = blockIO
    }

    /// The same limits with every 0 read as "not set", as runc reads them: Docker sends
    /// `"shares": 0` or `"limit": 0` for a flag the user did not give.
    public var normalized: Resources {
        func set<T: BinaryInteger>(_ value: T?) -> T? { value == 0 ? nil : value }
        var copy = self
        if let memory {
            copy.memory = Memory(limit: set(memory.limit), reservation: set(memory.reservation), swap: set(memory.swap))
            if copy.memory == Memory() { copy.memory = nil }
        }
        if let cpu {
            copy.cpu = CPU(shares: set(cpu.shares), quota: set(cpu.quota), period: set(cpu.period),
                           cpus: cpu.cpus?.isEmpty == true ? nil : cpu.cpus, mems: cpu.mems?.isEmpty == true ? nil : cpu.mems)
            if copy.cpu == CPU() { copy.cpu = nil }
        }
        if let weight = blockIO?.weight, weight == 0 { copy.blockIO = nil }
        return copy
    }

    public struct Memory: Codable, Equatable, Sendable {
        /// Hard limit in bytes; above it the kernel reclaims, then kills (OOM).
        public var limit: Int64?
        /// Soft limit in bytes, kept under memory pressure (`--memory-reservation`).
        public var reservation: Int64?
        /// Memory plus swap, in bytes (`--memory-swap`). Nil means equal to `limit`:
        /// no swap, which is Dosirak's default. -1 means unlimited swap.
        public var swap: Int64?

        public init(limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil) {
            self.limit = limit
            self.reservation = reservation
            self.swap = swap
        }
    }

    public struct CPU: Codable, Equatable, Sendable {
        /// Relative weight against other cgroups (v1 `cpu.shares`, 2–262144; 1024 is normal).
        public var shares: UInt64?
        /// Microseconds of CPU time per `period` (`--cpus 0.5` is 50000 per 100000). -1: no limit.
        public var quota: Int64?
        public var period: UInt64?
        /// The CPUs and memory nodes allowed, in the kernel's list format: `0-2,4`.
        public var cpus: String?
        public var mems: String?

        public init(shares: UInt64? = nil, quota: Int64? = nil, period: UInt64? = nil,
                    cpus: String? = nil, mems: String? = nil) {
            self.shares = shares
            self.quota = quota
            self.period = period
            self.cpus = cpus
            self.mems = mems
        }
    }

    public struct Pids: Codable, Equatable, Sendable {
        /// The most processes (threads included) the cgroup may hold; 0 or -1: no limit.
        public var limit: Int64
        public init(limit: Int64) { self.limit = limit }
    }

    public struct BlockIO: Codable, Equatable, Sendable {
        /// Relative weight for block I/O, 10–1000.
        public var weight: UInt16?
        public init(weight: UInt16? = nil) { self.weight = weight }
    }
}
