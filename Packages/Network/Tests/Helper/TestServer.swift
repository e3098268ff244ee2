import Foundation
import Glibc
import Network
import Syscalls

/// A server that tells each client who it thinks the client is, and a client for it: the
/// peer address the server sees is how the tests observe NAT.
enum TestServer {
    static func serve(transport: String, port: UInt16, text: String) throws -> Never {
        if transport == "udp" {
            let socket = try UDPSocket(bindingTo: .any, port: port)
            try FileDescriptor.standardOutput.writeAll("ready\n")
            while true {
                let (_, peer, peerPort) = try socket.receive()
                try socket.send(Array("\(text) to \(peer)\n".utf8), to: peer, port: peerPort)
            }
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw Errno.current }
        try FileDescriptor.standardOutput.writeAll("ready\n")
        while true {
            var peer = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let client = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(fd, $0, &length) }
            }
            if client < 0 { continue }
            let who = IPv4Address(UInt32(bigEndian: peer.sin_addr.s_addr))
            let reply = Array("\(text) to \(who)\n".utf8)
            _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(client)
        }
    }

    /// The address of `host`: itself if it is one, else asked of the first nameserver in
    /// /etc/resolv.conf (the generated one, bind-mounted, inside a container).
    static func resolve(_ host: String) throws -> IPv4Address {
        if let address = IPv4Address(host) { return address }
        let conf = ResolvConf(parsing: try String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8))
        guard let server = conf.nameservers.compactMap(IPv4Address.init).first else { throw NetworkError.invalid("no nameserver") }
        guard let address = try DNSClient.resolve(host, server: server).first else { throw NetworkError.invalid("\(host): no address") }
        return address
    }

    static func request(transport: String, host: String, port: UInt16) throws -> String {
        let address = try resolve(host)
        if transport == "udp" {
            let socket = try UDPSocket()
            try socket.send(Array("hello".utf8), to: address, port: port)
            guard socket.waitReadable(milliseconds: 3000) else { throw NetworkError.system("udp \(host):\(port)", .timedOut) }
            return String(decoding: try socket.receive().bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let fd = try connectTCP(host: host, address: address, port: port)
        defer { close(fd) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Connects over TCP and tells the socket's two ends, `LOCAL PEER` (`getsockname`,
    /// `getpeername`), each as `ADDRESS:PORT`.
    static func ends(host: String, port: UInt16) throws -> String {
        let fd = try connectTCP(host: host, address: try resolve(host), port: port)
        defer { close(fd) }
        func end(_ call: (CInt, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> CInt) throws -> String {
            var address = sockaddr_in()
            var size = socklen_t(MemoryLayout<sockaddr_in>.size)
            let got = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(fd, $0, &size) }
            }
            guard got == 0 else { throw NetworkError.system("getsockname/getpeername", Errno.current) }
            return "\(IPv4Address(UInt32(bigEndian: address.sin_addr.s_addr))):\(UInt16(bigEndian: address.sin_port))"
        }
        return try end(getsockname) + " " + end(getpeername)
    }

    static func connectTCP(host: String, address: IPv4Address, port: UInt16) throws -> CInt {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        socketAddress.sin_addr.s_addr = address.value.bigEndian
        let connected = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let error = Errno.current
            close(fd)
            throw NetworkError.system("connect \(host):\(port)", error)
        }
        return fd
    }
}
