/// A network interface as the kernel reports it in a link dump (`RTM_NEWLINK`).
public struct Link: Equatable, Sendable {
    public var index: Int32
    public var name: String
    /// `bridge`, `veth`, ... (`IFLA_INFO_KIND`); empty for physical and loopback devices.
    public var kind: String
    public var mtu: UInt32
    public var mac: MACAddress?
    /// The index of the bridge this link is a port of (`IFLA_MASTER`).
    public var master: Int32?
    /// The peer's index (for a veth), possibly in another namespace (`IFLA_LINK`).
    public var peerIndex: Int32?
    public var flags: UInt32
    public var alias: String?

    /// Administratively up (`IFF_UP`).
    public var isUp: Bool { flags & InterfaceFlags.up != 0 }

    init(_ message: NetlinkMessage) throws {
        let header = try InterfaceInfoHeader(parsing: message.payload[...])
        let attributes = try NetlinkAttribute.parse(message.payload[InterfaceInfoHeader.size...])
        index = header.index
        flags = header.flags
        name = attributes[type: LinkAttribute.name]?.string ?? ""
        mtu = attributes[type: LinkAttribute.mtu]?.uint32 ?? 0
        mac = attributes[type: LinkAttribute.address].flatMap { MACAddress(bytes: $0.value) }
        master = attributes[type: LinkAttribute.master]?.int32
        peerIndex = attributes[type: LinkAttribute.link]?.int32
        alias = attributes[type: LinkAttribute.alias]?.string
        kind = (try? attributes[type: LinkAttribute.linkInfo]?.nested())?[type: LinkAttribute.infoKind]?.string ?? ""
    }
}

/// An address on an interface (`RTM_NEWADDR` in an address dump).
public struct InterfaceAddress: Equatable, Sendable, CustomStringConvertible {
    public var interfaceIndex: Int32
    public var address: IPv4Address
    public var prefixLength: Int
    public var label: String

    public var description: String { "\(address)/\(prefixLength) on \(label)" }

    init?(_ message: NetlinkMessage) throws {
        let header = try InterfaceAddressHeader(parsing: message.payload[...])
        guard header.family == InterfaceFlags.inet else { return nil }
        let attributes = try NetlinkAttribute.parse(message.payload[InterfaceAddressHeader.size...])
        guard let value = attributes[type: AddressAttribute.local] ?? attributes[type: AddressAttribute.address],
              let address = IPv4Address(bytes: value.value) else { return nil }
        interfaceIndex = Int32(bitPattern: header.index)
        self.address = address
        prefixLength = Int(header.prefixLength)
        label = attributes[type: AddressAttribute.label]?.string ?? ""
    }
}

/// A route in the main table (`RTM_NEWROUTE` in a route dump).
public struct Route: Equatable, Sendable, CustomStringConvertible {
    /// nil for the default route.
    public var destination: Subnet?
    public var gateway: IPv4Address?
    public var outputInterface: Int32?
    public var table: UInt8

    public var description: String {
        (destination?.description ?? "default") + (gateway.map { " via \($0)" } ?? "") +
            (outputInterface.map { " dev #\($0)" } ?? "")
    }

    init?(_ message: NetlinkMessage) throws {
        let header = try RouteHeader(parsing: message.payload[...])
        guard header.family == InterfaceFlags.inet else { return nil }
        let attributes = try NetlinkAttribute.parse(message.payload[RouteHeader.size...])
        table = attributes[type: RouteAttribute.table]?.uint32.map { UInt8(truncatingIfNeeded: $0) } ?? header.table
        if header.destinationLength > 0 || attributes[type: RouteAttribute.destination] != nil {
            let address = attributes[type: RouteAttribute.destination].flatMap { IPv4Address(bytes: $0.value) } ?? .any
            destination = Subnet(address, prefixLength: Int(header.destinationLength))
        }
        gateway = attributes[type: RouteAttribute.gateway].flatMap { IPv4Address(bytes: $0.value) }
        outputInterface = attributes[type: RouteAttribute.outputInterface]?.int32
    }
}
