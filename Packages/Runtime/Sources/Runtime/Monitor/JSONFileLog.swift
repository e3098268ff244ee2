import FoundationEssentials
import Glibc
import Syscalls

/// A container's output in Docker's `json-file` format: one JSON object per line,
/// `{"log":"hello\n","stream":"stdout","time":"2026-11-29T10:33:27.070865514Z"}`, so that
/// `docker logs`-style tools (and ours) read it the same way.
public final class JSONFileLog {
    let file: FileDescriptor
    /// A line not yet ended, per stream: a line is logged once its newline arrives.
    var pending: [String: [UInt8]] = [:]
    /// Docker writes a partial line once it reaches 16 KiB.
    static let maximumLine = 16 * 1024

    public init(path: String) throws {
        file = try FileDescriptor.open(path, .writeOnly, options: [.create, .append], permissions: 0o640)
    }

    deinit { try? file.close() }

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

    struct Entry: Codable {
        var log: String
        var stream: String
        var time: String
    }

    func record(_ bytes: [UInt8], stream: String) {
        let entry = Entry(log: String(decoding: bytes, as: UTF8.self), stream: stream, time: JSONFileLog.timestamp())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        if let data = try? encoder.encode(entry) { try? file.writeAll(Array(data) + [10]) }
    }

    /// Now, in RFC 3339 with nanoseconds, UTC: Docker's log timestamps.
    public static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let fraction = String(now.tv_nsec)
        return String(printf: "%04d-%02d-%02dT%02d:%02d:%02d.", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
            + String(repeating: "0", count: 9 - fraction.count) + fraction + "Z"
    }

    /// The entries of a log file, oldest first.
    public static func read(_ path: String) throws -> [(log: String, stream: String, time: String)] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.split(separator: 10).compactMap { line in
            (try? JSONDecoder().decode(Entry.self, from: Data(line))).map { ($0.log, $0.stream, $0.time) }
        }
    }
}
