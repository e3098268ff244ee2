import Glibc

/// A process, named so that a reused PID is never mistaken for it: its PID and the time it
/// started (field 22 of /proc/PID/stat, in clock ticks since boot).
///
/// State on disk records which process owns a container or sets up an endpoint; after a
/// crash, the next command asks `isAlive` to tell leftovers from live processes.
public struct ProcessIdentity: Codable, Hashable, Sendable {
    public let pid: pid_t
    public let startTime: UInt64

    public init(pid: pid_t, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// The identity of the running process `pid`, or nil if there is none. A zombie has
    /// ended (it only waits to be reaped): it has none.
    public static func of(_ pid: pid_t) -> ProcessIdentity? {
        guard let fd = try? FileDescriptor.open("/proc/\(pid)/stat"),
              let bytes = try? fd.closeAfter({ try fd.readAll() }) else { return nil }
        let stat = String(decoding: bytes, as: UTF8.self)
        guard let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces and parentheses) start at field 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let start = UInt64(fields[19]), fields[0] != "Z", fields[0] != "X" else { return nil }
        return ProcessIdentity(pid: pid, startTime: start)
    }

    /// This process.
    public static var current: ProcessIdentity { of(getpid())! }

    /// Whether this very process still runs.
    public var isAlive: Bool { ProcessIdentity.of(pid) == self }

    /// Waits up to `milliseconds` for this process to end; true once it has. It need not be
    /// our child: a pidfd becomes readable when its process exits, so nothing polls /proc.
    public func waitForExit(milliseconds: Int32) -> Bool {
        guard let handle = try? ProcessDescriptor.open(ProcessID(rawValue: pid)) else { return !isAlive }
        defer { try? handle.close() }
        // The PID might have been reused between the caller's look and our open.
        guard isAlive else { return true }
        var poller = pollfd(fd: handle.fileDescriptor.rawValue, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&poller, 1, milliseconds)
            if ready >= 0 || errno != EINTR { return ready > 0 || !isAlive }
        }
    }
}
