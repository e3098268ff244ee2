import Syscalls
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
