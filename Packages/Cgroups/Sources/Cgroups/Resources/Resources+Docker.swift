import FoundationEssentials
import Syscalls

extension Resources {
    /// Parses a size as Docker's `-m` takes it: `512m`, `1g`, `64k`, `1048576` (bytes).
    public static func parseSize(_ text: String) throws -> Int64 {
        let lower = text.lowercased().trimmingWhitespace()
        let units: [(String, Int64)] = [("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30), ("tb", 1 << 40),
                                        ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("t", 1 << 40), ("b", 1)]
        var number = Substring(lower)
        var multiplier: Int64 = 1
        if let unit = units.first(where: { lower.hasSuffix($0.0) }) {
            number = lower.dropLast(unit.0.count)
            multiplier = unit.1
        }
        guard let value = Double(number), value >= 0, value.isFinite,
              value * Double(multiplier) < Double(Int64.max) else {
            throw CgroupError.invalid("invalid size: \"\(text)\"")
        }
        return Int64(value * Double(multiplier))
    }

    /// Turns Docker's `--cpus 1.5` into a CFS quota and period (150000 per 100000 µs).
    public static func cpuQuota(cpus text: String, available: Int = ProcessInfo.processInfo.activeProcessorCount)
        throws -> CPU {
        guard let cpus = Double(text), cpus.isFinite else { throw CgroupError.invalid("invalid --cpus value: \"\(text)\"") }
        guard cpus >= 0.01 && cpus <= Double(available) else {
            throw CgroupError.invalid(String(printf: "range of CPUs is from 0.01 to %.2f, as there are only %d CPUs available",
                                             Double(available), available))
        }
        let period: UInt64 = 100_000
        return CPU(quota: Int64((cpus * Double(period)).rounded()), period: period)
    }
}
