import Syscalls

extension Resources {
    /// The smallest memory limit Docker accepts; below it a container cannot even start.
    public static let minimumMemory: Int64 = 6 << 20

    /// Refuses limits the kernel would reject or that cannot work, naming the value.
    /// `onlineCPUs` is the machine's CPU list (/sys/devices/system/cpu/online).
    public func validate(onlineCPUs: String? = nil) throws {
        let resources = normalized
        let memory = resources.memory, cpu = resources.cpu, pids = resources.pids, blockIO = resources.blockIO
        if let memory {
            if let limit = memory.limit {
                guard limit > 0 else { throw CgroupError.invalid("memory limit \(limit) is not positive") }
                guard limit >= Resources.minimumMemory else {
                    throw CgroupError.invalid("memory limit \(limit) is below the minimum of 6 MiB (6291456 bytes)")
                }
            }
            if let reservation = memory.reservation, reservation < 0 {
                throw CgroupError.invalid("memory reservation \(reservation) is negative")
            }
            if let swap = memory.swap, swap != -1 {
                guard let limit = memory.limit else {
                    throw CgroupError.invalid("memory+swap limit \(swap) needs a memory limit as well")
                }
                guard swap >= limit else {
                    throw CgroupError.invalid("memory+swap limit \(swap) is smaller than the memory limit \(limit)")
                }
            }
        }
        if let cpu {
            if let quota = cpu.quota, quota != -1, quota < 1000 {
                throw CgroupError.invalid("cpu quota \(quota) is below 1000 microseconds")
            }
            if let period = cpu.period, !(1000...1_000_000).contains(period) {
                throw CgroupError.invalid("cpu period \(period) is outside 1000-1000000 microseconds")
            }
            if let shares = cpu.shares, !(2...262_144).contains(shares) {
                throw CgroupError.invalid("cpu shares \(shares) is outside 2-262144")
            }
            for (kind, list) in [("cpuset cpus", cpu.cpus), ("cpuset mems", cpu.mems)] {
                guard let list else { continue }
                guard let wanted = Resources.parseList(list) else {
                    throw CgroupError.invalid("\(kind) \"\(list)\" is not a list like 0-2,4")
                }
                if kind == "cpuset cpus", let online = onlineCPUs.flatMap(Resources.parseList),
                   let outside = wanted.subtracting(online).min() {
                    throw CgroupError.invalid("cpuset cpus \"\(list)\": cpu \(outside) is not available (online: \(onlineCPUs!))")
                }
            }
        }
        if let pids, pids.limit < -1 {
            throw CgroupError.invalid("pids limit \(pids.limit) is negative")
        }
        if let weight = blockIO?.weight, !(10...1000).contains(weight) {
            throw CgroupError.invalid("block io weight \(weight) is outside 10-1000")
        }
    }

    /// Parses the kernel's list format (`0-2,4,7-8`) into numbers; nil if malformed.
    public static func parseList(_ text: String) -> Set<Int>? {
        var result: Set<Int> = []
        for part in text.trimmingWhitespace().split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let low = Int(bounds[0]), low >= 0 else { return nil }
            let high = bounds.count == 2 ? Int(bounds[1]) : low
            guard let high, high >= low else { return nil }
            result.formUnion(low...high)
        }
        return result
    }

    /// The CPUs the machine has online, in list format.
    public static func onlineCPUs() -> String? {
        try? ControlFile.read("/sys/devices/system/cpu/online")
    }
}
