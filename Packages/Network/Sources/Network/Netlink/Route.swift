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
