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
