/// One route attribute (`struct rtattr`): a length, a type, and a value, padded to four bytes.
///
/// Everything beyond a message's fixed header travels as attributes: a link's name
/// (`IFLA_IFNAME`), its MTU, and nested lists of further attributes, such as the
/// `IFLA_LINKINFO` that says "this link is a veth, and here is its peer".
///
///     NetlinkAttribute(LinkAttribute.name, string: "dsk0")
///     // 09 00 03 00  64 73 6b 30 00  00 00 00
///     // len=9 type=3 "dsk0\0"        padding
public struct NetlinkAttribute: Equatable, Sendable {
    /// `NLA_F_NESTED`: the value is itself a list of attributes.
    static let nestedFlag: UInt16 = 0x8000
    /// `NLA_TYPE_MASK`: the type without the nested and byte-order flags.
    static let typeMask: UInt16 = 0x3fff

    public let type: UInt16
    public let value: [UInt8]

    public init(_ type: UInt16, bytes: [UInt8]) {
        self.type = type
        self.value = bytes
    }

    /// A NUL-terminated string, as the kernel expects names.
    public init(_ type: UInt16, string: String) {
        self.init(type, bytes: Array(string.utf8) + [0])
    }

    public init(_ type: UInt16, uint32: UInt32) {
        var bytes: [UInt8] = []
        bytes.append(integer: uint32)
        self.init(type, bytes: bytes)
    }

    public init(_ type: UInt16, int32: Int32) {
        self.init(type, uint32: UInt32(bitPattern: int32))
    }

    public init(_ type: UInt16, uint8: UInt8) {
        self.init(type, bytes: [uint8])
    }

    /// An attribute whose value is a list of attributes (`IFLA_LINKINFO`, `IFLA_INFO_DATA`).
    /// The kernel accepts nested attributes with or without `NLA_F_NESTED`; iproute2
    /// sends them without, and so do we, which keeps the bytes identical to `ip`'s.
    public init(_ type: UInt16, nested: [NetlinkAttribute]) {
        self.init(type, bytes: nested.encoded())
    }

    /// The attribute's bytes: header, value, padding.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        bytes.append(integer: UInt16(4 + value.count))
        bytes.append(integer: type)
        bytes.append(contentsOf: value)
        bytes.padToAlignment()
        return bytes
    }

    // MARK: - Reading values

    public var uint32: UInt32? { value.count >= 4 ? value[...].integer(at: 0) : nil }
    public var int32: Int32? { uint32.map { Int32(bitPattern: $0) } }
    public var uint8: UInt8? { value.first }

    /// A string value without its terminating NUL.
    public var string: String {
        String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The attributes inside a nested attribute.
    public func nested() throws -> [NetlinkAttribute] {
        try NetlinkAttribute.parse(value[...])
    }

    /// Parses a run of attributes (what follows a message's fixed header).
    public static func parse(_ bytes: ArraySlice<UInt8>) throws -> [NetlinkAttribute] {
        var attributes: [NetlinkAttribute] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            guard let length: UInt16 = bytes.integer(at: offset), let type: UInt16 = bytes.integer(at: offset + 2),
                  length >= 4, offset + Int(length) <= bytes.count
            else { throw NetworkError.malformedNetlink("attribute at offset \(offset) overruns its message") }
            let start = bytes.startIndex + offset + 4
            let value = Array(bytes[start..<(bytes.startIndex + offset + Int(length))])
            attributes.append(NetlinkAttribute(type & typeMask, bytes: value))
            offset += netlinkAligned(Int(length))
        }
        return attributes
    }
}

extension Array where Element == NetlinkAttribute {
    /// The attributes one after another, each padded.
    func encoded() -> [UInt8] { flatMap(\.encoded) }

    /// The first attribute of `type`.
    public subscript(type type: UInt16) -> NetlinkAttribute? { first { $0.type == type } }
}
