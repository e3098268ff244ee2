/// What the kernel has counted for a cgroup. Figures a kernel does not offer are nil.
public struct CgroupStats: Equatable, Sendable {
    /// Memory in use now, and the most ever used, in bytes.
    public var memoryUsage: UInt64 = 0
    public var memoryPeak: UInt64?
    /// How many times the OOM killer killed a process in this cgroup.
    public var oomKills: UInt64?
    /// CPU time used, in microseconds.
    public var cpuUsage: UInt64 = 0
    /// How many periods the quota ran out, and for how long in total (µs) the cgroup waited.
    public var throttledPeriods: UInt64 = 0
    public var throttledTime: UInt64 = 0
    /// Processes (tasks) in the cgroup now.
    public var pids: UInt64 = 0
    /// How many times a fork or clone failed because the pids limit was reached.
    public var pidsRefused: UInt64?

    public init() {}
}
