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
