import Glibc
import Syscalls

/// A cgroup in the unified (v2) hierarchy: one directory holds every controller's files.
public struct CgroupV2: Cgroup {
    /// Where cgroup2 is mounted (/sys/fs/cgroup on a pure v2 machine).
    public let root: String
    public let name: String

    public init(root: String, name: String) {
        self.root = root
        self.name = name
    }

    /// The cgroup's directory.
    public var path: String { root + "/" + name }

    public var exists: Bool { ControlFile.exists(path + "/cgroup.procs") }

    /// Controllers a container's limits use, enabled on the way down when the parent offers them.
    static let wanted = ["cpu", "cpuset", "memory", "pids", "io"]

    /// Creates each level of `name`. In v2 a controller's files appear in a directory only if
    /// its parent lists the controller in cgroup.subtree_control, so before each `mkdir` the
    /// parent gets `+memory`, `+cpu`, ... for every controller it has.
    public func create() throws {
        var parent = root
        for component in name.split(separator: "/") {
            let available = Set(try ControlFile.read(parent + "/cgroup.controllers").split(separator: " ").map(String.init))
            let enabled = Set(try ControlFile.read(parent + "/cgroup.subtree_control").split(separator: " ").map(String.init))
            for controller in CgroupV2.wanted where available.contains(controller) && !enabled.contains(controller) {
                try ControlFile.write("+" + controller, to: parent + "/cgroup.subtree_control")
            }
            parent += "/" + component
            try ControlFile.makeDirectory(parent)
        }
    }

    public var birthDirectory: String? { path }
    public var tasksFiles: [String] { [] }

    public func add(_ pid: ProcessID) throws {
        try ControlFile.write("\(pid)", to: path + "/cgroup.procs")
    }

    public func apply(_ resources: Resources) throws {
        let resources = resources.normalized
        if let memory = resources.memory {
            if let limit = memory.limit {
                try write(String(limit), "memory.max")
                // memory.swap.max counts swap alone, where Docker's --memory-swap counts both.
                let swap = memory.swap.map { $0 == -1 ? "max" : String($0 - limit) } ?? "0"
                if ControlFile.exists(path + "/memory.swap.max") {
                    try write(swap, "memory.swap.max")
                } else if memory.swap != nil {
                    throw CgroupError.unsupported("swap limit (memory.swap.max)")
                }
            }
            if let reservation = memory.reservation { try write(String(reservation), "memory.low") }
        }
        if let cpu = resources.cpu {
            if cpu.quota != nil || cpu.period != nil {
                let period = cpu.period ?? 100_000
                let quota = cpu.quota.map { $0 < 0 ? "max" : String($0) } ?? "max"
                try write("\(quota) \(period)", "cpu.max")
            }
            if let shares = cpu.shares { try write(String(CgroupV2.weight(shares: shares)), "cpu.weight") }
            if let cpus = cpu.cpus { try write(cpus, "cpuset.cpus") }
            if let mems = cpu.mems { try write(mems, "cpuset.mems") }
        }
        if let pids = resources.pids {
            try write(pids.limit > 0 ? String(pids.limit) : "max", "pids.max")
        }
        if let weight = resources.blockIO?.weight {
            if ControlFile.exists(path + "/io.weight") {
                try write("default \(1 + (UInt64(weight) - 10) * 9999 / 990)", "io.weight")
            } else if ControlFile.exists(path + "/io.bfq.weight") {
                try write(String(weight), "io.bfq.weight")
            } else {
                throw CgroupError.unsupported("block io weight (io.weight)")
            }
        }
    }

    /// v1's cpu.shares (2–262144, 1024 normal) on v2's cpu.weight scale (1–10000, 100 normal),
    /// by the formula runc and crun use.
    static func weight(shares: UInt64) -> UInt64 {
        1 + ((shares - 2) * 9999) / 262_142
    }

    public func stats() throws -> CgroupStats {
        var stats = CgroupStats()
        stats.memoryUsage = try ControlFile.readNumber(path + "/memory.current") ?? 0
        if ControlFile.exists(path + "/memory.peak") { stats.memoryPeak = try ControlFile.readNumber(path + "/memory.peak") }
        stats.oomKills = try ControlFile.readKeyedNumbers(path + "/memory.events")["oom_kill"]
        let cpu = try ControlFile.readKeyedNumbers(path + "/cpu.stat")
        stats.cpuUsage = cpu["usage_usec"] ?? 0
        stats.throttledPeriods = cpu["nr_throttled"] ?? 0
        stats.throttledTime = cpu["throttled_usec"] ?? 0
        stats.pids = try ControlFile.readNumber(path + "/pids.current") ?? 0
        if ControlFile.exists(path + "/pids.events") { stats.pidsRefused = try ControlFile.readKeyedNumbers(path + "/pids.events")["max"] }
        return stats
    }

    public func freeze() throws {
        try ControlFile.write("1", to: path + "/cgroup.freeze")
        try waitForEvent("frozen", 1)
    }

    public func thaw() throws {
        try ControlFile.write("0", to: path + "/cgroup.freeze")
        try waitForEvent("frozen", 0)
    }

    public func processes() throws -> [ProcessID] {
        try ControlFile.readProcesses(path + "/cgroup.procs")
    }

    /// Kills everything in the cgroup (cgroup.kill where the kernel has it, 5.14+), waits
    /// until it is empty, and removes the directory.
    public func remove() throws {
        guard exists else { return }
        if ControlFile.exists(path + "/cgroup.kill") {
            try ControlFile.write("1", to: path + "/cgroup.kill")
        } else {
            for pid in try processes() { try? pid.send(.kill) }
        }
        try waitForEvent("populated", 0)
        try ControlFile.removeDirectory(path)
    }

    /// clone3 with CLONE_INTO_CGROUP: the child starts life in the cgroup (held and added,
    /// as on v1, by a kernel older than 5.7: `Spawn.start(inCgroup:)`).
    public func spawn(_ spawn: Spawn) throws -> SpawnedProcess {
        do {
            return try spawn.start(inCgroup: path)
        } catch let errno as Errno {
            throw CgroupError.file("spawn into", path, errno)
        }
    }

    func write(_ value: String, _ file: String) throws {
        try ControlFile.write(value, to: path + "/" + file)
    }

    /// Waits (up to two seconds) for a `key value` line in cgroup.events; the kernel updates
    /// it once every task has actually stopped, exited or resumed.
    func waitForEvent(_ key: String, _ value: UInt64) throws {
        for _ in 0..<400 {
            if try ControlFile.readKeyedNumbers(path + "/cgroup.events")[key] == value { return }
            usleep(5_000)
        }
        throw CgroupError.busy(path)
    }
}
