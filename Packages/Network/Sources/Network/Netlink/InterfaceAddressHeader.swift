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
