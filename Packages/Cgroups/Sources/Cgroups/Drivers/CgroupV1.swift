import Glibc
import Syscalls

/// A cgroup in the v1 hierarchies: one directory per mounted controller tree, all with the
/// same name (`/sys/fs/cgroup/memory/dosirak/ID`, `/sys/fs/cgroup/pids/dosirak/ID`, ...).
/// On a hybrid host the v2 tree, which holds no limiting controller, gets a directory too,
/// so the process is placed consistently everywhere.
public struct CgroupV1: Cgroup {
    /// Mount point of each v1 controller (`memory` -> /sys/fs/cgroup/memory).
    public let hierarchies: [String: String]
    /// The v2 mount of a hybrid host, if any.
    public let unified: String?
    public let name: String

    public init(hierarchies: [String: String], unified: String?, name: String) {
        self.hierarchies = hierarchies
        self.unified = unified
        self.name = name
    }

    /// The cgroup's directory in the tree that holds `controller`.
    public func path(_ controller: String) -> String? {
        hierarchies[controller].map { $0 + "/" + name }
    }

    /// Every directory of this cgroup: one per mounted tree (co-mounted controllers such as
    /// cpu,cpuacct share one), plus the v2 one.
    public var directories: [String] {
        (Set(hierarchies.values).map { $0 + "/" + name } + (unified.map { [$0 + "/" + name] } ?? [])).sorted()
    }

    public var exists: Bool { directories.contains { ControlFile.exists($0 + "/cgroup.procs") } }

    public func create() throws {
        for mount in Set(hierarchies.values) + (unified.map { [$0] } ?? []) {
            var parent = mount
            for component in name.split(separator: "/") {
                let directory = parent + "/" + component
                try ControlFile.makeDirectory(directory)
                // A new cpuset starts with no CPUs and no memory nodes, and refuses tasks until
                // it has both: copy the parent's.
                if mount == hierarchies["cpuset"] {
                    for file in ["cpuset.cpus", "cpuset.mems"]
                    where try ControlFile.read(directory + "/" + file).trimmingWhitespace().isEmpty {
                        try ControlFile.write(try ControlFile.read(parent + "/" + file), to: directory + "/" + file)
                    }
                }
                parent = directory
            }
        }
    }

    public var birthDirectory: String? { unified.map { $0 + "/" + name } }
    public var tasksFiles: [String] { Set(hierarchies.values).map { $0 + "/" + name + "/tasks" }.sorted() }

    public func add(_ pid: ProcessID) throws {
        for directory in directories {
            try ControlFile.write("\(pid)", to: directory + "/cgroup.procs")
        }
    }

    public func apply(_ resources: Resources) throws {
        let resources = resources.normalized
        if let memory = resources.memory {
            if let limit = memory.limit {
                // The kernel insists on limit <= memsw at every moment: open memsw up, set the
                // limit, then close memsw down to its value (equal to the limit: no swap).
                let memsw = file("memory", "memory.memsw.limit_in_bytes")
                let swap = memory.swap ?? limit
                if let memsw, ControlFile.exists(memsw) {
                    try ControlFile.write("-1", to: memsw)
                    try write("memory", "memory.limit_in_bytes", String(limit))
                    try ControlFile.write(String(swap), to: memsw)
                } else {
                    if memory.swap != nil { throw CgroupError.unsupported("swap limit (memory.memsw.limit_in_bytes)") }
                    try write("memory", "memory.limit_in_bytes", String(limit))
                }
            }
            if let reservation = memory.reservation {
                try write("memory", "memory.soft_limit_in_bytes", String(reservation))
            }
        }
        if let cpu = resources.cpu {
            if let period = cpu.period { try write("cpu", "cpu.cfs_period_us", String(period)) }
            if let quota = cpu.quota { try write("cpu", "cpu.cfs_quota_us", String(quota < 0 ? -1 : quota)) }
            if let shares = cpu.shares { try write("cpu", "cpu.shares", String(shares)) }
            if let cpus = cpu.cpus { try write("cpuset", "cpuset.cpus", cpus) }
            if let mems = cpu.mems { try write("cpuset", "cpuset.mems", mems) }
        }
        if let pids = resources.pids {
            try write("pids", "pids.max", pids.limit > 0 ? String(pids.limit) : "max")
        }
        if let weight = resources.blockIO?.weight {
            if let file = file("blkio", "blkio.weight"), ControlFile.exists(file) {
                try ControlFile.write(String(weight), to: file)
            } else if let file = file("blkio", "blkio.bfq.weight"), ControlFile.exists(file) {
                try ControlFile.write(String(weight), to: file)
            } else {
                throw CgroupError.unsupported("block io weight (blkio.weight)")
            }
        }
    }

