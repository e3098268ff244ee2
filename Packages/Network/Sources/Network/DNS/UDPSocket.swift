import Glibc
import Syscalls

/// A UDP socket for IPv4, close-on-exec: what the DNS responder listens on and forwards with.
public final class UDPSocket {
    public let descriptor: FileDescriptor

    /// A socket bound to `address`:`port` (port 0: any free port).
    ///
    /// The corresponding system calls are `socket(2)` and `bind(2)`.
    public init(bindingTo address: IPv4Address = .any, port: UInt16 = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd == -1 { throw NetworkError.system("socket AF_INET", Errno.current) }
        descriptor = FileDescriptor(rawValue: fd)
        var socketAddress = UDPSocket.socketAddress(address, port)
        let rc = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc == -1 {
            let error = Errno.current
            close(fd)
            throw NetworkError.system("bind udp \(address):\(port)", error)
        }
    }

    deinit { close(descriptor.rawValue) }

    static func socketAddress(_ address: IPv4Address, _ port: UInt16) -> sockaddr_in {
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        socketAddress.sin_addr.s_addr = address.value.bigEndian
        return socketAddress
    }

    /// Sends one datagram.
    ///
    /// The corresponding system call is `sendto(2)`.
    public func send(_ bytes: [UInt8], to address: IPv4Address, port: UInt16) throws {
        var socketAddress = UDPSocket.socketAddress(address, port)
        let sent = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor.rawValue, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if sent == -1 { throw NetworkError.system("sendto \(address):\(port)", Errno.current) }
    }

    /// Receives one datagram and who sent it.
    ///
    /// The corresponding system call is `recvfrom(2)`.
    public func receive() throws -> (bytes: [UInt8], address: IPv4Address, port: UInt16) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var from = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = buffer.withUnsafeMutableBytes { raw in
            withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(descriptor.rawValue, raw.baseAddress, raw.count, 0, $0, &length)
                }
            }
        }
        if n == -1 { throw NetworkError.system("recvfrom", Errno.current) }
        return (Array(buffer[0..<n]), IPv4Address(UInt32(bigEndian: from.sin_addr.s_addr)), UInt16(bigEndian: from.sin_port))
    }

    /// Waits until a datagram can be read, for at most `milliseconds`; false on timeout.
    ///
    /// The corresponding system call is `poll(2)`.
    public func waitReadable(milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) > 0
    }
}
