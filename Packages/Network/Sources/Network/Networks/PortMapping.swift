/// One `-p [ip:]host:container[/tcp|udp]` mapping: connections to the host's `hostPort`
/// (on `hostAddress`, or on every address) go to the container's `containerPort`.
///
///     try PortMapping(parsing: "127.0.0.1:8080:80/tcp")
///     try PortMapping(parsing: "5353:53/udp")
///     try PortMapping(parsing: "80")          // host port 0: any free one, chosen on attach
public struct PortMapping: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Transport: String, Codable, Sendable { case tcp, udp }

    /// nil: every address of the host (Docker's `0.0.0.0`).
    public var hostAddress: IPv4Address?
    public var hostPort: UInt16
    public var containerPort: UInt16
    public var transport: Transport

    public init(hostAddress: IPv4Address? = nil, hostPort: UInt16, containerPort: UInt16, transport: Transport = .tcp) {
        self.hostAddress = hostAddress
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.transport = transport
    }

    public init(parsing text: String) throws {
        let bad = NetworkError.invalid("publish \(text): expected [ip:]host:container[/tcp|udp]")
        var spec = Substring(text)
        transport = .tcp
        if let slash = spec.lastIndex(of: "/") {
            guard let parsed = Transport(rawValue: String(spec[spec.index(after: slash)...]).lowercased()) else {
                throw NetworkError.invalid("publish \(text): unknown protocol (tcp or udp)")
            }
            transport = parsed
            spec = spec[..<slash]
        }
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func port(_ s: String) throws -> UInt16 {
            guard let value = UInt16(s), value > 0 else { throw NetworkError.invalid("publish \(text): bad port \(s)") }
            return value
        }
        switch parts.count {
        case 1:
            // `-p 80`: any free host port, chosen when the container is attached.
            hostAddress = nil
            hostPort = 0
            containerPort = try port(parts[0])
        case 2:
            hostAddress = nil
            hostPort = try port(parts[0])
            containerPort = try port(parts[1])
        case 3:
            if parts[0].isEmpty || parts[0] == "0.0.0.0" {
                hostAddress = nil
            } else {
                guard let address = IPv4Address(parts[0]) else { throw NetworkError.invalid("publish \(text): bad address \(parts[0])") }
                hostAddress = address
            }
            hostPort = parts[1].isEmpty ? 0 : try port(parts[1])
            containerPort = try port(parts[2])
        default:
            throw bad
        }
    }

    /// Whether the two would claim the same host port.
    public func conflicts(with other: PortMapping) -> Bool {
        hostPort != 0 && transport == other.transport && hostPort == other.hostPort &&
            (hostAddress == nil || other.hostAddress == nil || hostAddress == other.hostAddress)
    }

    /// Docker's spelling: `0.0.0.0:8080->80/tcp`.
    public var description: String {
        "\(hostAddress?.description ?? "0.0.0.0"):\(hostPort)->\(containerPort)/\(transport.rawValue)"
    }
}