    public func stats() throws -> CgroupStats {
        var stats = CgroupStats()
        if let file = file("memory", "memory.usage_in_bytes") { stats.memoryUsage = try ControlFile.readNumber(file) ?? 0 }
        if let file = file("memory", "memory.max_usage_in_bytes") { stats.memoryPeak = try ControlFile.readNumber(file) }
        if let file = file("memory", "memory.oom_control") { stats.oomKills = try ControlFile.readKeyedNumbers(file)["oom_kill"] }
        if let file = file("cpuacct", "cpuacct.usage") { stats.cpuUsage = (try ControlFile.readNumber(file) ?? 0) / 1000 }
        if let file = file("cpu", "cpu.stat") {
            let cpu = try ControlFile.readKeyedNumbers(file)
            stats.throttledPeriods = cpu["nr_throttled"] ?? 0
            stats.throttledTime = (cpu["throttled_time"] ?? 0) / 1000
        }
        if let file = file("pids", "pids.current") { stats.pids = try ControlFile.readNumber(file) ?? 0 }
        if let file = file("pids", "pids.events"), ControlFile.exists(file) {
            stats.pidsRefused = try ControlFile.readKeyedNumbers(file)["max"]
        }
        return stats
    }

    public func freeze() throws {
        try setFreezer("FROZEN")
    }

    public func thaw() throws {
        try setFreezer("THAWED")
    }

    /// freezer.state reads FREEZING until every task has stopped; wait for the final state.
    func setFreezer(_ state: String) throws {
        guard let file = file("freezer", "freezer.state") else { throw CgroupError.unsupported("freezer") }
        for _ in 0..<400 {
            try ControlFile.write(state, to: file)
            if try ControlFile.read(file).trimmingWhitespace() == state { return }
            usleep(5_000)
        }
        throw CgroupError.busy(file)
    }

    public func processes() throws -> [ProcessID] {
        guard let first = directories.first(where: { ControlFile.exists($0 + "/cgroup.procs") }) else { return [] }
        return try ControlFile.readProcesses(first + "/cgroup.procs")
    }

    /// Freezes the cgroup so nothing can fork while we kill, kills every process, thaws so
    /// the kills are delivered, waits until the tasks are gone, and removes every directory.
    public func remove() throws {
        guard exists else { return }
        // Usually nothing is left (a container's processes end with its init): then there is
        // nothing to freeze, kill and wait for.
        if try !processes().isEmpty {
            let frozen = (try? freeze()) != nil
            for pid in try processes() { try? pid.send(.kill) }
            if frozen { try thaw() }
            for _ in 0..<400 {
                if try processes().isEmpty { break }
                usleep(5_000)
            }
        }
        guard try processes().isEmpty else { throw CgroupError.busy(directories.first ?? name) }
        for directory in directories { try ControlFile.removeDirectory(directory) }
    }

    /// v1 has no CLONE_INTO_CGROUP: the child waits after the fork until it has been added.
    public func spawn(_ spawn: Spawn) throws -> SpawnedProcess {
        try spawnHeld(spawn)
    }

    func file(_ controller: String, _ name: String) -> String? {
        path(controller).map { $0 + "/" + name }
    }

    func write(_ controller: String, _ name: String, _ value: String) throws {
        guard let file = file(controller, name) else { throw CgroupError.unsupported("the \(controller) controller") }
        try ControlFile.write(value, to: file)
    }
}
