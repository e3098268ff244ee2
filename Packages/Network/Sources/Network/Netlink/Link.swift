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
