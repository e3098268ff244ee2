import Glibc

/// Whether a host port can be bound: a program listening on it, or bound to it for UDP,
/// makes publishing it an error instead of a silent takeover.
enum PortProbe {
    static func isFree(_ port: PortMapping) -> Bool {
        let type = port.transport == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.hostPort.bigEndian
        address.sin_addr.s_addr = (port.hostAddress?.value ?? 0).bigEndian
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // EADDRNOTAVAIL (an address the host does not have) is not "in use".
        return rc == 0 || errno != EADDRINUSE
    }

    /// A port the kernel would give a socket bound to port 0 (from
    /// /proc/sys/net/ipv4/ip_local_port_range), for `-p 80`.
    static func ephemeralPort(_ port: PortMapping) -> UInt16? {
        let type = port.transport == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = (port.hostAddress?.value ?? 0).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 ? getsockname(fd, $0, &length) : -1
            }
        }
        return rc == 0 ? UInt16(bigEndian: address.sin_port) : nil
    }
}
