import Glibc
import Syscalls

/// A process named by its PID *and* the time it started, so that a PID the kernel has
/// since given to another process is never mistaken for the container's.
public struct ProcessIdentity: Codable, Hashable, Sendable {
    public var pid: Int32
    /// Field 22 of /proc/PID/stat: clock ticks since boot when the process started.
    public var startTime: UInt64

    public init(pid: Int32, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The identity of the running process `pid`, or nil if there is none.
    public static func of(_ pid: Int32) -> ProcessIdentity? {
        guard let stat = readStat(pid) else { return nil }
        return ProcessIdentity(pid: pid, startTime: stat.startTime)
    }

    /// Whether this very process still runs (a zombie has finished: it counts as gone).
    public var isRunning: Bool {
        guard let stat = ProcessIdentity.readStat(pid) else { return false }
        return stat.startTime == startTime && stat.state != "Z" && stat.state != "X"
    }

    /// /proc/PID/stat, after the command name (which may itself hold spaces and parentheses).
    static func readStat(_ pid: Int32) -> (state: Character, startTime: UInt64)? {
        guard let fd = try? FileDescriptor.open("/proc/\(pid)/stat"),
              let bytes = try? fd.closeAfter({ try fd.readAll() }) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3); the start time is field 22, fields[19] here.
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return (state, start)
    }
}
