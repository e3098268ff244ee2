/// A network: one Linux bridge, one subnet, one gateway address on the bridge, and the
/// containers attached to it. Docker's default network is called `bridge`; networks made
/// with `network create` also get a DNS responder, so their containers find each other by
/// name (Docker's default network has no names either).
public struct BridgeNetwork: Codable, Equatable, Sendable {
    public var name: String
    /// 64 hexadecimal digits, like Docker's network IDs.
    public var id: String
    /// The bridge device: `dosirak0` for the default network, `dsk-` and 8 digits of the ID otherwise.
    public var bridge: String
    public var subnet: Subnet
    public var gateway: IPv4Address
    /// The default network (`bridge`): no DNS responder.
    public var isDefault: Bool
    public var created: String

    /// The name of Docker's default network, which Dosirak keeps.
    public static let defaultName = "bridge"
    /// Its bridge device (Docker's is `docker0`).
    public static let defaultBridge = "dosirak0"

    /// Containers on user-defined networks resolve each other's names.
    public var hasDNS: Bool { !isDefault }

    public var shortID: String { String(id.prefix(12)) }
}

/// A container's place on a network: its address, its end of the veth pair, its names
/// and published ports. Written to disk before anything is created in the kernel, so that
/// a command killed half-way leaves a record of what to clean up.
public struct Endpoint: Codable, Equatable, Sendable {
    public var containerID: String
    public var containerName: String
    /// Extra names on this network (`--network-alias`).
    public var aliases: [String]
    public var network: String
    public var address: IPv4Address
    public var mac: MACAddress
    /// The host's end of the veth pair, a port of the bridge.
    public var hostInterface: String
    /// The container's end, inside its namespace (`eth0`).
    public var containerInterface: String
    public var ports: [PortMapping]
    /// The container's process (its init), when known: when it is gone, so is the endpoint.
    public var process: ProcessIdentity?
    /// The command setting the endpoint up; nil once it is complete. If that process is
    /// gone and this is still set, it died half-way.
    public var setupBy: ProcessIdentity?

    /// The names this container answers to on the network.
    public var names: [String] {
        [containerName, String(containerID.prefix(12))].filter { !$0.isEmpty } + aliases
    }
}
