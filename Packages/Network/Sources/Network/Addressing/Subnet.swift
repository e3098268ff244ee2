/// An IPv4 subnet in CIDR notation: `172.18.0.0/16`.
///
///     let subnet = Subnet("172.18.0.0/16")!
///     subnet.contains(IPv4Address("172.18.3.4")!)   // true
///     subnet.firstHost                              // 172.18.0.1, Docker's gateway
public struct Subnet: Hashable, Codable, Sendable, CustomStringConvertible {
    public let network: IPv4Address
    public let prefixLength: Int

    /// A subnet; host bits in `address` are cleared (`172.18.0.5/16` is `172.18.0.0/16`).
    public init?(_ address: IPv4Address, prefixLength: Int) {
        guard (0...32).contains(prefixLength) else { return nil }
        self.prefixLength = prefixLength
        self.network = IPv4Address(address.value & Subnet.mask(prefixLength))
    }

    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let address = IPv4Address(String(parts[0])), let length = Int(parts[1]) else { return nil }
        self.init(address, prefixLength: length)
    }

    static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << UInt32(32 - length) }

    public var mask: UInt32 { Subnet.mask(prefixLength) }
    public var broadcast: IPv4Address { IPv4Address(network.value | ~mask) }
    public var firstHost: IPv4Address { network.advanced(by: 1) }
    public var lastHost: IPv4Address { broadcast.advanced(by: -1) }
    /// How many addresses exist for hosts (without the network and broadcast addresses).
    public var hostCount: Int { prefixLength >= 31 ? 0 : (1 << (32 - prefixLength)) - 2 }

    public func contains(_ address: IPv4Address) -> Bool { address.value & mask == network.value }

    public func overlaps(_ other: Subnet) -> Bool {
        let shorter = min(prefixLength, other.prefixLength)
        let m = Subnet.mask(shorter)
        return network.value & m == other.network.value & m
    }

    public var description: String { "\(network)/\(prefixLength)" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let subnet = Subnet(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a subnet: \(text)"))
        }
        self = subnet
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
