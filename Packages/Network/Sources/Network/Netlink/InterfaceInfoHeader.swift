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
