/// A stub resolver: asks one server for the A records of a name, as a container's libc
/// would after reading its /etc/resolv.conf.
public enum DNSClient {
    public static func resolve(_ name: String, server: IPv4Address, port: UInt16 = 53, timeout: Int32 = 2000) throws -> [IPv4Address] {
        let socket = try UDPSocket()
        let id = UInt16.random(in: 1...UInt16.max)
        try socket.send(DNSMessage.query(name, id: id), to: server, port: port)
        while socket.waitReadable(milliseconds: timeout) {
            let (bytes, _, _) = try socket.receive()
            guard let answer = try? DNSMessage(parsing: bytes), answer.id == id, answer.isResponse else { continue }
            guard answer.responseCode == 0 else { throw NetworkError.invalid("resolve \(name): rcode \(answer.responseCode)") }
            return answer.answers
        }
        throw NetworkError.system("resolve \(name) at \(server)", .timedOut)
    }
}
