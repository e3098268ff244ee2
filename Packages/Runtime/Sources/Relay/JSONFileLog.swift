import Glibc
import Syscalls

/// A container's output in Docker's `json-file` format: one JSON object per line,
/// `{"log":"hello\n","stream":"stdout","time":"2026-11-29T10:33:27.070865514Z"}`, so that
/// `docker logs`-style tools (and ours) read it the same way. (Reading is in Runtime:
/// `JSONFileLog.read`.)
public final class JSONFileLog {
    public let file: FileDescriptor
    private var isOpen = true
    /// A line not yet ended, per stream: a line is logged once its newline arrives.
    var pending: [String: [UInt8]] = [:]
    /// Docker writes a partial line once it reaches 16 KiB.
    static let maximumLine = 16 * 1024

    public convenience init(path: String) throws {
        self.init(file: try FileDescriptor.open(path, .writeOnly, options: [.create, .append], permissions: 0o640))
    }

    /// A log already open for appending (handed over by the monitor, see `Relay`).
    public init(file: FileDescriptor) {
        self.file = file
    }

    deinit { close() }

    /// Closes the file (once; the deinit does it otherwise).
    public func close() {
        if isOpen { try? file.close() }
        isOpen = false
    }

    public func write(_ bytes: [UInt8], stream: String) {
        var buffer = pending[stream, default: []] + bytes
        while let newline = buffer.firstIndex(of: 10) {
            record(Array(buffer[...newline]), stream: stream)
            buffer.removeFirst(newline + 1)
        }
        while buffer.count >= JSONFileLog.maximumLine {
            record(Array(buffer.prefix(JSONFileLog.maximumLine)), stream: stream)
            buffer.removeFirst(JSONFileLog.maximumLine)
        }
        pending[stream] = buffer
    }

    /// Writes what is left of unfinished lines (at the end of the container's life).
    public func flush() {
        for (stream, bytes) in pending where !bytes.isEmpty { record(bytes, stream: stream) }
        pending = [:]
    }

    /// One line of the log, written by hand: the same bytes JSONEncoder would give, without
    /// needing Foundation in the relay.
    func record(_ bytes: [UInt8], stream: String) {
        let line = "{\"log\":" + String(decoding: bytes, as: UTF8.self).jsonQuoted + ",\"stream\":" + stream.jsonQuoted
            + ",\"time\":\"" + JSONFileLog.timestamp() + "\"}\n"
        try? file.writeAll(line)
    }

    /// Now, in RFC 3339 with nanoseconds, UTC: Docker's log timestamps.
    public static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp.rfc3339(seconds: now.tv_sec, nanoseconds: now.tv_nsec)
    }
}
