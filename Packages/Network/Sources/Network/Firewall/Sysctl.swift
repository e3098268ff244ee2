import Syscalls

/// Kernel settings under /proc/sys. The files under /proc/sys/net belong to the network
/// namespace of the thread that opens them, so `Firewall` writes them from a thread in
/// the host's namespace.
enum Sysctl {
    /// Writes `value` to /proc/sys/`key` (`net/ipv4/ip_forward`).
    static func write(_ key: String, _ value: String) throws {
        let path = "/proc/sys/" + key
        do {
            let fd = try FileDescriptor.open(path, .writeOnly)
            try fd.closeAfter { try fd.writeAll(value + "\n") }
        } catch let error as Errno {
            throw NetworkError.system("write \(path)", error)
        }
    }

    static func read(_ key: String) throws -> String {
        let path = "/proc/sys/" + key
        do {
            let fd = try FileDescriptor.open(path)
            return try fd.closeAfter { String(decoding: try fd.readAll(), as: UTF8.self) }
                .trimmingWhitespace()
        } catch let error as Errno {
            throw NetworkError.system("read \(path)", error)
        }
    }
}
