/// The fixed header of a route message (`struct rtmsg`, 12 bytes).
///
///     0 family  1 dst_len  2 src_len  3 tos  4 table  5 protocol  6 scope  7 type  8 flags
struct RouteHeader: Equatable {
    var family: UInt8 = InterfaceFlags.inet
    var destinationLength: UInt8 = 0
    var sourceLength: UInt8 = 0
    var tos: UInt8 = 0
    var table: UInt8 = RouteAttribute.mainTable
    var routingProtocol: UInt8 = RouteAttribute.protocolBoot
    var scope: UInt8 = RouteAttribute.scopeUniverse
    var type: UInt8 = RouteAttribute.typeUnicast
    var flags: UInt32 = 0

    static let size = 12

    var encoded: [UInt8] {
        var bytes: [UInt8] = [family, destinationLength, sourceLength, tos, table, routingProtocol, scope, type]
        bytes.append(integer: flags)
        return bytes
    }

    init() {}

    init(parsing payload: ArraySlice<UInt8>) throws {
        guard payload.count >= RouteHeader.size else { throw NetworkError.malformedNetlink("short rtmsg") }
        let s = payload.startIndex
        family = payload[s]
        destinationLength = payload[s + 1]
        sourceLength = payload[s + 2]
        tos = payload[s + 3]
        table = payload[s + 4]
        routingProtocol = payload[s + 5]
        scope = payload[s + 6]
        type = payload[s + 7]
        flags = payload.integer(at: 8)!
    }
}
