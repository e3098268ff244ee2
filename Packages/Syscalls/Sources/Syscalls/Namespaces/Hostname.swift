import Glibc

/// The hostname of the UTS namespace this process is in.
public enum Hostname {
    /// The current hostname.
    ///
    /// The corresponding system call is `uname(2)` (through `gethostname`).
    public static func get() throws -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        try nothingOrErrno { gethostname(&buffer, buffer.count - 1) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Sets the hostname, for every process in this UTS namespace (at most 64 bytes).
    ///
    /// The corresponding system call is `sethostname(2)`.
    public static func set(_ name: String) throws {
        let bytes = Array(name.utf8)
        try nothingOrErrno { sethostname(name, bytes.count) }
    }
}
