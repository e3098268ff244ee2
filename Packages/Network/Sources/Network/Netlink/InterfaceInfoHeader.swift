/// The fixed header of a link message (`struct ifinfomsg`, 16 bytes).
///
///     0  family (AF_UNSPEC)   1 padding   2 type (ARPHRD_*)
///     4  index                8 flags (IFF_*)   12 change (which flags to change)
struct InterfaceInfoHeader: Equatable {
    var family: UInt8 = InterfaceFlags.unspecified
    var type: UInt16 = 0
    var index: Int32 = 0
    var flags: UInt32 = 0
    var change: UInt32 = 0

    static let size = 16

    var encoded: [UInt8] {
        var bytes: [UInt8] = [family, 0]
        bytes.append(integer: type)
        bytes.append(integer: index)
        bytes.append(integer: flags)
        bytes.append(integer: change)
        return bytes
    }

    init(index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) {
        self.index = index
        self.flags = flags
        self.change = change
    }

    init(parsing payload: ArraySlice<UInt8>) throws {
        guard payload.count >= InterfaceInfoHeader.size else { throw NetworkError.malformedNetlink("short ifinfomsg") }
        family = payload[payload.startIndex]
        type = payload.integer(at: 2)!
        index = payload.integer(at: 4)!
        flags = payload.integer(at: 8)!
        change = payload.integer(at: 12)!
    }
}

/// The fixed header of an address message (`struct ifaddrmsg`, 8 bytes).
///
///     0 family   1 prefix length   2 flags   3 scope   4 interface index
struct InterfaceAddressHeader: Equatable {
    var family: UInt8 = InterfaceFlags.inet
    var prefixLength: UInt8 = 0
    var flags: UInt8 = 0
    var scope: UInt8 = 0
    var index: UInt32 = 0

    static let size = 8

    var encoded: [UInt8] {
        var bytes: [UInt8] = [family, prefixLength, flags, scope]
        bytes.append(integer: index)
        return bytes
    }

    init(prefixLength: UInt8 = 0, index: UInt32 = 0) {
        self.prefixLength = prefixLength
        self.index = index
    }

    init(parsing payload: ArraySlice<UInt8>) throws {
        guard payload.count >= InterfaceAddressHeader.size else { throw NetworkError.malformedNetlink("short ifaddrmsg") }
        let s = payload.startIndex
        family = payload[s]
        prefixLength = payload[s + 1]
        flags = payload[s + 2]
        scope = payload[s + 3]
        index = payload.integer(at: 4)!
    }
}

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
